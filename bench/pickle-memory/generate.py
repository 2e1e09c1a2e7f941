"""Writes the pickle shapes the memory benchmark scans into the folder given as argv[1] (about 27 MB each).

Run with Debian's /usr/bin/python3 (numpy). Every file is plain data: nothing in them runs code when loaded.
"""
import os
import pickle
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
TARGET = 27 * 1024 * 1024


def write(name, obj, protocol):
    with open(os.path.join(out, name), "wb") as f:
        pickle.dump(obj, f, protocol=protocol)


# Big numpy arrays, in-band, protocol 4 (BINBYTES) and 5 (BYTEARRAY8/BINBYTES8 inside frames).
arrays = {"layer%d" % i: np.random.RandomState(i).rand(TARGET // 8 // 6) for i in range(6)}
write("numpy-arrays-p4.pkl", arrays, 4)
write("numpy-arrays-p5.pkl", arrays, 5)
# Many distinct small strings: each one is memoised by the pickler.
write("small-strings-p4.pkl", ["s%07d" % i for i in range(TARGET // 13)], 4)
write("small-strings-p2.pkl", ["s%07d" % i for i in range(TARGET // 16)], 2)
# Deep nesting: many records, each a few containers deep (tuples, lists, dicts, all memoised).
write("deep-nesting-p4.pkl", [{"k": [(i, [i + 1, (i + 2, {"v": [i]})])]} for i in range(TARGET // 40)], 4)
# One large dict of str -> float.
write("large-dict-p4.pkl", {"key%d" % i: float(i) for i in range(TARGET // 22)}, 4)
# A tiny pickle for the process baseline.
write("baseline.pkl", {"a": 1}, 4)
