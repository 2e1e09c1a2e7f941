"""A real scikit-learn model behind the Open Inference Protocol v2, for ClassicModelTests (Debian's /usr/bin/python3).

Trains a LogisticRegression on scikit-learn's bundled iris data and serves POST /v2/models/iris/infer on loopback
(a free port, printed as the first line of stdout): input tensor "input-0" of shape [n, 4] (FP64), outputs "label"
(INT64, [n]) and "probabilities" (FP64, [n, 3]). Every request body is appended to the file named by argv[1], so the
test can see what reached the model. Reads JSON only; nothing is unpickled or evaluated.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True)
model = LogisticRegression(max_iter=1000).fit(X, y)
log_path = sys.argv[1]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send(200, {"ready": True}) if self.path == "/v2/health/ready" else self._send(404, {"error": "no such path"})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(log_path, "ab") as f:
            f.write(raw + b"\n")
        if self.path != "/v2/models/iris/infer":
            return self._send(404, {"error": "no such model"})
        try:
            tensor = json.loads(raw)["inputs"][0]
            n, width = tensor["shape"]
            rows = [tensor["data"][i * width:(i + 1) * width] for i in range(n)]
            proba = model.predict_proba(rows)
        except Exception as e:  # a bad request is the client's error, never a crash
            return self._send(400, {"error": str(e)})
        self._send(200, {
            "model_name": "iris",
            "outputs": [
                {"name": "label", "shape": [n], "datatype": "INT64", "data": [int(p.argmax()) for p in proba]},
                {"name": "probabilities", "shape": [n, 3], "datatype": "FP64", "data": [float(v) for p in proba for v in p]},
            ],
        })


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
