"""Times `rampart scan` (this build), `rampart scan` (a reference build, e.g. today's main) and Bandit over the same
Python files, in the same run, and writes bench/results/<date>-code-vs-bandit.md.

  python3 bench/code/compare.py --new NEW/rampart.dll --main MAIN/rampart.dll --folder DIR [--runs 3]

Bandit is Debian's python3-bandit (`bandit -r DIR -f json`); it reads .py files only, so the file count is the .py
files of DIR (Rampart also reads the notebooks there: their count is given). Every tool runs as a user runs it,
process start-up included; the page cache is warm for all (one untimed warm-up run each).
"""
import argparse
import json
import os
import platform
import subprocess
import time
from datetime import datetime, timezone


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--new", required=True)
    ap.add_argument("--main", required=True)
    ap.add_argument("--folder", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    py = sum(1 for root, _, names in os.walk(args.folder) for n in names if n.endswith(".py"))
    nb = sum(1 for root, _, names in os.walk(args.folder) for n in names if n.endswith(".ipynb"))
    size = sum(os.path.getsize(os.path.join(root, n)) for root, _, names in os.walk(args.folder) for n in names if n.endswith(".py"))
    work = "/tmp/rampart-code-compare"
    os.makedirs(work, exist_ok=True)
    commands = {
        "rampart (this build)": ["dotnet", args.new, "scan", args.folder, "--no-progress", "-f", "json", "-o", f"{work}/new.json"],
        "rampart (main)": ["dotnet", args.main, "scan", args.folder, "--no-progress", "-f", "json", "-o", f"{work}/main.json"],
        "bandit": ["bandit", "-r", args.folder, "-q", "-f", "json", "-o", f"{work}/bandit.json"],
    }
    for command in commands.values():
        timed(command)
    times = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(timed(command))
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    with open(f"{work}/bandit.json") as f:
        bandit = json.load(f)
    bandit_files = len(bandit.get("metrics", {})) - 1 if "metrics" in bandit else py
    counts = {}
    for name in ("new", "main"):
        with open(f"{work}/{name}.json") as f:
            report = json.load(f)
        counts[name] = len([x for x in report["findings"] if not x["ruleId"].startswith("RAMP-GEN")])
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "results", f"{date}-code-vs-bandit.md")
    with open(out, "w") as f:
        f.write(f"# Code review speed: Rampart against Bandit and against main ({date})\n\n")
        f.write(f"Machine: shared 2-core build box (other helpers were building at the same time), {platform.platform()}. "
                "Figures are medians and ratios within this one run.\n\n")
        f.write(f"Command: `python3 bench/code/compare.py --new ... --main ... --folder {args.folder} --runs {args.runs}`\n\n")
        f.write(f"Input: {py:,} .py files ({size / 1e6:.1f} MB) and {nb} notebooks (Rampart only; Bandit reads .py). "
                f"Bandit {subprocess.run(['bandit', '--version'], capture_output=True, text=True).stdout.splitlines()[0]} judged {bandit_files:,} files and reported {len(bandit.get('results', []))} issues; "
                f"Rampart reported {counts['new']} findings (main: {counts['main']}).\n\n")
        f.write("| tool | runs (s) | median (s) | .py files / s | vs Bandit |\n|---|---|---:|---:|---:|\n")
        for name in commands:
            runs = ", ".join(f"{t:.2f}" for t in times[name])
            f.write(f"| {name} | {runs} | {med[name]:.2f} | {py / med[name]:,.0f} | {med['bandit'] / med[name]:.2f}x |\n")
        f.write(f"\nThis build against main: {med['rampart (main)'] / med['rampart (this build)']:.2f}x (above 1 is faster).\n")
    print(open(out).read())


if __name__ == "__main__":
    main()
