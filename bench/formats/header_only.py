#!/usr/bin/python3
"""Header-only benchmark for safetensors and GGUF: scans a 4 GiB file and a 4 MiB file of the same format with the
built `rampart` and reports the ratio of the medians, measured alternately in the same run. The 4 GiB files are sparse
(header written, then extended with truncate), so no 4 GiB of real writes happen; the 4 MiB files are written in full.
Rampart must judge both from the header alone: the 4 GiB time must stay within 1.5x of the 4 MiB time.

Usage: header_only.py RAMPART_DLL WORK_DIR RESULT_MD     (RUNS=7 by default)
"""
import datetime
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import time

RAMPART, WORK, RESULT = sys.argv[1], sys.argv[2], sys.argv[3]
RUNS = int(os.environ.get("RUNS", "7"))
GIB, MIB = 1024 ** 3, 1024 ** 2


def safetensors(path, data_bytes, sparse):
    header = json.dumps({"__metadata__": {"format": "pt"},
                         "weight": {"dtype": "U8", "shape": [data_bytes], "data_offsets": [0, data_bytes]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header)
        if sparse:
            f.truncate(8 + len(header) + data_bytes)
        else:
            f.write(os.urandom(data_bytes))


def gguf(path, data_bytes, sparse):
    def s(text):
        b = text.encode()
        return struct.pack("<Q", len(b)) + b
    meta = [("general.architecture", s("llama")), ("general.name", s("bench")), ("llama.context_length", None)]
    out = b"GGUF" + struct.pack("<IQQ", 3, 1, len(meta))
    for key, value in meta:
        out += s(key) + (struct.pack("<II", 4, 4096) if value is None else struct.pack("<I", 8) + value)
    out += s("weight") + struct.pack("<I", 1) + struct.pack("<Q", data_bytes) + struct.pack("<IQ", 24, 0)  # I8, offset 0
    out += b"\0" * (-len(out) % 32)
    with open(path, "wb") as f:
        f.write(out)
        if sparse:
            f.truncate(len(out) + data_bytes)
        else:
            f.write(os.urandom(data_bytes))


def scan(path):
    command = ["dotnet", RAMPART, "scan", "--no-progress", "-f", "json", "-o", os.devnull, path]
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit("rampart did not call %s clean (exit %d): %s" % (path, done.returncode, done.stderr.decode(errors="replace")[-2000:]))
    return elapsed


os.makedirs(WORK, exist_ok=True)
pairs = []
for fmt, writer, ext in (("safetensors", safetensors, "safetensors"), ("gguf", gguf, "gguf")):
    small, big = os.path.join(WORK, "small." + ext), os.path.join(WORK, "big." + ext)
    writer(small, 4 * MIB, sparse=False)
    writer(big, 4 * GIB, sparse=True)
    allocated = os.stat(big).st_blocks * 512
    scan(small), scan(big)  # warm-up (also proves both are Clean: exit 0)
    s, b = [], []
    for i in range(RUNS):
        s.append(scan(small))
        b.append(scan(big))
        print("%s run %d: 4 MiB %.3f s, 4 GiB %.3f s" % (fmt, i + 1, s[-1], b[-1]), flush=True)
    pairs.append((fmt, os.path.getsize(small), os.path.getsize(big), allocated, statistics.median(s), statistics.median(b), s, b))

lines = ["# Header-only scans: 4 GiB vs 4 MiB (safetensors, GGUF)", "",
         "Date: %s. Machine: %s, %s, %d CPUs, **shared with six other build/test jobs** (noisy; only the ratio is meaningful)." % (
             datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), platform.platform(), platform.processor() or "unknown CPU", os.cpu_count()),
         "", "Command: `python3 bench/formats/header_only.py src/Rampart.Cli/bin/Release/net10.0/rampart.dll bench/work/formats bench/results/2026-11-22-formats.md` (RUNS=%d, alternating, after one warm-up each; each run is `dotnet rampart.dll scan --no-progress -f json -o /dev/null FILE`, so process start-up is included)." % RUNS,
         "", "The 4 GiB files are sparse (header written, then `truncate`); the 4 MiB files are written in full with random bytes. Both scans exit 0 (Clean).",
         "", "| Format | 4 MiB file | 4 GiB file (allocated on disk) | median 4 MiB | median 4 GiB | ratio 4 GiB / 4 MiB | within 1.5x |", "|---|---|---|---|---|---|---|"]
for fmt, ss, bs, alloc, ms, mb, s, b in pairs:
    lines.append("| %s | %d B | %d B (%d B) | %.3f s | %.3f s | %.2f | %s |" % (fmt, ss, bs, alloc, ms, mb, mb / ms, "yes" if mb / ms <= 1.5 else "NO"))
lines += ["", "All runs (seconds):", ""]
for fmt, ss, bs, alloc, ms, mb, s, b in pairs:
    lines.append("- %s 4 MiB: %s" % (fmt, ", ".join("%.3f" % x for x in s)))
    lines.append("- %s 4 GiB: %s" % (fmt, ", ".join("%.3f" % x for x in b)))
open(RESULT, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
for fmt, ss, bs, alloc, ms, mb, s, b in pairs:
    if mb / ms > 1.5:
        raise SystemExit("%s: the 4 GiB scan took %.2fx the 4 MiB scan" % (fmt, mb / ms))
