"""API latency with many registered versions (bench/server/run.sh calls this).

Seeds VERSIONS versions of small safetensors models through the real upload API (create, PATCH, complete) over one
keep-alive connection, waits for the gate to finish them, then times read requests a dashboard or a gateway makes
and prints p50/p95/p99 per endpoint. Standard library only.
"""

import hashlib
import http.client
import json
import random
import struct
import sys
import time
import urllib.parse


def model(seed):
    data = hashlib.sha256(str(seed).encode()).digest() * 2
    header = json.dumps({"w": {"dtype": "F32", "shape": [16], "data_offsets": [0, 64]}}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + data


class Api:
    def __init__(self, url, token):
        parts = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        self.token = token

    def call(self, method, path, body=None, headers=None, expect=(200, 201)):
        all_headers = {"Authorization": "Bearer " + self.token}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        self.connection.request(method, path, body=body, headers=all_headers)
        response = self.connection.getresponse()
        text = response.read()
        if response.status not in expect:
            raise SystemExit("%s %s -> %d %s" % (method, path, response.status, text[:300]))
        return json.loads(text) if text else None


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    url, token, project, versions, samples = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    api = Api(url, token)
    base = "/api/v1/projects/" + project
    artifacts = max(1, versions // 100)
    started = time.monotonic()
    for i in range(versions):
        artifact, label = "m%03d" % (i % artifacts), str(i // artifacts)
        data = model(i)
        upload = api.call("POST", base + "/uploads", {"artifact": artifact, "version": label, "fileName": "m.safetensors", "size": len(data)})["upload"]
        api.call("PATCH", base + "/uploads/" + upload, data, {"Upload-Offset": "0", "Content-Type": "application/octet-stream"})
        api.call("POST", base + "/uploads/%s/complete" % upload, {"digest": "sha256:" + hashlib.sha256(data).hexdigest()})
    seeded = time.monotonic() - started
    last = versions - 1
    while api.call("GET", base + "/artifacts/m%03d/versions/%d" % (last % artifacts, last // artifacts))["version"]["state"] == "scanning":
        time.sleep(0.5)
    gated = time.monotonic() - started

    rng = random.Random(1)
    endpoints = {
        "GET version detail": lambda: "%s/artifacts/m%03d/versions/%d" % (base, rng.randrange(artifacts), rng.randrange(versions // artifacts)),
        "GET versions page (100)": lambda: "%s/artifacts/m%03d/versions?limit=100" % (base, rng.randrange(artifacts)),
        "GET artifacts (with counts)": lambda: base + "/artifacts",
        "GET revocations": lambda: base + "/revocations",
    }
    print("versions %d in %d artifacts: seeded in %.1f s (%.0f uploads/s), gate done after %.1f s" % (versions, artifacts, seeded, versions / seeded, gated))
    print("| endpoint | requests | p50 ms | p95 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- |")
    for name, path in endpoints.items():
        latencies = []
        for _ in range(samples):
            target = path()
            t0 = time.perf_counter()
            api.call("GET", target)
            latencies.append((time.perf_counter() - t0) * 1000)
        print("| %s | %d | %.2f | %.2f | %.2f |" % (name, samples, percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99)))


if __name__ == "__main__":
    main()
