"""Times rampart's start-up in each built form (bench/startup/run.sh): median wall time and median CPU time
(user + sys of the process, which a loaded machine disturbs far less than wall time), and ratios to the JIT build."""
import datetime, os, pickle, platform, resource, statistics, subprocess, sys, tempfile, time

runs = int(sys.argv[1])
out = sys.argv[2]
forms = [(name, f"artifacts/{name}/rampart") for name in ("jit", "r2r", "aot") if os.access(f"artifacts/{name}/rampart", os.X_OK)]
if not forms:
    raise SystemExit("bench: no built form under artifacts/{jit,r2r,aot}")
work = tempfile.mkdtemp(prefix="rampart-startup-")
tiny = os.path.join(work, "tiny.txt")
with open(tiny, "w") as f:
    f.write("hello\n")
small = os.path.join(work, "small.pkl")
with open(small, "wb") as f:
    pickle.dump({"weights": [0.5] * 64, "name": "small"}, f, protocol=4)
cases = [("--version", ["--version"]), ("hash tiny-file", ["hash", tiny]), ("scan small.pkl", ["scan", small, "--no-progress"])]

def cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

def once(cmd):
    """Wall and CPU (user + sys) seconds of one run; the CPU time is the waited child's, from getrusage."""
    cpu0 = cpu()
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1, 2):
        raise SystemExit(f"{cmd} exited {done.returncode}")
    return elapsed, cpu() - cpu0

started = datetime.datetime.now(datetime.timezone.utc)
load_start = os.getloadavg()[0]
results = {}
for label, args in cases:
    for name, exe in forms:
        once([exe, *args])  # warm the page cache
    times = {name: [] for name, _ in forms}
    for _ in range(runs):  # alternate the forms so load changes hit them alike
        for name, exe in forms:
            times[name].append(once([exe, *args]))
    results[label] = {name: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for name, t in times.items()}

names = [n for n, _ in forms]
with open(out, "w") as f:
    f.write("# Start-up of rampart: JIT vs ReadyToRun vs NativeAOT\n\n")
    f.write(f"Measured {started:%Y-%m-%d %H:%M} UTC by `bench/startup/run.sh` (RUNS={runs}, forms alternated, one warm-up each) ")
    f.write(f"on {platform.node()} ({os.cpu_count()} cores, {platform.platform()}); load average {load_start:.1f} at the start, ")
    f.write(f"{os.getloadavg()[0]:.1f} at the end. Wall is the median wall time of the process; CPU is the median user + sys ")
    f.write("time of the process (getrusage of the waited child), which other processes on a loaded machine disturb far less. ")
    f.write("Ratios are to the JIT (framework-dependent) build in the same run. Targets (issue 19): NativeAOT start-up under ")
    f.write("30 ms, scan of one small file under 50 ms.\n\n")
    header = [f"{n} wall (ms)" for n in names] + [f"{n} CPU (ms)" for n in names]
    if "jit" in names:
        header += [f"{n}/jit wall" for n in names if n != "jit"] + [f"{n}/jit CPU" for n in names if n != "jit"]
    f.write("| command | " + " | ".join(header) + " |\n")
    columns = 1 + 2 * len(names) + (2 * (len(names) - 1) if "jit" in names else 0)
    f.write("|" + "---|" * columns + "\n")
    for label, medians in results.items():
        wall = [f"{medians[n][0] * 1000:.1f}" for n in names]
        cpus = [f"{medians[n][1] * 1000:.1f}" for n in names]
        ratios = []
        if "jit" in medians:
            ratios = [f"{medians[n][0] / medians['jit'][0]:.2f}" for n in names if n != "jit"]
            ratios += [f"{medians[n][1] / medians['jit'][1]:.2f}" if medians["jit"][1] > 0 else "n/a" for n in names if n != "jit"]
        f.write(f"| `rampart {label}` | " + " | ".join(wall + cpus + ratios) + " |\n")
print(open(out).read())
