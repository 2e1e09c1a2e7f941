#!/usr/bin/python3
"""Times each benchmark pair (Rampart against a reference command, interleaved, same run) and writes
bench/results/<date>.md with the machine, the commands, the medians and the ratios.

Usage: measure.py RAMPART_DLL WORK_DIR RESULTS_DIR   (bench/run.sh calls it; RUNS / SLOW_RUNS set repetitions)
"""
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time

RAMPART, WORK, RESULTS = sys.argv[1], sys.argv[2], sys.argv[3]
RUNS = int(os.environ.get("RUNS", "5"))
SLOW_RUNS = int(os.environ.get("SLOW_RUNS", "3"))
ONLY = set(filter(None, os.environ.get("ONLY", "").split(",")))
# rampart exits 0 clean, 1 findings, 2 inconclusive: all are completed scans. 3 and 70 are errors.
SCAN_OK = {0, 1, 2}


def rampart(*paths):
    return ["dotnet", RAMPART, "scan", "--no-progress", "-f", "json", "-o", os.devnull, *paths]


CPU = {}  # command -> CPU seconds (user + system) of each timed run, from wait4's rusage


def run_once(command, shell=False):
    started = time.perf_counter()
    proc = subprocess.Popen(command, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode not in SCAN_OK:
        raise SystemExit("command failed (%d): %s\n%s" % (proc.returncode, command, stderr.decode(errors="replace")[-2000:]))
    CPU.setdefault(str(command), []).append(usage.ru_utime + usage.ru_stime)
    return elapsed


def pair(name, target, subject, reference, runs, ratio_of, reference_shell=False, warm_reference=True, warm_files=()):
    """Runs subject and reference alternately `runs` times after one untimed warm-up each; returns the medians.
    A reference that takes minutes is not warmed up by running it; its input files are read once instead."""
    if ONLY and name not in ONLY:
        return None
    print("== %s (%d runs)" % (name, runs), flush=True)
    for f in warm_files:
        subprocess.run(["cat", f], stdout=subprocess.DEVNULL, check=True)
    run_once(subject)
    if warm_reference:
        run_once(reference, reference_shell)
    s, r = [], []
    for i in range(runs):
        s.append(run_once(subject))
        r.append(run_once(reference, reference_shell))
        print("   run %d: rampart %.3f s, reference %.3f s" % (i + 1, s[-1], r[-1]), flush=True)
    ms, mr = statistics.median(s), statistics.median(r)
    ratio = ratio_of(ms, mr)
    # CPU time (user + system, children included) of the timed runs: on a shared machine it moves far less than wall time.
    cs, cr = CPU[str(subject)][-runs:], CPU[str(reference)][-runs:]
    return {"name": name, "target": target, "subject": subject, "reference": reference, "runs": runs,
            "subject_median": ms, "reference_median": mr, "subject_all": s, "reference_all": r, "ratio": ratio,
            "subject_cpu": cs, "reference_cpu": cr, "cpu_ratio": ratio_of(statistics.median(cs), statistics.median(cr))}


def what_rampart_saw(path):
    """One extra scan with a JSON report: which analyzers understood what, and the verdict (shows the benchmark did real work)."""
    out = os.path.join(WORK, "last-report.json")
    subprocess.run(["dotnet", RAMPART, "scan", "--no-progress", "-f", "json", "-o", out, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with open(out, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError):
        return "no JSON report"
    formats = {}
    for artifact in report.get("artifacts", []):
        for fmt in artifact.get("formats", []) or ["(none)"]:
            formats[fmt] = formats.get(fmt, 0) + 1
    rules = {}
    for finding in report.get("findings", []):
        rules[finding.get("ruleId")] = rules.get(finding.get("ruleId"), 0) + 1
    verdict = report.get("verdict") or report.get("summary", {}).get("verdict")
    return "verdict %s; artifacts by analyzer %s; findings %s" % (verdict, json.dumps(formats, sort_keys=True), json.dumps(rules, sort_keys=True))


def sh(command):
    try:
        return subprocess.run(command, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def main():
    py = "/usr/bin/python3"
    genops = "import pickletools,sys; [0 for _ in pickletools.genops(open(sys.argv[1],'rb'))]"
    many = os.path.join(WORK, "many")
    results = []
    for protocol in (2, 4):
        f = os.path.join(WORK, "big-p%d.pkl" % protocol)
        results.append(pair("a-pickle-p%d" % protocol, ">= 10x faster than pickletools.genops", rampart(f), [py, "-c", genops, f], SLOW_RUNS,
                            lambda s, r: ("speed-up (reference / rampart)", r / s), warm_reference=False, warm_files=(f,)))
    results.append(pair("b-torch-4gib-vs-4mib", "ratio < 1.5", rampart(os.path.join(WORK, "torch-4gib.pt")), rampart(os.path.join(WORK, "torch-4mib.pt")), RUNS,
                        lambda s, r: ("time ratio (4 GiB / 4 MiB)", s / r)))
    cat = "find %s -type f -print0 | xargs -0 cat > /dev/null" % shlex.quote(many)
    results.append(pair("c-10000-files", "within 3x of cat", rampart(many), cat, RUNS, lambda s, r: ("time ratio (rampart / cat)", s / r), reference_shell=True))
    results = [r for r in results if r]

    seen = {}
    for name, path in (("a-pickle-p2", "big-p2.pkl"), ("a-pickle-p4", "big-p4.pkl"), ("b-torch-4gib-vs-4mib", "torch-4gib.pt"), ("c-10000-files", "many")):
        if not ONLY or name in ONLY:
            seen[name] = what_rampart_saw(os.path.join(WORK, path))

    now = datetime.datetime.now(datetime.timezone.utc)
    lines = ["# Benchmark results %s" % now.strftime("%Y-%m-%d %H:%M UTC"), "",
             "Produced by `bench/run.sh`. Every figure is a ratio against a reference measured in the same run, runs interleaved, "
             "after one untimed warm-up of each command (warm page cache; the slow pickletools reference is not run to warm up, its input is read once instead). Medians of the runs; every run's time is listed.", "",
             "## Machine", "",
             "- CPU: %s, %s logical cores" % (sh("lscpu | sed -n 's/^Model name: *//p'") or platform.processor(), os.cpu_count()),
             "- Memory: %s" % sh("free -h | awk '/^Mem:/ {print $2}'"),
             "- OS: %s, kernel %s" % (sh(". /etc/os-release && echo $PRETTY_NAME"), platform.release()),
             "- .NET SDK %s; Python %s" % (sh("dotnet --version"), sh("/usr/bin/python3 --version")),
             "- Rampart commit %s" % sh("git -C %s rev-parse --short HEAD" % shlex.quote(os.path.dirname(os.path.abspath(__file__)))),
             "- Load average at start: %s (the machine is shared; other jobs may have been running)" % sh("cut -d' ' -f1-3 /proc/loadavg"), "",
             "## Summary", "",
             "| benchmark | target | rampart median (s) | reference median (s) | ratio | met? |", "|---|---|---|---|---|---|"]
    for r in results:
        label, value = r["ratio"]
        met = {"a": value >= 10, "b": value < 1.5, "c": value <= 3}[r["name"][0]]
        lines.append("| %s | %s | %.3f | %.3f | %s = **%.2f** | %s |" % (r["name"], r["target"], r["subject_median"], r["reference_median"], label, value, "yes" if met else "**no**"))
    lines += ["", "## Details", ""]
    for r in results:
        lines += ["### %s" % r["name"], "",
                  "- rampart: `%s`" % " ".join(shlex.quote(x) for x in r["subject"]),
                  "- reference: `%s`" % (r["reference"] if isinstance(r["reference"], str) else " ".join(shlex.quote(x) for x in r["reference"])),
                  "- rampart runs (s): %s" % ", ".join("%.3f" % x for x in r["subject_all"]),
                  "- reference runs (s): %s" % ", ".join("%.3f" % x for x in r["reference_all"]),
                  "- CPU time, user + system (s): rampart %s; reference %s; %s on CPU time = %.2f" % (
                      ", ".join("%.3f" % x for x in r["subject_cpu"]), ", ".join("%.3f" % x for x in r["reference_cpu"]), r["cpu_ratio"][0], r["cpu_ratio"][1]),
                  "- what Rampart reported: %s" % seen.get(r["name"], "?"), ""]
    inputs = ["## Inputs (bench/generate.py)", ""]
    for name in sorted(os.listdir(WORK)):
        p = os.path.join(WORK, name)
        if name.endswith(".json"):
            continue
        if os.path.isdir(p):
            inputs.append("- `%s/`: %d files, %d bytes in all" % (name, len(os.listdir(p)), sum(os.path.getsize(os.path.join(p, x)) for x in os.listdir(p))))
        else:
            inputs.append("- `%s`: %d bytes" % (name, os.path.getsize(p)))
    lines += inputs
    os.makedirs(RESULTS, exist_ok=True)
    out = os.path.join(RESULTS, now.strftime("%Y-%m-%d") + ".md")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print("wrote " + out)


main()
