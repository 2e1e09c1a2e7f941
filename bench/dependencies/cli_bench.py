#!/usr/bin/env python3
"""End-to-end `rampart audit` times of this checkout's CLI against a reference commit, in one run.

Builds both CLIs in Release (the reference from a detached `git worktree` under /tmp, removed afterwards), imports
the OSV advisories into each one's database (the schema may differ), writes a 2,500-package uv.lock and a one-pin
requirements.txt, then times alternately, after one untimed warm-up of each:

  uv.lock       `rampart audit uv.lock --db osv.db`           (warm database: page cache filled by the warm-up)
  one pin       `rampart audit requirements.txt --db osv.db`
  no database   `rampart audit requirements.txt --no-advisories`

and prints medians and ratios (reference / this checkout). "Pin cost" is one pin minus no database.

Usage (from the repository root):
  python3 bench/dependencies/cli_bench.py [--ref 17dde87] [--runs 7] [--osv ../shared/testdata/osv-pypi/vulns]
"""
import argparse
import glob
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def build(source_root, out):
    run(["dotnet", "build", os.path.join(source_root, "src", "Rampart.Cli"), "-c", "Release", "-o", out, "--nologo", "-v", "q"])
    return os.path.join(out, "rampart.dll")


def write_inputs(osv, folder, packages=2500):
    names, seen = [], set()
    for f in sorted(glob.glob(os.path.join(osv, "**", "*.yaml"), recursive=True)):
        n = os.path.basename(os.path.dirname(f)).lower()
        if n not in seen:
            seen.add(n)
            names.append(n)
    names += [f"bench-filler-{i}" for i in range(max(0, packages - len(names)))]
    names = names[:packages]
    lock_dir = os.path.join(folder, "lock")
    os.makedirs(lock_dir)
    with open(os.path.join(lock_dir, "uv.lock"), "w", encoding="utf-8") as w:
        w.write('version = 1\nrequires-python = ">=3.10"\n\n')
        for k, n in enumerate(names):
            # versions 1.0.0 .. 1.6.0: some inside advisories' ranges, most not
            w.write(f'[[package]]\nname = "{n}"\nversion = "1.{k % 7}.0"\nsource = {{ registry = "https://pypi.org/simple" }}\n'
                    f'sdist = {{ url = "https://files.pythonhosted.org/packages/{n}-1.{k % 7}.0.tar.gz", hash = "sha256:{k:064x}", size = 1000 }}\n'
                    f'wheels = [\n    {{ url = "https://files.pythonhosted.org/packages/{n}-1.{k % 7}.0-py3-none-any.whl", hash = "sha256:{k + 1:064x}", size = 1000 }},\n]\n\n')
    pin_dir = os.path.join(folder, "pin")
    os.makedirs(pin_dir)
    with open(os.path.join(pin_dir, "requirements.txt"), "w", encoding="utf-8") as w:
        w.write("requests==2.19.1\n")
    return os.path.join(lock_dir, "uv.lock"), os.path.join(pin_dir, "requirements.txt"), len(names)


def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(dll, args):
    """Wall-clock seconds and CPU seconds (user + system) of one `rampart audit` run."""
    start, start_cpu = time.perf_counter(), cpu()
    p = subprocess.run(["dotnet", dll, "audit", *args, "--no-progress", "--format", "json", "-o", os.devnull],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed, used = time.perf_counter() - start, cpu() - start_cpu
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{dll} audit {args} exited {p.returncode}: {p.stderr}")
    return elapsed, used


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", default="17dde87")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--osv", default=os.path.join(repo, "..", "shared", "testdata", "osv-pypi", "vulns"))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="rampart-bench-deps-cli-")
    ref_src = os.path.join(work, "ref-src")
    try:
        t = time.perf_counter()
        branch = build(repo, os.path.join(work, "branch"))
        run(["git", "-C", repo, "worktree", "add", "--detach", ref_src, a.ref])
        try:
            ref = build(ref_src, os.path.join(work, "ref"))
        finally:
            run(["git", "-C", repo, "worktree", "remove", "--force", ref_src])
        print(f"built both CLIs (Release) in {time.perf_counter() - t:.0f} s; reference {a.ref}", flush=True)
        lock, pin, count = write_inputs(a.osv, os.path.join(work, "inputs"))
        cases = {
            "uv.lock": lambda db: [lock, "--db", db],
            "one pin": lambda db: [pin, "--db", db],
            "no database": lambda db: [pin, "--no-advisories"],
        }
        clis = {"this": branch, "ref": ref}
        dbs = {}
        for key, dll in clis.items():
            dbs[key] = os.path.join(work, f"{key}.db")
            run(["dotnet", dll, "db", "import", a.osv, "--db", dbs[key]])
        times = {(k, c): [] for k in clis for c in cases}
        for k, dll in clis.items():  # warm-up: JIT-free timing is not the point, page cache and db files are
            for c, args in cases.items():
                timed(dll, args(dbs[k]))
        for _ in range(a.runs):
            for c, args in cases.items():
                for k, dll in clis.items():
                    times[(k, c)].append(timed(dll, args(dbs[k])))
        print(f"inputs: uv.lock with {count} packages; requirements.txt with one pin (requests==2.19.1); {a.runs} runs each, alternated")
        for index, what in ((0, "wall clock"), (1, "CPU (user + system)")):
            med = {key: statistics.median(x[index] for x in v) for key, v in times.items()}
            print(f"\nmedian {what}:")
            print(f"{'case':<14}{'this (s)':>10}{'ref (s)':>10}{'ref/this':>10}")
            for c in cases:
                print(f"{c:<14}{med[('this', c)]:>10.3f}{med[('ref', c)]:>10.3f}{med[('ref', c)] / med[('this', c)]:>9.1f}x")
            pin_this = med[("this", "one pin")] - med[("this", "no database")]
            pin_ref = med[("ref", "one pin")] - med[("ref", "no database")]
            ratio = f"{pin_ref / pin_this:>9.1f}x" if pin_this > 0 else "      n/a"
            print(f"{'pin cost':<14}{pin_this:>10.3f}{pin_ref:>10.3f}{ratio}")
        print("\nruns (wall s / CPU s):")
        for key, v in sorted(times.items()):
            print(f"  {key[0]:<5}{key[1]:<12}" + ", ".join(f"{w:.3f}/{c:.3f}" for w, c in v))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
