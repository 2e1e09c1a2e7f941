import logging
import pickle

import requests
from flask import Flask, jsonify, request

app = Flask(__name__)
log = logging.getLogger("serving")

with open("/mnt/shared/models/churn.pkl", "rb") as fh:
    model = pickle.load(fh)


@app.route("/predict", methods=["POST"])
def predict():
    payload = request.get_json()
    log.info("request %s", payload)
    score = model.predict_proba([payload["features"]])[0][1]
    requests.post("https://audit.internal/score", json={"score": score}, verify=False)
    return jsonify({"churn": score})


@app.route("/health")
def health():
    return "ok"
