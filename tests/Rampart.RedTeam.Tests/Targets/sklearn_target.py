"""A real scikit-learn model served over HTTP for the red-team tests (run by Debian's /usr/bin/python3).

Trains a deliberately overfit model on synthetic data with a fixed seed, writes the attacker's sample
(features, label, member: 1 for training rows, 0 for held-out rows) to OUT/sample.csv, then serves it in the
Open Inference Protocol v2 shape (/v2/models/m/infer), the MLflow shape (/invocations) and the TF Serving shape
(/v1/models/m:predict) on 127.0.0.1, printing "PORT <n>" once it listens. --labels-only answers labels instead of
class probabilities. Stops when stdin closes (the test process ends).
"""
import argparse, csv, json, os, sys, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.linear_model import LogisticRegression

p = argparse.ArgumentParser()
p.add_argument("--model", choices=["trees", "lr"], default="trees")
p.add_argument("--out", required=True)
p.add_argument("--labels-only", action="store_true")
p.add_argument("--seed", type=int, default=7)
a = p.parse_args()

X, y = make_classification(n_samples=1200, n_features=8, n_informative=5, n_redundant=1, n_classes=2,
                           flip_y=0.02, class_sep=1.2, random_state=a.seed)
members = np.zeros(len(y), dtype=int)
members[:600] = 1
if a.model == "trees":
    # Fully grown extremely randomised trees: every training row ends in a pure leaf, so members get confidence ~1.
    model = ExtraTreesClassifier(n_estimators=60, random_state=a.seed, n_jobs=1)
else:
    model = LogisticRegression(max_iter=1000)
model.fit(X[members == 1], y[members == 1])

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

    def do_POST(self):
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            if "/v2/models/" in self.path and self.path.endswith("/infer"):
                tensor = body["inputs"][0]
                n, d = tensor["shape"]
                out = predict(np.asarray(tensor["data"], dtype=float).reshape(n, d))
                if a.labels_only:
                    outputs = [{"name": "label", "shape": [n, 1], "datatype": "INT64", "data": out}]
                else:
                    outputs = [{"name": "probabilities", "shape": [n, len(out[0])], "datatype": "FP64", "data": [v for r in out for v in r]}]
                self.answer(200, {"model_name": "m", "outputs": outputs})
            elif self.path.endswith("/invocations"):
                rows = body["dataframe_split"]["data"] if "dataframe_split" in body else body.get("inputs") or body["instances"]
                self.answer(200, {"predictions": predict(rows)})
            elif self.path.endswith(":predict"):
                self.answer(200, {"predictions": predict(body["instances"])})
            else:
                self.answer(404, {"error": "no such route"})
        except Exception as e:  # a bad request is the client's problem, never a crash of the server
            self.answer(400, {"error": str(e)})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(f"PORT {server.server_address[1]}", flush=True)
sys.stdin.read()
server.shutdown()
