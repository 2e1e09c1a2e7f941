"""Times `rampart scan` against `cat` over the same standard-library .py files (see run.sh)."""
import glob
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone


def stdlib_roots():
    roots = sorted(glob.glob("/usr/lib/python3.*"))
    roots += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/lib/python3.*")))
    return [r for r in roots if os.path.isdir(r) and not os.path.islink(r)]


def build_farm(work):
    if os.path.isdir(work):
        shutil.rmtree(work)
    files = 0
    size = 0
    roots = stdlib_roots()
    for root in roots:
        label = root.strip("/").replace("/", "_")
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in ("site-packages", "dist-packages", "__pycache__")]
            for name in names:
                if not name.endswith(".py"):
                    continue
                source = os.path.join(folder, name)
                if not os.path.isfile(source):
                    continue
                target = os.path.join(work, label, os.path.relpath(source, root))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.symlink(source, target)
                files += 1
                size += os.path.getsize(source)
    return roots, files, size


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, shell=True, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    dll, work, results, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    roots, files, size = build_farm(work)
    report_json = os.path.join(os.path.dirname(work), "code-stdlib-report.json")
    rampart = f"dotnet {dll} scan {work} --no-progress -f json -o {report_json}"
    cat = f"find -L {work} -type f -name '*.py' -print0 | xargs -0 cat > /dev/null"
    timed(cat)
    if os.environ.get("WARMUP", "0") == "1":
        timed(rampart)
    times = {"rampart": [], "cat": []}
    for _ in range(runs):
        times["cat"].append(timed(cat))
        times["rampart"].append(timed(rampart))
    with open(report_json) as f:
        report = json.load(f)
    artifacts = report.get("artifacts", [])
    parsed = [a for a in artifacts if "python" in a.get("formats", [])]
    errors = sum(1 for a in parsed if a.get("facts", {}).get("python.parse-errors", "0") != "0")
    findings = report.get("findings", [])
    by_rule = {}
    for f in findings:
        by_rule[f["ruleId"]] = by_rule.get(f["ruleId"], 0) + 1
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    os.makedirs(results, exist_ok=True)
    out = os.path.join(results, f"{date}-code.md")
    with open(out, "w") as f:
        f.write(f"# Code review benchmark ({date})\n\n")
        f.write("Machine: 2-core build box (note here whether other jobs were running), "
                f"{platform.platform()}, {os.cpu_count()} CPUs. Figures are ratios within this run.\n\n")
        f.write(f"Command: `RUNS={runs} WARMUP={os.environ.get('WARMUP', '0')} bench/code/run.sh` (cat is always warmed up once; the page cache is warm for both)\n\n")
        f.write(f"Input: {files:,} standard-library .py files ({size / 1e6:.1f} MB) of {len(roots)} Pythons: "
                + ", ".join(roots) + "\n\n")
        f.write("| command | runs (s) | median (s) | files/s |\n|---|---|---|---|\n")
        f.write(f"| `{rampart}` | {', '.join(f'{t:.2f}' for t in times['rampart'])} | {med['rampart']:.2f} | {files / med['rampart']:,.0f} |\n")
        f.write(f"| `{cat}` | {', '.join(f'{t:.2f}' for t in times['cat'])} | {med['cat']:.2f} | {files / med['cat']:,.0f} |\n\n")
        f.write(f"**Rampart / cat = {med['rampart'] / med['cat']:.1f}** (Rampart includes process start-up, JIT and rule loading).\n\n")
        f.write(f"What Rampart did: {len(parsed):,} artifacts read by the `python` analyzer, {errors} with parse errors "
                f"({100.0 * (len(parsed) - errors) / max(1, len(parsed)):.2f}% parsed cleanly); {len(findings):,} findings: "
                + ", ".join(f"{k} {v}" for k, v in sorted(by_rule.items())) + ".\n")
    print(open(out).read())


if __name__ == "__main__":
    main()
