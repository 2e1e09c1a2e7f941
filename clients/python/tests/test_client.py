"""Tests of rampart_client against a real `rampart server`.

The C# harness (tests/Rampart.Server.Tests/Clients/PythonClientTests.cs) starts the server, makes the users and
tokens, and runs `python3 -m unittest discover` here with:
  RAMPART_TEST_SERVER        the server's URL
  RAMPART_TEST_PROJECT       a project where the tokens below hold roles
  RAMPART_TEST_PUSH_TOKEN    a data scientist's token (read, push)
  RAMPART_TEST_REVIEW_TOKEN  a security reviewer's token (read, review)
Without them the server tests skip; the tests that need no server always run.
"""

import hashlib
import http.server
import json
import os
import shutil
import struct
import sys
import tempfile
import threading
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rampart_client import RampartClient, RampartError, sha256_file  # noqa: E402

SERVER = os.environ.get("RAMPART_TEST_SERVER")
PROJECT = os.environ.get("RAMPART_TEST_PROJECT")
PUSH_TOKEN = os.environ.get("RAMPART_TEST_PUSH_TOKEN")
REVIEW_TOKEN = os.environ.get("RAMPART_TEST_REVIEW_TOKEN")


def safetensors(seed, size=4096):
    """A valid safetensors file: one F32 tensor of size/4 values, deterministic per seed."""
    data = hashlib.sha256(str(seed).encode()).digest() * (size // 32)
    header = json.dumps({"weight": {"dtype": "F32", "shape": [size // 4], "data_offsets": [0, size]}}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + data


def write(folder, name, data):
    path = os.path.join(folder, name)
    with open(path, "wb") as stream:
        stream.write(data)
    return path


@unittest.skipUnless(SERVER and PROJECT and PUSH_TOKEN and REVIEW_TOKEN, "RAMPART_TEST_* not set: no server to talk to")
class ServerTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="rampart-client-")
        # Small chunks: every push below is several PATCH requests.
        self.scientist = RampartClient(SERVER, PUSH_TOKEN, chunk_size=1000)
        self.reviewer = RampartClient(SERVER, REVIEW_TOKEN)
        self.artifact = "m-" + uuid.uuid4().hex[:8]

    def tearDown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def test_push_approve_pull_roundtrip(self):
        model = safetensors(1)
        path = write(self.folder, "model.safetensors", model)
        detail = self.scientist.push(PROJECT, self.artifact, "1", path, wait=True)
        self.assertEqual(detail["version"]["state"], "pending-review", detail)
        self.assertEqual(detail["version"]["digest"], "sha256:" + hashlib.sha256(model).hexdigest())
        self.assertEqual(detail["version"]["size"], len(model))

        released = self.reviewer.approve(PROJECT, self.artifact, "1", note="reviewed from python")
        self.assertEqual(released["state"], "released")
        target = os.path.join(self.folder, "pulled.safetensors")
        digest = self.scientist.pull(PROJECT, self.artifact, "1", target)
        with open(target, "rb") as stream:
            self.assertEqual(stream.read(), model)
        self.assertEqual(digest, detail["version"]["digest"])
        self.assertEqual([name for name in os.listdir(self.folder) if name.endswith(".part")], [])

    def test_scientist_cannot_approve_and_unreleased_cannot_be_pulled(self):
        path = write(self.folder, "model.safetensors", safetensors(2))
        self.scientist.push(PROJECT, self.artifact, "1", path, wait=True)
        with self.assertRaises(RampartError) as refused:
            self.scientist.approve(PROJECT, self.artifact, "1")
        self.assertEqual(refused.exception.status, 403)
        with self.assertRaises(RampartError) as pending:
            self.scientist.pull(PROJECT, self.artifact, "1", os.path.join(self.folder, "x"))
        self.assertEqual(pending.exception.status, 409)
        self.assertFalse(os.path.exists(os.path.join(self.folder, "x")))

    def test_hostile_pickle_stays_quarantined_and_cannot_be_approved(self):
        # GLOBAL os.system, then REDUCE: a pickle whose load would run a command (never loaded anywhere here).
        hostile = b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."
        path = write(self.folder, "model.pkl", hostile)
        detail = self.scientist.push(PROJECT, self.artifact, "1", path, wait=True)
        self.assertEqual(detail["version"]["state"], "quarantined")
        self.assertEqual(detail["scan"], "malicious")
        self.assertTrue(detail["findings"])
        with self.assertRaises(RampartError) as refused:
            self.reviewer.approve(PROJECT, self.artifact, "1")
        self.assertEqual(refused.exception.status, 409)

    def test_interrupted_upload_resumes_from_the_server_offset(self):
        model = safetensors(3, size=8192)
        path = write(self.folder, "model.safetensors", model)
        created = self.scientist._json("POST", "/api/v1/projects/%s/uploads" % PROJECT,
                                       {"artifact": self.artifact, "version": "1", "fileName": "model.safetensors", "size": len(model)})
        upload = created["upload"]
        # The first 3000 bytes arrive, then the "connection breaks".
        self.scientist._json("PATCH", "/api/v1/projects/%s/uploads/%s" % (PROJECT, upload), body=model[:3000],
                             headers={"Upload-Offset": "0"})
        self.assertEqual(self.scientist.upload_offset(PROJECT, upload), 3000)
        digest = self.scientist.resume(PROJECT, upload, path)
        self.assertEqual(self.scientist.upload_offset(PROJECT, upload), len(model))
        version = self.scientist.complete(PROJECT, upload, digest)
        self.assertEqual(version["digest"], "sha256:" + hashlib.sha256(model).hexdigest())

    def test_wrong_digest_at_completion_is_refused(self):
        path = write(self.folder, "model.safetensors", safetensors(4))
        created = self.scientist._json("POST", "/api/v1/projects/%s/uploads" % PROJECT,
                                       {"artifact": self.artifact, "version": "1", "fileName": "model.safetensors"})
        self.scientist.resume(PROJECT, created["upload"], path)
        with self.assertRaises(RampartError) as refused:
            self.scientist.complete(PROJECT, created["upload"], "sha256:" + "0" * 64)
        self.assertEqual((refused.exception.status, refused.exception.code), (422, "digest_mismatch"))

    def test_record_run_for_a_pushed_model(self):
        path = write(self.folder, "model.safetensors", safetensors(5))
        version = self.scientist.push(PROJECT, self.artifact, "1", path)
        dataset = "sha256:" + hashlib.sha256(b"training data").hexdigest()
        run = self.scientist.record_run(PROJECT, "run-" + self.artifact, version["digest"], datasets=[dataset],
                                        parameters={"lr": 0.001, "epochs": 3}, metrics={"auc": 0.91},
                                        code_repository="https://git.example/train", code_commit="abc123", builder="unittest")
        self.assertEqual(run["model"], version["digest"])
        self.assertGreater(run["sequence"], 0)
        with self.assertRaises(RampartError) as unknown:
            self.scientist.record_run(PROJECT, "run-x", "sha256:" + "1" * 64)
        self.assertEqual(unknown.exception.status, 404)
        with self.assertRaises(RampartError) as bad:
            self.scientist.record_run(PROJECT, "run-y", version["digest"], datasets=["not-a-digest"])
        self.assertEqual(bad.exception.status, 400)

    def test_bad_token_is_refused(self):
        with self.assertRaises(RampartError) as refused:
            RampartClient(SERVER, "rmp_000000000000_nope").version(PROJECT, "m", "1")
        self.assertEqual(refused.exception.status, 401)


class _LyingServer(http.server.BaseHTTPRequestHandler):
    """Serves bytes with a digest that does not match them."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = b"not what was promised"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Rampart-Digest", "sha256:" + hashlib.sha256(b"something else").hexdigest())
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class OfflineTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="rampart-client-")

    def tearDown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def test_pull_refuses_bytes_that_do_not_match_the_digest_and_writes_nothing(self):
        server = http.server.HTTPServer(("127.0.0.1", 0), _LyingServer)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            folder = self.folder
            client = RampartClient("http://127.0.0.1:%d" % server.server_address[1], "rmp_x_y")
            target = os.path.join(folder, "model.bin")
            with self.assertRaises(RampartError) as refused:
                client.pull("p", "m", "1", target)
            self.assertIn("nothing was written", str(refused.exception))
            self.assertEqual(os.listdir(folder), [])
        finally:
            server.shutdown()
            server.server_close()

    def test_unreachable_server_is_a_rampart_error(self):
        with self.assertRaises(RampartError) as failed:
            RampartClient("http://127.0.0.1:9", "rmp_x_y", timeout=5).version("p", "m", "1")
        self.assertIsNone(failed.exception.status)

    def test_configuration_errors(self):
        saved = {k: os.environ.pop(k, None) for k in ("RAMPART_SERVER", "RAMPART_TOKEN")}
        try:
            with self.assertRaises(ValueError):
                RampartClient("ftp://x", "t")
            with self.assertRaises(ValueError):
                RampartClient("http://x")
        finally:
            for key, value in saved.items():
                if value is not None:
                    os.environ[key] = value

    def test_sha256_file_matches_hashlib(self):
        data = os.urandom(3 << 20)
        self.assertEqual(sha256_file(write(self.folder, "f", data)), "sha256:" + hashlib.sha256(data).hexdigest())


if __name__ == "__main__":
    unittest.main()
