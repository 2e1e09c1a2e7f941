"""Times rampart's start-up in each built form (bench/startup/run.sh); medians and ratios to the JIT build."""
import os, pickle, platform, statistics, subprocess, sys, tempfile, time

runs = int(sys.argv[1])
out = sys.argv[2]
forms = [(name, f"artifacts/{name}/rampart") for name in ("jit", "r2r", "aot") if os.access(f"artifacts/{name}/rampart", os.X_OK)]
work = tempfile.mkdtemp(prefix="rampart-startup-")
tiny = os.path.join(work, "tiny.txt")
with open(tiny, "w") as f:
    f.write("hello\n")
small = os.path.join(work, "small.pkl")
with open(small, "wb") as f:
    pickle.dump({"weights": [0.5] * 64, "name": "small"}, f, protocol=4)
cases = [("--version", ["--version"]), ("hash tiny-file", ["hash", tiny]), ("scan small.pkl", ["scan", small, "--no-progress"])]

def once(cmd):
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1, 2):
        raise SystemExit(f"{cmd} exited {done.returncode}")
    return elapsed

results = {}
for label, args in cases:
    for name, exe in forms:
        once([exe, *args])  # warm the page cache
    times = {name: [] for name, _ in forms}
    for _ in range(runs):  # alternate the forms so load changes hit them alike
        for name, exe in forms:
            times[name].append(once([exe, *args]))
    results[label] = {name: statistics.median(t) for name, t in times.items()}

with open(out, "w") as f:
    f.write("# Start-up of rampart: JIT vs ReadyToRun vs NativeAOT\n\n")
    f.write(f"Measured by `bench/startup/run.sh` (RUNS={runs}, forms alternated, one warm-up each, median wall time of the process) ")
    f.write(f"on {platform.node()} ({os.cpu_count()} cores, {platform.platform()}), load average at the end {os.getloadavg()[0]:.1f}. ")
    f.write("Ratios are to the JIT (framework-dependent) build in the same run. Targets (issue 19): NativeAOT start-up under 30 ms, scan of one small file under 50 ms.\n\n")
    f.write("| command | " + " | ".join(f"{n} (ms)" for n, _ in forms) + " | " + " | ".join(f"{n}/jit" for n, _ in forms if n != "jit") + " |\n")
    f.write("|---|" + "---|" * (2 * len(forms) - 1) + "\n")
    for label, medians in results.items():
        row = [f"{medians[n] * 1000:.1f}" for n, _ in forms]
        ratios = [f"{medians[n] / medians['jit']:.2f}" for n, _ in forms if n != "jit" and "jit" in medians]
        f.write(f"| `rampart {label}` | " + " | ".join(row) + " | " + " | ".join(ratios) + " |\n")
print(open(out).read())
