"""Write plain-data pickles at every protocol this interpreter supports, then read each back and compare.

    pythonX.Y plain_data.py OUTDIR

Runs unchanged on CPython 2.7 and 3.x. Writes OUTDIR/py<major>.<minor>-p<protocol>.pkl and prints one JSON line
per file: {"path", "python", "protocol", "roundtrip"}. Only built-in data types are pickled, so every file should
scan Clean.
"""
import json
import os
import pickle
import sys


def sample():
    return {
        "text": u"plain text \u00e9\u4e2d",
        "ascii": "weights",
        "bytes": b"\x00\x01\x02binary",
        "ints": [0, 1, -1, 255, 256, 65535, -65536, 2 ** 31 - 1, -2 ** 31, 2 ** 63 + 5, -(2 ** 70), 10 ** 30],
        "floats": [0.0, -1.5, 3.141592653589793, 1e300, float("inf")],
        "bools": (True, False),
        "none": None,
        "tuple0": (),
        "tuple1": (1,),
        "tuple3": (1, 2, 3),
        "tuple4": (1, "a", None, 2.5),
        "set": set([1, 2, 3]),
        "frozenset": frozenset([u"a", u"b"]),
        "nested": {"layers": [{"name": u"fc%d" % i, "shape": (i, i + 1), "bias": i % 2 == 0} for i in range(4)],
                   "empty": {}, "empty_list": [], "deep": [[[[u"x"]]]]},
        "shared": None,
    }


def main(out):
    data = sample()
    shared = [1, 2]
    data["shared"] = (shared, shared)  # the same object twice: memo references
    version = "%d.%d" % sys.version_info[:2]
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        path = os.path.join(out, "py%s-p%d.pkl" % (version, protocol))
        with open(path, "wb") as f:
            pickle.dump(data, f, protocol)
        with open(path, "rb") as f:
            back = pickle.load(f)
        print(json.dumps({"path": os.path.basename(path), "python": version, "protocol": protocol, "roundtrip": back == data}))


if __name__ == "__main__":
    main(sys.argv[1])
