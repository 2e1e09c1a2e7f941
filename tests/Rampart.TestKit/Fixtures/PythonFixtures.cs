using System.Text;

namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the code review rules (RAMP-PY-*, RAMP-SECRET-*, RAMP-AI-*): small Python files.</summary>
public sealed class PythonFixtures : IFixtureSource
{
    private static Fixture Py(string id, string source) =>
        new(id, id.Split('/')[1] + ".py", () => Encoding.UTF8.GetBytes(source));

    public IEnumerable<Fixture> Fixtures =>
    [
        Py("py/torch-load-param", """
            import torch

            def restore(model, checkpoint_path):
                state = torch.load(checkpoint_path, map_location="cpu")
                model.load_state_dict(state)
            """),
        Py("py/torch-load-safe", """
            from torch import load as L

            def restore(model, checkpoint_path):
                model.load_state_dict(L(checkpoint_path, weights_only=True))
            """),
        Py("py/torch-load-repo", """
            import torch
            WEIGHTS = "checkpoints/baseline.pt"
            state = torch.load(WEIGHTS)
            """),
        Py("py/pickle-load-arg", """
            import pickle, sys

            with open(sys.argv[1], "rb") as f:
                features = pickle.load(f)
            """),
        Py("py/pickle-load-repo", """
            import pickle
            import joblib

            with open("artifacts/vocab.pkl", "rb") as f:
                vocab = pickle.load(f)
            clf = joblib.load("models/clf.joblib")
            """),
        Py("py/numpy-allow-pickle", """
            import numpy as np

            def load_embeddings(path):
                return np.load(path, allow_pickle=True)
            """),
        Py("py/numpy-load-plain", """
            import numpy as np

            def load_embeddings(path):
                return np.load(path)
            """),
        Py("py/trust-remote-code", """
            from transformers import AutoModelForCausalLM

            model = AutoModelForCausalLM.from_pretrained("some-org/custom-llm", trust_remote_code=True)
            """),
        Py("py/hub-pinned", """
            from transformers import AutoModel, AutoTokenizer
            REV = "0123456789abcdef0123456789abcdef01234567"
            tok = AutoTokenizer.from_pretrained("bert-base-uncased", revision=REV)
            model = AutoModel.from_pretrained("bert-base-uncased", revision="0123456789abcdef0123456789abcdef01234567")
            """),
        Py("py/hub-unpinned", """
            from huggingface_hub import hf_hub_download
            from transformers import AutoModel

            model = AutoModel.from_pretrained("bert-base-uncased")
            path = hf_hub_download(repo_id="org/weights", filename="model.safetensors", revision="main")
            """),
        Py("py/hub-local", """
            from transformers import AutoModel
            model = AutoModel.from_pretrained("./exported/model")
            """),
        Py("py/yaml-load", """
            import yaml

            def read_config(path):
                with open(path) as f:
                    return yaml.load(f, Loader=yaml.FullLoader)
            """),
        Py("py/yaml-safe", """
            import yaml

            def read_config(path):
                with open(path) as f:
                    a = yaml.safe_load(f)
                    b = yaml.load(f, Loader=yaml.SafeLoader)
                return a, b
            """),
        Py("py/eval-input", """
            import argparse
            parser = argparse.ArgumentParser()
            parser.add_argument("--layers")
            args = parser.parse_args()
            layers = eval(args.layers)
            """),
        Py("py/eval-constant", """
            import torch
            model = torch.nn.Linear(2, 2)
            model.eval()
            sizes = eval("[64, 32]")
            """),
        Py("py/shell-format", """
            import os

            def convert(name):
                os.system(f"ffmpeg -i {name} out.wav")
            """),
        Py("py/subprocess-list", """
            import subprocess

            def convert(name):
                subprocess.run(["ffmpeg", "-i", name, "out.wav"], check=True)
                subprocess.run("ls -l", shell=True)
            """),
        Py("py/torch-hub-branch", """
            import torch

            model = torch.hub.load("ultralytics/yolov5", "yolov5s", pretrained=True)
            """),
        Py("py/torch-hub-trust-repo", """
            import torch

            def detector(name):
                return torch.hub.load("facebookresearch/detr:v0.2", name, trust_repo=True)
            """),
        Py("py/torch-hub-pinned", """
            import torch

            model = torch.hub.load("pytorch/vision:v0.16.0", "resnet18", weights="IMAGENET1K_V1")
            local = torch.hub.load("third_party/yolov5", "custom", source="local")
            """),
        Py("py/uvicorn-all-interfaces", """
            import argparse
            import uvicorn
            from fastapi import FastAPI

            app = FastAPI()

            if __name__ == "__main__":
                parser = argparse.ArgumentParser()
                parser.add_argument("--host", default="0.0.0.0")
                parser.add_argument("--port", type=int, default=8000)
                args = parser.parse_args()
                uvicorn.run(app, host=args.host, port=args.port)
            """),
        Py("py/gradio-all-interfaces", """
            import gradio as gr

            demo = gr.Interface(fn=lambda s: s[::-1], inputs="text", outputs="text")
            demo.launch(server_name="0.0.0.0", server_port=7860)
            """),
        Py("py/uvicorn-localhost", """
            import argparse
            import uvicorn
            from fastapi import FastAPI

            app = FastAPI()
            parser = argparse.ArgumentParser()
            parser.add_argument("--host", default="127.0.0.1")
            args = parser.parse_args()
            uvicorn.run(app, host=args.host, port=8000)
            """),
        Py("py/verify-false", """
            import requests

            def fetch(url):
                return requests.get(url, verify=False, timeout=10).content
            """),
        Py("py/verify-true", """
            import requests

            def fetch(url):
                return requests.get(url, verify="/etc/ssl/certs/internal-ca.pem", timeout=10).content
            """),
        Py("py/flask-unauth", """
            from flask import Flask, request, jsonify
            import joblib

            app = Flask(__name__)
            model = joblib.load("models/churn.joblib")

            @app.route("/predict", methods=["POST"])
            def predict():
                features = request.get_json()["features"]
                return jsonify(model.predict([features]).tolist())
            """),
        Py("py/flask-auth", """
            from flask import Flask, request, jsonify
            from flask_login import login_required
            import joblib

            app = Flask(__name__)
            model = joblib.load("models/churn.joblib")

            @app.route("/predict", methods=["POST"])
            @login_required
            def predict():
                return jsonify(model.predict([request.get_json()["features"]]).tolist())
            """),
        Py("py/fastapi-auth", """
            from fastapi import Depends, FastAPI
            from transformers import pipeline

            app = FastAPI()
            classifier = pipeline("sentiment-analysis", model="distilbert-base-uncased-finetuned-sst-2-english", revision="0123456789abcdef0123456789abcdef01234567")

            def verify_api_key():
                ...

            @app.post("/classify")
            def classify(text: str, user=Depends(verify_api_key)):
                return classifier(text)
            """),
        Py("py/gradio-unauth", """
            import gradio as gr

            def predict(text):
                return text[::-1]

            demo = gr.Interface(fn=predict, inputs="text", outputs="text")
            demo.launch(share=True)
            """),
        Py("py/log-dataframe", """
            import logging
            import pandas as pd
            from fastapi import FastAPI

            app = FastAPI()
            logger = logging.getLogger(__name__)
            customers = pd.read_csv("data/customers.csv")

            @app.get("/health")
            def health(token: str = Depends(check_token)):
                logger.info(f"loaded {customers.head()}")
                return {"ok": True}
            """),
        Py("py/log-counts", """
            import logging
            import pandas as pd
            from fastapi import FastAPI

            app = FastAPI()
            logger = logging.getLogger(__name__)
            customers = pd.read_csv("data/customers.csv")
            logger.info("loaded %d rows", len(customers))
            """),
        Py("py/wandb-key-literal", $"""
            import wandb
            wandb.login(key="{FakeSecrets.Random(11, 40, "0123456789abcdef")}")
            """),
        Py("py/mlflow-env", """
            import os
            import mlflow
            os.environ["MLFLOW_TRACKING_PASSWORD"] = "s3cr3t-pa55"
            mlflow.set_tracking_uri("https://ml.example.org")
            """),
        Py("py/wandb-key-env", """
            import os
            import wandb
            wandb.login(key=os.environ["WANDB_API_KEY"])
            """),
        Py("py/secret-hf", $"""
            from huggingface_hub import login
            login(token="{FakeSecrets.HuggingFace}")
            """),
        Py("py/secret-openai", $"""
            OPENAI_KEY = "{FakeSecrets.OpenAi}"
            """),
        Py("py/secret-anthropic", $"""
            client_key = "{FakeSecrets.Anthropic}"
            """),
        Py("py/secret-aws", $"""
            import boto3
            s3 = boto3.client("s3", aws_access_key_id="{FakeSecrets.AwsKeyId}",
                              aws_secret_access_key="{FakeSecrets.AwsSecret}")
            """),
        Py("py/secret-gcp", $"""
            GOOGLE_API_KEY = "{FakeSecrets.GoogleApiKey}"
            """),
        Py("py/secret-azure", $"""
            CONN = "DefaultEndpointsProtocol=https;AccountName=mlstore;AccountKey={FakeSecrets.AzureStorageKey};EndpointSuffix=core.windows.net"
            """),
        Py("py/secret-wandb", $"""
            # wandb key for the team project
            WANDB = "{FakeSecrets.WandbKey}"
            """),
        Py("py/secret-generic", $"""
            db_password = "{FakeSecrets.Generic}"
            """),
        Py("py/secret-private-key", """
            KEY = '''-----BEGIN RSA PRIVATE KEY-----
            MIIEowIBAAKCAQEA
            -----END RSA PRIVATE KEY-----'''
            """),
        Py("py/secret-placeholder", """
            import os
            OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]
            password = "your-password-here"
            token = "<token>"
            api_key = "xxxxxxxxxxxxxxxxxxxxxxxx"
            commit = "0123456789abcdef0123456789abcdef01234567"
            """),
        Py("py/ai-openai", """
            from openai import OpenAI

            client = OpenAI()
            reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
            """),
        Py("py/ai-url", """
            import requests
            r = requests.post("https://api.mistral.ai/v1/chat/completions", json={"model": "mistral-small"}, timeout=30)
            """),
        Py("py/ai-dataframe", """
            import anthropic
            import pandas as pd

            claims = pd.read_parquet("s3://claims/2026.parquet")
            client = anthropic.Anthropic()
            summary = client.messages.create(model="claude", max_tokens=512, messages=[{"role": "user", "content": claims.to_csv()}])
            """),
        Py("py/ai-none", """
            import torch
            from transformers import AutoModel
            model = AutoModel.from_pretrained("./local")
            print(torch.__version__)
            """),
    ];
}

/// <summary>Fixtures for the notebook rules (RAMP-NB-*, RAMP-PII-*, and secrets in outputs).</summary>
public sealed class NotebookFixtures : IFixtureSource
{
    private static Fixture Nb(string id, NotebookBuilder builder) =>
        new(id, id.Split('/')[1] + ".ipynb", builder.Build);

    public IEnumerable<Fixture> Fixtures =>
    [
        Nb("nb/pip-unpinned", new NotebookBuilder().Code("!pip install transformers torch==2.3.1\n%pip install -U datasets")),
        Nb("nb/pip-pinned", new NotebookBuilder().Code("%pip install transformers==4.44.2 torch==2.3.1\n!pip install -r requirements.txt")),
        Nb("nb/output-token", new NotebookBuilder().Code("import os\nprint(os.environ['HF_TOKEN'])", NotebookBuilder.Stream(FakeSecrets.HuggingFace + "\n"))),
        Nb("nb/output-email", new NotebookBuilder().Code("df.head()", NotebookBuilder.Result("   name   email\n0  Jane  jane.doe@contoso-mail.com"))),
        Nb("nb/output-phone", new NotebookBuilder().Code("df.head()", NotebookBuilder.Result("   name   phone\n0  Jane  +44 20 7946 0958"))),
        Nb("nb/output-card", new NotebookBuilder().Code("df.head()", NotebookBuilder.Result("   name   card\n0  Jane  4111 1111 1111 1111"))),
        Nb("nb/output-iban", new NotebookBuilder().Code("df.head()", NotebookBuilder.Result("   name   iban\n0  Jane  GB82 WEST 1234 5698 7654 32"))),
        Nb("nb/output-national-ids", new NotebookBuilder().Code("df.head()",
            NotebookBuilder.Result("ssn 536-22-1234\nnino AB 12 34 56 C\ninsee 1 85 05 78 006 084 91\nsteuer 86095742719\naadhaar 2341 2341 2346"))),
        Nb("nb/output-clean", new NotebookBuilder()
            .Markdown("# Training run\nResults below.")
            .Code("import pandas as pd\nprint(df.shape)", NotebookBuilder.Stream("(1000, 12)\naccuracy 0.9134 on 2026-11-22\nsee https://example.org/run/42 or mail ops@example.com\n"))
            .Code("1/0", NotebookBuilder.Error("ZeroDivisionError", "division by zero", "Traceback (most recent call last)", "ZeroDivisionError: division by zero"))),
    ];
}
