#!/usr/bin/python3
"""Generates Rampart's allow-list profiles (rules/profiles/generated/*.json) from the installed libraries.

Run with Debian's Python, which has the ML libraries (see tools/profiles/README.md):

    /usr/bin/python3 tools/profiles/generate_profiles.py                     # all libraries -> rules/profiles/generated/
    /usr/bin/python3 tools/profiles/generate_profiles.py --only pytz --out DIR  # one library, or one module of it:
    /usr/bin/python3 tools/profiles/generate_profiles.py --only sklearn.tree._tree --out DIR
    /usr/bin/python3 tools/profiles/generate_profiles.py --check FILE...     # every name in FILE resolves here?

What it records, per library (only from the library itself, never from a list typed by hand):
  * review: the classes reachable from the library's public modules (public attribute of a module path with no
    "_" segment), under the name pickle writes for them (defining module + qualified name); the reconstructors
    that pickle writes for the library's objects: Cython's module-level __pyx_unpickle_<Type> functions, the
    callables that a class's Python __reduce__/__reduce_ex__ returns (found in its byte code's names, so pytz's
    _p), and the module-level helpers named as reconstructors (_unpickle_*, *_reconstruct*, _new_<Type>, ...);
    for torch also every function of torch.nn.functional (stored as a module's activation).
  * clean: for torch, PyTorch's own weights-only unpickler allow-list (torch._weights_only_unpickler.
    _get_allowed_globals, and torch.serialization.get_safe_globals where the version has it).
  Classes whose construction reads or writes files, starts processes or opens connections are left out
  (EXCLUDED_MODULE_SEGMENTS / EXCLUDED_NAMES): a profile must never turn such a gadget into "needs review".
The library versions and the Python version are written into each profile.
"""

import argparse
import contextlib
import importlib
import inspect
import io
import json
import os
import pkgutil
import platform
import re
import sys
import types
import warnings

REPOSITORY = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

LIBRARIES = ["torch", "sklearn", "pandas", "numpy", "scipy", "pytz", "joblib"]

# Module path segments never walked: tests, build helpers, and the parts whose classes touch the outside world on
# construction (file formats, process pools, networking, hubs and downloads, compilers).
EXCLUDED_MODULE_SEGMENTS = {
    "tests", "test", "testing", "conftest", "benchmarks", "_build_utils", "setup", "__main__", "_pytest",
    "io", "datasets", "hub", "multiprocessing", "distributed", "tensorboard", "cpp_extension", "_cpp_extension",
    "backcompat", "bottleneck", "jit", "onnx", "package", "_dynamo", "compiler", "_inductor", "fx", "rpc",
    "launcher", "elastic", "model_zoo", "cuda", "mps", "backends", "profiler", "autograd", "monitor",
    "parallel", "_parallel_backends", "externals", "memory", "pool", "executor", "_store_backends", "disk",
    "compressor", "numpy_pickle", "_memmapping_reducer", "f2py", "distutils", "ctypeslib", "_pyinstaller",
    "clipboard", "excel", "plotting", "cli", "mmio", "netcdf", "matlab", "wavfile", "harwell_boeing", "arff",
}

# Single names that construct file handles, memory maps or workers although their module is otherwise plain.
EXCLUDED_NAMES = {
    "numpy.memmap", "numpy.core.memmap.memmap", "numpy._core.memmap.memmap", "numpy.lib.format.open_memmap",
    "numpy.DataSource", "numpy.lib._datasource.DataSource", "numpy.lib._datasource.Repository",
    "numpy.lib.npyio.NpzFile", "numpy.lib.npyio.DataSource",
    "torch.utils.data.dataloader.DataLoader", "torch.storage._StorageBase", "torch.UntypedStorage.from_file",
}

# Private module-level helpers that libraries name as reconstructors (public functions of the same names are
# ordinary numerics, e.g. scipy's reconstruct_matrix_from_id, and are not recorded).
RECONSTRUCTOR_NAME = re.compile(r"^(__pyx_unpickle_\w+|_\w*(unpickle|reconstruct|rebuild)\w*|_new_[A-Z]\w*|__\w+_ctor)$")

MODULE_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


DISTRIBUTIONS = {"sklearn": "scikit-learn"}


def version_of(root):
    """The version the library reports, and the installed distribution's when it differs (Debian's torch says 1.13.0a0)."""
    reported = str(getattr(sys.modules.get(root), "__version__", "unknown"))
    try:
        import importlib.metadata as metadata  # noqa: PLC0415
        installed = metadata.version(DISTRIBUTIONS.get(root, root))
    except Exception:  # no metadata for a distribution-packaged module
        return reported
    return reported if installed == reported else f"{reported} (distribution {installed})"


def quiet_import(name):
    """Imports one module of an installed library with its output and warnings swallowed; None when it fails."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            return importlib.import_module(name)
        except BaseException as error:  # a library module that cannot be imported here (optional dependency) is skipped
            if isinstance(error, KeyboardInterrupt):
                raise
            return None


def excluded(name):
    return any(part in EXCLUDED_MODULE_SEGMENTS for part in name.split(".")[1:])


def walk_modules(start):
    """The module `start` and, when it is a package, every submodule that imports, in name order."""
    root = quiet_import(start)
    if root is None:
        return []
    modules = {start: root}
    if hasattr(root, "__path__") and not excluded(start):
        for info in pkgutil.walk_packages(root.__path__, start + ".", onerror=lambda _: None):
            if excluded(info.name) or not all(MODULE_SEGMENT.match(p) for p in info.name.split(".")):
                continue
            module = quiet_import(info.name)
            if module is not None:
                modules[info.name] = module
    # Submodules imported as a side effect (Cython extension modules of a package) count too.
    for name, module in list(sys.modules.items()):
        if module is not None and (name == start or name.startswith(start + ".")) and not excluded(name):
            modules.setdefault(name, module)
    return [modules[k] for k in sorted(modules)]


def pickle_name(obj, fallback_module):
    """The module.qualname that pickle writes for obj, or None when pickle could not name it."""
    module = getattr(obj, "__module__", None) or fallback_module
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    return module + "." + qualname


def is_public_path(name):
    return not any(part.startswith("_") for part in name.split("."))


def reduce_targets(cls):
    """Callables that a Python-level __reduce__/__reduce_ex__ of cls refers to by name (its byte code's names)."""
    found = []
    for method_name in ("__reduce__", "__reduce_ex__"):
        method = cls.__dict__.get(method_name)
        function = getattr(method, "__func__", method)
        code = getattr(function, "__code__", None)
        if code is None:
            continue
        scope = getattr(function, "__globals__", {})
        names = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names.update(const.co_names)
        for name in sorted(names):
            candidates = [scope.get(name)]
            candidates += [getattr(value, name, None) for value in list(scope.values()) if isinstance(value, types.ModuleType) and value.__name__.split(".")[0] == cls.__module__.split(".")[0]]
            for candidate in candidates:
                if isinstance(candidate, (types.FunctionType, types.BuiltinFunctionType)) or (callable(candidate) and type(candidate).__name__ == "cython_function_or_method"):
                    found.append(candidate)
    return found


def deny_patterns():
    """The names of Rampart's pickle deny rules (rules/*.json tagged pickle-deny), as fnmatch patterns."""
    import fnmatch  # noqa: PLC0415
    import glob  # noqa: PLC0415

    patterns = []
    for path in sorted(glob.glob(os.path.join(REPOSITORY, "rules", "*.json"))):
        with open(path, encoding="utf-8") as handle:
            for rule in json.load(handle).get("rules", []):
                if "pickle-deny" in rule.get("tags", []):
                    patterns += rule.get("match", {}).get("names", [])
    return [re.compile(fnmatch.translate(p)) for p in patterns]


def denied(name, patterns):
    """True when the name or any dotted suffix of it matches a deny rule (as GlobalJudge checks it)."""
    parts = name.split(".")
    return any(p.match(".".join(parts[i:])) for i in range(len(parts)) for p in patterns)


def belongs(name, root):
    return name is not None and (name == root or name.startswith(root + ".")) and name not in EXCLUDED_NAMES and not excluded(name.rsplit(".", 1)[0])


def generate(target):
    root = target.split(".")[0]
    modules = walk_modules(target)
    classes, reconstructors = set(), set()
    for module in modules:
        module_name = module.__name__
        try:
            members = list(vars(module).items())
        except TypeError:
            continue
        for attr, value in members:
            if inspect.isclass(value):
                name = pickle_name(value, module_name)
                if is_public_path(module_name) and not attr.startswith("_") and belongs(name, root):
                    classes.add(name)
                if getattr(value, "__module__", None) == module_name:
                    for function in reduce_targets(value):
                        target_name = pickle_name(function, module_name)
                        if belongs(target_name, root):
                            reconstructors.add(target_name)
            elif callable(value) and RECONSTRUCTOR_NAME.match(attr) and not inspect.ismodule(value):
                owner = getattr(value, "__module__", None)
                if owner is None or owner == module_name:
                    name = module_name + "." + attr
                    if belongs(name, root):
                        reconstructors.add(name)
    clean = set()
    if root == "torch" and (target == "torch" or target.startswith("torch.nn.functional")):
        clean |= torch_weights_only_globals()
        for attr, value in vars(sys.modules["torch.nn.functional"]).items():
            if not attr.startswith("_") and callable(value) and not inspect.isclass(value) and not inspect.ismodule(value) and not attr[0].isupper():
                reconstructors.add("torch.nn.functional." + attr)
    # Deny rules are judged first anyway; leaving their names out keeps the profile honest about what it allows.
    patterns = deny_patterns()
    review = resolvable_in_fresh_process({n for n in (classes | reconstructors) - clean if not denied(n, patterns)})
    return {
        "id": "generated-" + target,
        "description": f"Generated from the installed {root} by tools/profiles/generate_profiles.py: the classes reachable from its public modules and the reconstructors pickle writes for its objects (review: their code runs on load)"
        + (", and PyTorch's own weights-only allow-list (clean)." if clean else "."),
        "generator": "tools/profiles/generate_profiles.py",
        "target": target,
        "versions": {root: version_of(root), "python": platform.python_version()},
        "clean": sorted(clean),
        "review": sorted(review),
    }


def torch_weights_only_globals():
    import torch._weights_only_unpickler as weights_only  # noqa: PLC0415 - only when torch is generated
    names = set(weights_only._get_allowed_globals())
    serialization = sys.modules.get("torch.serialization")
    getter = getattr(serialization, "get_safe_globals", None)
    for entry in getter() if getter else []:
        value = entry[0] if isinstance(entry, tuple) else entry
        name = entry[1] if isinstance(entry, tuple) else pickle_name(value, None)
        if name:
            names.add(name)
    return names


def resolve(name):
    """True when module.attr[.attr...] names an object of the installed library (the longest importable prefix)."""
    parts = name.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module = quiet_import(".".join(parts[:split]))
        if module is None:
            continue
        value = module
        for attr in parts[split:]:
            if not hasattr(value, attr):
                value = None
                break
            value = getattr(value, attr)
        if value is not None:
            return True
    return False


def resolvable_in_fresh_process(names):
    """
    Only what pickle itself could name: module + qualified name must import back in a fresh interpreter, as in the
    process that loads the file (a Cython class may claim a module that only exists after another import).
    """
    import subprocess  # noqa: PLC0415 - runs this same script, never anything from the libraries' data

    result = subprocess.run([sys.executable, os.path.abspath(__file__), "--resolvable"], input="\n".join(sorted(names)),
                            capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(REPOSITORY, "rules", "profiles", "generated"))
    parser.add_argument("--only", action="append", help="a library or one of its modules (repeatable)")
    parser.add_argument("--check", nargs="+", metavar="PROFILE", help="report names in these profiles that do not resolve here")
    parser.add_argument("--resolvable", action="store_true", help="read names on stdin, print those that resolve")
    args = parser.parse_args()
    if args.resolvable:
        names = sys.stdin.read().split()
        print("\n".join(name for name in names if resolve(name)))
        return 0
    if args.check:
        missing = 0
        for path in args.check:
            with open(path, encoding="utf-8") as handle:
                profile = json.load(handle)
            for name in profile.get("clean", []) + profile.get("review", []):
                if not resolve(name):
                    missing += 1
                    print(f"{path}: {name} does not resolve")
        return 1 if missing else 0
    os.makedirs(args.out, exist_ok=True)
    for target in args.only or LIBRARIES:
        if quiet_import(target.split(".")[0]) is None:
            print(f"{target}: not installed, skipped", file=sys.stderr)
            continue
        profile = generate(target)
        path = os.path.normpath(os.path.join(args.out, target + ".json"))
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(profile, handle, indent=1)
            handle.write("\n")
        print(f"{path}: {len(profile['clean'])} clean, {len(profile['review'])} review ({profile['versions']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
