#!/usr/bin/python3
"""Generates the benchmark inputs under bench/work/ (git-ignored). Inert data only: nothing here is executable.

  big-p2.pkl, big-p4.pkl   ~100 MB pickles with millions of opcodes (protocols 2 and 4)
  torch-4mib.pt, torch-4gib.pt   PyTorch zip checkpoints (ZIP_STORED) with the same data.pkl and a 4 MiB / 4 GiB storage
  many/                    10,000 small model files: pickles, .npy arrays, PyTorch zips

Each output is written only if missing (delete bench/work to regenerate).
"""
import io
import os
import pickle
import random
import sys
import zipfile

WORK = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "work")
os.makedirs(WORK, exist_ok=True)


def big_object(scale):
    rng = random.Random(1)
    rows = []
    for i in range(scale):
        rows.append((i, i * 0.5, "s%d" % (i % 5000), (rng.randrange(1 << 20), (i & 255, -i)), [i, i + 1, None, True]))
    return {"rows": rows, "index": {("k%d" % i): i for i in range(scale // 4)}, "floats": [i / 7.0 for i in range(scale)]}


def write_big(path, protocol, target_bytes=100 * 1000 * 1000):
    if os.path.exists(path):
        return
    data = pickle.dumps(big_object(100_000), protocol=protocol)
    scale = int(100_000 * target_bytes / len(data))
    with open(path, "wb") as f:
        pickle.dump(big_object(scale), f, protocol=protocol)


def torch_like_pickle():
    """The data.pkl that torch.save writes for {"weight": zeros(1024)}; both checkpoints reuse these exact bytes."""
    import torch  # only to produce real torch.save bytes; the tensor is zeros
    buf = io.BytesIO()
    torch.save({"weight": torch.zeros(1024)}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        name = next(n for n in z.namelist() if n.endswith("data.pkl"))
        return z.read(name)


def write_torch(path, pickle_bytes, storage_bytes):
    if os.path.exists(path) and os.path.getsize(path) >= storage_bytes:
        return
    chunk = bytes(16 * 1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/byteorder", b"little")
        with z.open("archive/data/0", "w", force_zip64=True) as member:
            left = storage_bytes
            while left > 0:
                n = min(left, len(chunk))
                member.write(chunk[:n])
                left -= n
        z.writestr("archive/version", b"3\n")


def write_many(folder, pickle_bytes, count=10_000):
    if os.path.isdir(folder) and len(os.listdir(folder)) >= count:
        return
    import numpy as np
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(2)
    for i in range(count):
        kind = i % 3
        if kind == 0:
            obj = {"step": i, "lr": rng.random(), "names": ["layer%d" % j for j in range(rng.randrange(1, 40))], "shape": (i % 7, 3)}
            with open(os.path.join(folder, "m%05d.pkl" % i), "wb") as f:
                pickle.dump(obj, f, protocol=2 + i % 4)
        elif kind == 1:
            np.save(os.path.join(folder, "a%05d.npy" % i), np.arange(rng.randrange(1, 512), dtype=np.float32))
        else:
            with zipfile.ZipFile(os.path.join(folder, "t%05d.pt" % i), "w", compression=zipfile.ZIP_STORED) as z:
                z.writestr("archive/data.pkl", pickle_bytes)
                z.writestr("archive/byteorder", b"little")
                z.writestr("archive/data/0", bytes(4096))
                z.writestr("archive/version", b"3\n")


if __name__ == "__main__":
    write_big(os.path.join(WORK, "big-p2.pkl"), 2)
    write_big(os.path.join(WORK, "big-p4.pkl"), 4)
    data_pkl = torch_like_pickle()
    write_torch(os.path.join(WORK, "torch-4mib.pt"), data_pkl, 4 * 1024 * 1024)
    write_torch(os.path.join(WORK, "torch-4gib.pt"), data_pkl, 4 * 1024 * 1024 * 1024)
    write_many(os.path.join(WORK, "many"), data_pkl)
    for name in sorted(os.listdir(WORK)):
        p = os.path.join(WORK, name)
        print("%-16s %s" % (name, ("%d files" % len(os.listdir(p))) if os.path.isdir(p) else ("%d bytes" % os.path.getsize(p))))
