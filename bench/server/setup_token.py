"""Prints an API token (read, push) for a fresh project on a fresh server: signs in as the first administrator,
enrols TOTP (RFC 6238, computed here), creates the project and the token. Standard library only."""

import base64
import hashlib
import hmac
import http.client
import json
import struct
import sys
import time
import urllib.parse


def totp(secret_base32, at):
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def main():
    url, password, project = sys.argv[1], sys.argv[2], sys.argv[3]
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    state = {"cookie": None, "csrf": None}

    def call(method, path, body):
        headers = {"Content-Type": "application/json"}
        if state["cookie"]:
            headers["Cookie"] = state["cookie"]
        if state["csrf"]:
            headers["X-CSRF-Token"] = state["csrf"]
        connection.request(method, path, body=json.dumps(body).encode(), headers=headers)
        response = connection.getresponse()
        text = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                state["cookie"] = value.split(";")[0]
        if response.status not in (200, 201):
            raise SystemExit("%s %s -> %d %s" % (method, path, response.status, text[:300]))
        answer = json.loads(text)
        if isinstance(answer, dict) and "csrfToken" in answer:
            state["csrf"] = answer["csrfToken"]
        return answer

    call("POST", "/api/v1/auth/login", {"userName": "admin", "password": password})
    secret = call("POST", "/api/v1/account/mfa/enroll", {})["secret"]
    call("POST", "/api/v1/account/mfa/confirm", {"code": totp(secret, time.time())})
    call("POST", "/api/v1/projects", {"name": project})
    print(call("POST", "/api/v1/tokens", {"name": "bench", "project": project, "operations": ["read", "push"]})["token"])


if __name__ == "__main__":
    main()
