"""Peak resident memory of `rampart scan` on each pickle shape, over the process baseline, as a ratio of file size.

usage: measure.py OUT.md LABEL=path/to/rampart.dll [LABEL=...] -- FILE...
The baseline is the peak RSS of scanning baseline.pkl (a 20-byte pickle) with the same build, so the runtime and the
analyzers' fixed cost cancel out. Each scan runs in its own process; the peak comes from wait4's rusage (ru_maxrss).
"""
import os
import subprocess
import sys


def peak_rss_kib(dll, path):
    proc = subprocess.Popen(["dotnet", dll, "scan", path, "--no-progress", "-f", "json", "-o", os.devnull],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"rampart scan {path} exited {code}")
    return usage.ru_maxrss


def main():
    out = sys.argv[1]
    split = sys.argv.index("--")
    builds = [a.split("=", 1) for a in sys.argv[2:split]]
    files = sys.argv[split + 1:]
    baseline_file = next(f for f in files if os.path.basename(f) == "baseline.pkl")
    runs = int(os.environ.get("RUNS", "3"))
    lines = ["| file | size (MB) | " + " | ".join(f"{label} peak over baseline (MB) | {label} ratio" for label, _ in builds) + " |",
             "|---|---:|" + "---:|---:|" * len(builds)]
    baselines = {label: min(peak_rss_kib(dll, baseline_file) for _ in range(runs)) for label, dll in builds}
    for path in files:
        if path == baseline_file:
            continue
        size = os.path.getsize(path)
        cells = [os.path.basename(path), f"{size / 1e6:.1f}"]
        for label, dll in builds:
            peak = min(peak_rss_kib(dll, path) for _ in range(runs))
            over = (peak - baselines[label]) * 1024
            cells += [f"{over / 1e6:.1f}", f"{over / size:.2f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Baselines (peak RSS scanning a 20-byte pickle): " + ", ".join(f"{label} {baselines[label] / 1024:.0f} MB" for label, _ in builds))
    text = "\n".join(lines) + "\n"
    print(text)
    with open(out, "w") as f:
        f.write(text)


main()
