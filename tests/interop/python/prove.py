"""Load every file of the interop corpus with its natural loader and record what happened.

    python3 prove.py CORPUS_DIR RESULTS_JSON

For each manifest entry a child process is forked (the libraries are imported once, before forking), moves into a
fresh temporary folder, loads the file with the loader named in the manifest, and reports whether loading raised.
The parent waits with a timeout, kills a child that overstays, and records whether the marker file that every
payload creates appeared in that temporary folder. Nothing is loaded in the parent.
"""
import json
import os
import pickle
import shutil
import signal
import sys
import tarfile
import tempfile
import time
import zipfile

MARKER = "rampart_marker"
TIMEOUT = 60.0


def _import(name):
    try:
        return __import__(name)
    except Exception:  # a missing library makes its loaders unavailable, reported per file
        return None


torch = _import("torch")
np = _import("numpy")
joblib = _import("joblib")
pd = _import("pandas")
dill = _import("dill")
_import("sklearn")


def load_pickle(path):
    with open(path, "rb") as f:
        return pickle.load(f)


def load_pickle_all(path):
    """Reads pickles one after another until the end of the file, as legacy multi-pickle formats do."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        while f.tell() < size:
            pickle.load(f)


def load_zip_pickles(path_or_file):
    """What a naive loader does with a zip: read each distinct name (zipfile returns the last of duplicates),
    unpickle .pkl members and descend into zip members."""
    with zipfile.ZipFile(path_or_file) as z:
        for name in dict.fromkeys(z.namelist()):
            data = z.read(name)
            if name.endswith(".zip"):
                import io
                load_zip_pickles(io.BytesIO(data))
            elif name.endswith(".pkl"):
                pickle.loads(data)


def load_tar_pickles(path):
    with tarfile.open(path, "r:*") as t:
        for member in t.getmembers():
            if member.isfile() and member.name.endswith(".pkl"):
                pickle.load(t.extractfile(member))


def load_npz(path):
    with np.load(path, allow_pickle=True) as z:
        for key in z.files:
            z[key]


LOADERS = {
    "pickle": (None, load_pickle),
    "pickle-all": (None, load_pickle_all),
    "zip-pickles": (None, load_zip_pickles),
    "tar-pickles": (None, load_tar_pickles),
    "torch": (torch, lambda p: torch.load(p, map_location="cpu", weights_only=False)),
    # The mitigation Rampart's rule pages recommend: torch's restricted unpickler.
    "torch-weights-only": (torch, lambda p: torch.load(p, map_location="cpu", weights_only=True)),
    "torchscript": (torch, lambda p: torch.jit.load(p, map_location="cpu")),
    "joblib": (joblib, lambda p: joblib.load(p)),
    "numpy": (np, lambda p: np.load(p, allow_pickle=True)),
    "numpy-npz": (np, load_npz),
    "pandas": (pd, lambda p: pd.read_pickle(p)),
    "dill": (dill, lambda p: dill.load(open(p, "rb"))),
}


def prove(path, loader, malicious):
    module, fn = LOADERS[loader]
    if loader not in ("pickle", "pickle-all", "zip-pickles", "tar-pickles") and module is None:
        return {"status": "unavailable", "error": "library for loader %s is not installed" % loader, "marker": False}
    work = tempfile.mkdtemp(prefix="rampart-prove-")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: load, report, never return into the parent's code
        try:
            os.close(read_end)
            os.chdir(work)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            outcome = {"status": "loaded", "error": ""}
            try:
                fn(path)
            except BaseException as e:  # the point is to record any failure of the real loader
                outcome = {"status": "error", "error": ("%s: %s" % (type(e).__name__, e))[:400]}
            os.write(write_end, json.dumps(outcome).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    deadline = time.monotonic() + TIMEOUT
    timed_out = False
    while True:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            timed_out = True
            break
        time.sleep(0.01)
    with os.fdopen(read_end, "rb") as r:
        raw = r.read()
    result = json.loads(raw) if raw else {"status": "crashed", "error": "the loader process died without reporting"}
    if timed_out:
        result = {"status": "timeout", "error": "no result within %d s" % TIMEOUT}
    marker = os.path.join(work, MARKER)
    if malicious:
        # A payload may start a shell that outlives the loader (os.popen): give it a moment to write the marker.
        for _ in range(100):
            if os.path.exists(marker):
                break
            time.sleep(0.02)
    result["marker"] = os.path.exists(marker)
    shutil.rmtree(work, ignore_errors=True)
    return result


def main(root, results_path):
    with open(os.path.join(root, "manifest.json")) as f:
        manifest = json.load(f)
    results = {}
    for entry in manifest:
        path = os.path.join(root, entry["path"])
        results[entry["path"]] = prove(path, entry["loader"], entry["malicious"])
        if entry["loader"] == "torch":
            results[entry["path"]]["weights_only"] = prove(path, "torch-weights-only", entry["malicious"])
    with open(results_path, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
