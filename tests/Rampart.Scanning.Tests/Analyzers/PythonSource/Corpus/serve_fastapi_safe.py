import logging

import joblib
from fastapi import Depends, FastAPI, HTTPException, Security
from fastapi.security import APIKeyHeader

api_key_header = APIKeyHeader(name="X-API-Key")
app = FastAPI()
logger = logging.getLogger(__name__)
model = joblib.load("models/churn.joblib")


def require_api_key(key: str = Security(api_key_header)):
    if key != "":
        raise HTTPException(status_code=401)


@app.post("/predict")
def predict(features: list[float], _=Depends(require_api_key)):
    logger.info("scoring %d features", len(features))
    return {"churn": float(model.predict_proba([features])[0][1])}
