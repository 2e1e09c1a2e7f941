"""An independent C2SP signed-note / tlog-checkpoint tool for Rampart's interoperability tests.

Written from the specifications (c2sp.org/signed-note, c2sp.org/tlog-checkpoint), not from Rampart's code, with
the `cryptography` package for Ed25519. Two commands:

  verify VKEY_FILE NOTE_FILE   check NOTE_FILE against the verifier key "name+hexid+base64(0x01||key)";
                               prints "ok ORIGIN SIZE ROOT_HEX" (exit 0) or "invalid: REASON" (exit 1)
  sign NAME TEXT_FILE NOTE_OUT VKEY_OUT
                               make a fresh Ed25519 key named NAME, sign the text of TEXT_FILE, write the signed
                               note to NOTE_OUT and the verifier key to VKEY_OUT
"""

import base64
import hashlib
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

EM_DASH = "\u2014"
ED25519 = 0x01


class Invalid(Exception):
    pass


def key_id(name, type_byte, key):
    # SHA-256(key name || 0x0A || signature type || public key), first four bytes, big-endian.
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([type_byte]) + key).digest()
    return struct.unpack(">I", digest[:4])[0]


def parse_vkey(text):
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise Invalid("verifier key is not name+id+key")
    name, hex_id, b64 = parts
    if not name or any(c.isspace() for c in name) or len(hex_id) != 8:
        raise Invalid("bad verifier key name or id")
    raw = base64.b64decode(b64, validate=True)
    if len(raw) != 33 or raw[0] != ED25519:
        raise Invalid("verifier key is not an Ed25519 key")
    if key_id(name, ED25519, raw[1:]) != int(hex_id, 16):
        raise Invalid("verifier key id does not match")
    return name, int(hex_id, 16), Ed25519PublicKey.from_public_bytes(raw[1:])


def verify(vkey_text, note):
    name, kid, public = parse_vkey(vkey_text)
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise Invalid("control characters")
    if not note.endswith("\n"):
        raise Invalid("no final newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise Invalid("no blank line before the signatures")
    text, signature_block = note[: cut + 1], note[cut + 2 :]
    known = 0
    for line in signature_block[:-1].split("\n"):
        if not line.startswith(EM_DASH + " "):
            raise Invalid("signature line does not start with an em dash")
        fields = line[2:].split(" ")
        if len(fields) != 2:
            raise Invalid("signature line is not 'name signature'")
        blob = base64.b64decode(fields[1], validate=True)
        if len(blob) < 5:
            raise Invalid("signature too short")
        if fields[0] != name or struct.unpack(">I", blob[:4])[0] != kid:
            continue  # a signature by a key this verifier does not know is ignored
        known += 1
        try:
            public.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise Invalid("the signature by the known key does not verify")
    if known == 0:
        raise Invalid("no signature by the known key")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise Invalid("checkpoint body needs origin, size and root")
    origin, size, root_b64 = lines[0], lines[1], lines[2]
    if not origin or not size.isdigit() or (len(size) > 1 and size[0] == "0"):
        raise Invalid("bad origin or size line")
    root = base64.b64decode(root_b64, validate=True)
    if len(root) != 32:
        raise Invalid("root hash is not 32 bytes")
    return origin, int(size), root


def sign(name, text):
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    kid = key_id(name, ED25519, raw)
    signature = private.sign(text.encode("utf-8"))
    note = text + "\n" + EM_DASH + " " + name + " " + base64.b64encode(struct.pack(">I", kid) + signature).decode() + "\n"
    vkey = "%s+%08x+%s" % (name, kid, base64.b64encode(bytes([ED25519]) + raw).decode())
    return note, vkey


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def main(argv):
    if len(argv) == 4 and argv[1] == "verify":
        try:
            origin, size, root = verify(read(argv[2]), read(argv[3]))
        except (Invalid, ValueError) as e:
            print("invalid: %s" % e)
            return 1
        print("ok %s %d %s" % (origin, size, root.hex()))
        return 0
    if len(argv) == 6 and argv[1] == "sign":
        note, vkey = sign(argv[2], read(argv[3]))
        write(argv[4], note)
        write(argv[5], vkey + "\n")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
