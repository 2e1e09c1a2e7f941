"""A small client for `rampart server` (docs/server.md), standard library only.

Training scripts push models, record the runs that made them, pull released versions (the digest is checked
before the file appears) and approve or reject versions. The token is read from RAMPART_TOKEN unless given.

    from rampart_client import RampartClient
    client = RampartClient("https://rampart.example")           # token from $RAMPART_TOKEN
    version = client.push("fraud", "scorer", "2.0", "model.safetensors", wait=True)
    client.record_run("fraud", "run-42", version["digest"], metrics={"auc": 0.91})
"""

import hashlib
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["RampartClient", "RampartError", "sha256_file"]

_READ_BLOCK = 1 << 20


class RampartError(Exception):
    """The server refused (status and its error code) or could not be reached (status None)."""

    def __init__(self, message, status=None, code=None):
        super().__init__(message)
        self.status = status
        self.code = code


def sha256_file(path):
    """The registry's digest of a file: "sha256:" and 64 lower-case hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(_READ_BLOCK), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _quote(name):
    return urllib.parse.quote(name, safe="")


class RampartClient:
    """One server, one API token. Every method raises RampartError on a refusal or a network failure."""

    def __init__(self, server=None, token=None, chunk_size=8 << 20, timeout=120, retries=3):
        server = server or os.environ.get("RAMPART_SERVER")
        token = token or os.environ.get("RAMPART_TOKEN")
        if not server or urllib.parse.urlsplit(server).scheme not in ("http", "https"):
            raise ValueError("name the server (http:// or https://) or set RAMPART_SERVER")
        if not token:
            raise ValueError("give an API token or set RAMPART_TOKEN")
        if chunk_size <= 0 or retries < 0:
            raise ValueError("chunk_size must be positive and retries not negative")
        self.server = server.rstrip("/")
        self._token = token.strip()
        self.chunk_size = chunk_size
        self.timeout = timeout
        self.retries = retries

    # -- HTTP -----------------------------------------------------------------------------------------------------

    def _open(self, method, path, body=None, headers=None):
        request = urllib.request.Request(self.server + path, data=body, method=method)
        request.add_header("Authorization", "Bearer " + self._token)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            with error:
                text = error.read(1 << 20).decode("utf-8", "replace")
            try:
                answer = json.loads(text)
            except ValueError:
                answer = {}
            if not isinstance(answer, dict):
                answer = {}
            raise RampartError("server answered %d: %s" % (error.code, answer.get("message") or error.reason),
                               status=error.code, code=answer.get("error")) from None
        except (urllib.error.URLError, OSError) as error:
            raise RampartError("cannot reach the server: %s" % getattr(error, "reason", error)) from None

    def _json(self, method, path, payload=None, body=None, headers=None):
        headers = dict(headers or {})
        if payload is not None:
            body = json.dumps(payload).encode("utf-8")
            headers["Content-Type"] = "application/json"
        with self._open(method, path, body, headers) as response:
            text = response.read().decode("utf-8")
        return json.loads(text) if text else {}

    # -- Registry -------------------------------------------------------------------------------------------------

    @staticmethod
    def _project(project):
        return "/api/v1/projects/" + _quote(project)

    def _version_path(self, project, artifact, version):
        return "%s/artifacts/%s/versions/%s" % (self._project(project), _quote(artifact), _quote(version))

    def push(self, project, artifact, version, path, kind="model", signature=None, requirements=None, wait=False, poll=0.5):
        """Uploads a file in chunks (resuming from the server's offset after a failed chunk) and completes it with
        its digest. With wait=True returns the version detail after the server's gate, else the new version."""
        size = os.path.getsize(path)
        created = self._json("POST", self._project(project) + "/uploads",
                             {"artifact": artifact, "kind": kind, "version": version,
                              "fileName": os.path.basename(path), "size": size})
        upload = created["upload"]
        digest = self._send(project, upload, path, size)
        upload_path = "%s/uploads/%s" % (self._project(project), _quote(upload))
        for what, attachment in (("signature", signature), ("requirements", requirements)):
            if attachment is not None:
                with open(attachment, "rb") as stream:
                    self._json("PUT", upload_path + "/" + what, body=stream.read(1 << 20))
        result = self._json("POST", upload_path + "/complete", {"digest": digest})
        return self.wait_for_gate(project, artifact, version, poll) if wait else result

    def resume(self, project, upload, path):
        """Sends the rest of an interrupted upload from the offset the server holds; returns the file's digest.
        Complete it with complete(project, upload, digest)."""
        return self._send(project, upload, path, os.path.getsize(path))

    def complete(self, project, upload, digest):
        return self._json("POST", "%s/uploads/%s/complete" % (self._project(project), _quote(upload)), {"digest": digest})

    def upload_offset(self, project, upload):
        """Bytes of the upload the server holds: where the next chunk starts."""
        return self._json("GET", "%s/uploads/%s" % (self._project(project), _quote(upload)))["offset"]

    def _send(self, project, upload, path, size):
        upload_path = "%s/uploads/%s" % (self._project(project), _quote(upload))
        offset = self.upload_offset(project, upload)
        failures = 0
        with open(path, "rb") as stream:
            while offset < size:
                stream.seek(offset)
                chunk = stream.read(min(self.chunk_size, size - offset))
                try:
                    answer = self._json("PATCH", upload_path, body=chunk,
                                        headers={"Upload-Offset": str(offset), "Content-Type": "application/octet-stream"})
                    offset = answer["offset"]
                except RampartError as error:
                    # A broken connection or a chunk the server holds already: ask where it stands and go on from there.
                    if failures >= self.retries or (error.status is not None and error.code not in ("offset_mismatch", "conflict")):
                        raise
                    failures += 1
                    time.sleep(0.2 * failures)
                    offset = self.upload_offset(project, upload)
        return sha256_file(path)

    def version(self, project, artifact, version):
        """The version's detail: state, gate results, findings, approvals."""
        return self._json("GET", self._version_path(project, artifact, version))

    def wait_for_gate(self, project, artifact, version, poll=0.5, timeout=600):
        deadline = time.monotonic() + timeout
        while True:
            detail = self.version(project, artifact, version)
            if detail["version"]["state"] != "scanning":
                return detail
            if time.monotonic() > deadline:
                raise RampartError("the gate did not finish within %d seconds" % timeout)
            time.sleep(poll)

    def approve(self, project, artifact, version, note=None):
        """Releases a version (a security reviewer who is not its uploader; needs the review operation)."""
        return self._json("POST", self._version_path(project, artifact, version) + "/approve", {"note": note})

    def reject(self, project, artifact, version, note=None):
        return self._json("POST", self._version_path(project, artifact, version) + "/reject", {"note": note})

    def pull(self, project, artifact, version, destination):
        """Downloads a released version beside destination, checks its SHA-256 against the digest the server
        names, then renames it into place; on a mismatch nothing is written. Returns the digest."""
        with self._open("GET", self._version_path(project, artifact, version) + "/content") as response:
            expected = response.headers.get("X-Rampart-Digest")
            if not expected:
                raise RampartError("the server sent no digest")
            folder = os.path.dirname(os.path.abspath(destination))
            handle, temp = tempfile.mkstemp(prefix=".rampart-", suffix=".part", dir=folder)
            try:
                digest = hashlib.sha256()
                with os.fdopen(handle, "wb") as out:
                    for block in iter(lambda: response.read(_READ_BLOCK), b""):
                        digest.update(block)
                        out.write(block)
                actual = "sha256:" + digest.hexdigest()
                if actual != expected:
                    raise RampartError("downloaded bytes have digest %s, the server promised %s; nothing was written" % (actual, expected))
                os.replace(temp, destination)
                return actual
            finally:
                if os.path.exists(temp):
                    os.remove(temp)

    # -- Provenance -----------------------------------------------------------------------------------------------

    def record_run(self, project, run_id, model, datasets=(), parameters=None, metrics=None, base_model=None,
                   code_repository=None, code_commit=None, builder=None):
        """Records a training run in the server's ledger. model is the digest of a version of the project (push it
        first); datasets and base_model are digests; parameters are text, metrics numbers."""
        return self._json("POST", self._project(project) + "/runs", {
            "runId": run_id,
            "model": model,
            "datasets": list(datasets),
            "baseModel": base_model,
            "codeRepository": code_repository,
            "codeCommit": code_commit,
            "parameters": {str(k): str(v) for k, v in (parameters or {}).items()},
            "metrics": {str(k): float(v) for k, v in (metrics or {}).items()},
            "builder": builder,
        })
