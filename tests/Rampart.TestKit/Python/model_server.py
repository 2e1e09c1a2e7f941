"""A real scikit-learn model served over HTTP for the tests (run by Debian's /usr/bin/python3).

One server for the rooms that need a classic model behind a real endpoint (the red-team attacks, the gateway's
prediction routes). It trains with a fixed seed, then serves on 127.0.0.1 (a free port, printed alone as the first
line of stdout):
  POST /v2/models/NAME/infer   Open Inference Protocol v2: input tensor [n, d] (FP64); outputs "label" (INT64, [n])
                               and, unless --labels-only, "probabilities" (FP64, [n, classes])
  POST /invocations            MLflow: dataframe_split, inputs or instances; {"predictions": [...]}
  POST /v1/models/NAME:predict TF Serving: instances; {"predictions": [...]}
  GET  /v2/health/ready        readiness
Models: --model trees (fully grown extra-trees on synthetic data: deliberately overfit, members score ~1),
--model lr (logistic regression on the same data), --model iris (logistic regression on scikit-learn's bundled iris
data, all rows). With --out DIR it writes the attacker's sample DIR/sample.csv (features, label, member: 1 for
training rows, 0 for held-out rows). With --log FILE every request body is appended to FILE, so a test can see what
reached the model. --stdin-lifetime stops the server when stdin closes (the test process ends); otherwise it serves
until killed. Reads JSON only; nothing is unpickled or evaluated.
"""
import argparse, csv, json, os, sys, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
import numpy as np
from sklearn.datasets import load_iris, make_classification
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.linear_model import LogisticRegression

p = argparse.ArgumentParser()
p.add_argument("--model", choices=["trees", "lr", "iris"], default="trees")
p.add_argument("--name", help="model name in the v2 and TF Serving paths (default: m, or iris for --model iris)")
p.add_argument("--out", help="folder for the attacker's sample.csv")
p.add_argument("--log", help="append every request body to this file")
p.add_argument("--labels-only", action="store_true", help="answer labels instead of class probabilities")
p.add_argument("--seed", type=int, default=7)
p.add_argument("--stdin-lifetime", action="store_true", help="stop when stdin closes")
a = p.parse_args()
name = a.name or ("iris" if a.model == "iris" else "m")

if a.model == "iris":
    X, y = load_iris(return_X_y=True)
    members = np.ones(len(y), dtype=int)
    model = LogisticRegression(max_iter=1000)
else:
    X, y = make_classification(n_samples=1200, n_features=8, n_informative=5, n_redundant=1, n_classes=2,
                               flip_y=0.02, class_sep=1.2, random_state=a.seed)
    members = np.zeros(len(y), dtype=int)
    members[:600] = 1
    # Fully grown extremely randomised trees: every training row ends in a pure leaf, so members get confidence ~1.
    model = ExtraTreesClassifier(n_estimators=60, random_state=a.seed, n_jobs=1) if a.model == "trees" else LogisticRegression(max_iter=1000)
model.fit(X[members == 1], y[members == 1])

if a.out:
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "sample.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"f{i}" for i in range(X.shape[1])] + ["label", "member"])
        for row, label, member in zip(X, y, members):
            w.writerow([repr(float(v)) for v in row] + [int(label), int(member)])


def predict(rows):
    rows = np.asarray(rows, dtype=float)
    if a.labels_only:
        return [int(v) for v in model.predict(rows)]
    return [[float(v) for v in r] for r in model.predict_proba(rows)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real model servers do; every answer carries Content-Length

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer(200, {"ready": True}) if self.path == "/v2/health/ready" else self.answer(404, {"error": "no such path"})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if a.log:
            with open(a.log, "ab") as f:
                f.write(raw + b"\n")
        try:
            body = json.loads(raw)
            if self.path.endswith(f"/v2/models/{name}/infer"):
                tensor = body["inputs"][0]
                n, d = tensor["shape"]
                out = predict(np.asarray(tensor["data"], dtype=float).reshape(n, d))
                if a.labels_only:
                    outputs = [{"name": "label", "shape": [n], "datatype": "INT64", "data": out}]
                else:
                    outputs = [{"name": "label", "shape": [n], "datatype": "INT64", "data": [int(np.argmax(r)) for r in out]},
                               {"name": "probabilities", "shape": [n, len(out[0])], "datatype": "FP64", "data": [v for r in out for v in r]}]
                self.answer(200, {"model_name": name, "outputs": outputs})
            elif self.path.endswith("/invocations"):
                rows = body["dataframe_split"]["data"] if "dataframe_split" in body else body.get("inputs") or body["instances"]
                self.answer(200, {"predictions": predict(rows)})
            elif self.path.endswith(f"/v1/models/{name}:predict"):
                self.answer(200, {"predictions": predict(body["instances"])})
            else:
                self.answer(404, {"error": "no such model or route"})
        except Exception as e:  # a bad request is the client's problem, never a crash of the server
            self.answer(400, {"error": str(e)})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
if a.stdin_lifetime:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()
else:
    server.serve_forever()
