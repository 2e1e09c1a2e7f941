"""ONNX models for Rampart's interop tests, written by the real onnx package (Debian's python3-onnx).

  backend OUT   write the onnx package's own backend test models (model.onnx per case) into OUT
  facts DIR     print one JSON line per .onnx file under DIR (@installed: the onnx package's own folder):
                what onnx itself reads from it
  hostile OUT   write benign and hostile models into OUT and print one JSON line per model
                (name, path, expect, and for the external-data ones what onnx.load really read)

Nothing here runs model code: ONNX has none; onnx.load only reads tensors (and, for the hostile models, shows
that it reads a harmless marker file from outside the model folder).
"""
import argparse
import json
import os
import sys

import numpy as np

# onnx 1.12's backend test cases use numpy aliases removed in numpy 1.24; restore them before importing them.
for _name, _type in (("float", float), ("int", int), ("bool", bool), ("object", object), ("complex", complex), ("str", str)):
    if _name not in np.__dict__:
        setattr(np, _name, _type)

import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def backend(out):
    from onnx.backend.test import cmd_tools
    cmd_tools.generate_data(argparse.Namespace(output=out, op_type=None))


def count_nodes(graph):
    total = 0
    for node in graph.node:
        total += 1
        for attr in node.attribute:
            if attr.HasField("g"):
                total += count_nodes(attr.g)
            for g in attr.graphs:
                total += count_nodes(g)
    return total


def elements(tensor):
    n = 1
    for d in tensor.dims:
        n *= d
    return n


def facts(root):
    if root == "@installed":  # the .onnx example files shipped inside the onnx package itself
        root = os.path.dirname(onnx.__file__)
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if not name.endswith(".onnx"):
                continue
            path = os.path.join(folder, name)
            model = onnx.load(path, load_external_data=False)
            nodes = count_nodes(model.graph)
            for f in model.functions:
                nodes += len(f.node)
            for t in model.training_info:
                nodes += count_nodes(t.initialization) + count_nodes(t.algorithm)
            params = sum(elements(t) for t in model.graph.initializer)
            params += sum(elements(s.values) for s in model.graph.sparse_initializer)
            opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
            print(json.dumps({"path": path, "ir_version": model.ir_version, "opset": opset, "nodes": nodes, "parameters": params}))


def relu_model(weights_name="w", extra_nodes=(), functions=(), opsets=(("", 17),)):
    w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), weights_name)
    nodes = [helper.make_node("Add", ["x", weights_name], ["s"], name="add_0"), helper.make_node("Relu", ["s"], ["y"], name="relu_0")]
    nodes += list(extra_nodes)
    graph = helper.make_graph(nodes, "main",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
                              initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets], functions=list(functions),
                              producer_name="rampart-interop")
    model.ir_version = 8
    return model


def point_outside(model, location):
    """Marks the initializer as external data at `location` (as a hand-edited model would)."""
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    del tensor.external_data[:]
    entry = tensor.external_data.add()
    entry.key = "location"
    entry.value = location
    tensor.data_location = TensorProto.EXTERNAL


def what_load_reads(path):
    """What onnx.load really puts into the first initializer (None when it refuses)."""
    try:
        model = onnx.load(path)
        return model.graph.initializer[0].raw_data.decode("latin-1")
    except Exception as e:  # the loader refusing is an answer too
        return "refused: " + type(e).__name__


def hostile(out):
    os.makedirs(out, exist_ok=True)
    secret_dir = os.path.join(out, "outside")
    os.makedirs(secret_dir, exist_ok=True)
    secret = os.path.join(secret_dir, "secret.txt")
    with open(secret, "w") as f:
        f.write("RAMPART-MARKER-SECRET-24")  # 24 bytes = 2x3 float32

    def emit(name, model, expect, save=None):
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "model.onnx")
        if save:
            save(model, path)
        else:
            onnx.save(model, path)
        record = {"name": name, "path": path, "expect": expect}
        if model.graph.initializer and model.graph.initializer[0].data_location == TensorProto.EXTERNAL or save:
            record["loaded"] = what_load_reads(path)
        print(json.dumps(record))

    emit("benign", relu_model(), "clean")
    emit("benign_external", relu_model(), "clean",
         save=lambda m, p: onnx.save(m, p, save_as_external_data=True, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0))
    # onnx 1.12 only strips leading '/' and '.' from locations: '..' after a first real component still climbs out.
    os.makedirs(os.path.join(out, "traversal", "data"), exist_ok=True)
    m = relu_model()
    point_outside(m, "data/../../outside/secret.txt")
    emit("traversal", m, "malicious")
    m = relu_model()
    point_outside(m, secret)
    emit("absolute", m, "malicious")

    link_model = relu_model()
    point_outside(link_model, "weights.bin")
    folder = os.path.join(out, "symlink")
    os.makedirs(folder, exist_ok=True)
    link = os.path.join(folder, "weights.bin")
    if not os.path.lexists(link):
        os.symlink(secret, link)
    emit("symlink", link_model, "malicious")

    custom = helper.make_node("Exfiltrate", ["y"], ["z"], name="exfil_0", domain="com.attacker")
    emit("custom_domain", relu_model(extra_nodes=[custom], opsets=(("", 17), ("com.attacker", 1))), "needs-review")

    body = [helper.make_node("Neg", ["X"], ["Y"])]
    shadow = helper.make_function("", "Relu", ["X"], ["Y"], body, [helper.make_opsetid("", 17)])
    emit("shadow_function", relu_model(functions=[shadow]), "needs-review")

    local = helper.make_function("local.fn", "Twice", ["X"], ["Y"], [helper.make_node("Add", ["X", "X"], ["Y"])], [helper.make_opsetid("", 17)])
    call = helper.make_node("Twice", ["y"], ["z"], name="twice_0", domain="local.fn")
    emit("local_function", relu_model(extra_nodes=[call], functions=[local], opsets=(("", 17), ("local.fn", 1))), "clean")


def main():
    command, target = sys.argv[1], sys.argv[2]
    {"backend": backend, "facts": facts, "hostile": hostile}[command](target)


if __name__ == "__main__":
    main()
