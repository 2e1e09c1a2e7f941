"""Writes the committed HDF5 test vectors with h5py, in the layout Keras 2 uses for .h5 models.

Run with Debian's python3 (python3-h5py): `/usr/bin/python3 make_vectors.py`. Keras is not needed: the root
attributes are JSON strings and the weights live in model_weights/<layer>/<layer>/<weight> as Keras 2 writes them.
The marker Lambda only touches a file in /tmp if someone loads the model with Keras 2; nothing here runs it.
"""
import json
import sys

import h5py
import numpy as np

DOUBLE = "4wEAAAAAAAAAAAAAAAIAAAADAAAA8wwAAACXAHwAZAF6BQAAUwApAk7nAAAAAAAAAECpAKkB2gF4\ncwEAAAAg+gg8c3RyaW5nPvoIPGxhbWJkYT5yBwAAAAQAAABzCgAAAIAAiGGQI4lngADzAAAAAA==\n"
MARKER = ("4wEAAAAAAAAAAAAAAAMAAAADAAAA80oAAACXAHQBAAAAAAAAAAAAAGQBpgEAAKsBAAAAAAAAAACg\nAQAAAAAAAAAAAAAAAAAAAAAAAAAAZAKmAQAAqwEAAAAAAAAAAHABfABTACkDTtoCb3P6GXRvdWNo\n"
          "IC90bXAvcmFtcGFydC1tYXJrZXIpAtoKX19pbXBvcnRfX9oGc3lzdGVtqQHaAXhzAQAAACD6CDxz\ndHJpbmc++gg8bGFtYmRhPnIJAAAABgAAAHMiAAAAgACNapgU0Q4e1A4e1w4l0g4l0CZB0Q5C1A5C\n0A5HwGGAAPMAAAAA\n")


def config(lambda_code=None):
    layers = [{"class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": "relu"}}]
    if lambda_code:
        layers.append({"class_name": "Lambda", "config": {"name": "lambda", "function": [lambda_code, None, None],
                                                           "function_type": "lambda", "module": "__main__",
                                                           "output_shape": None, "output_shape_type": "raw"}})
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}


def write(path, lambda_code=None, libver=None):
    with h5py.File(path, "w", libver=libver) as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.12.0"
        f.attrs["model_config"] = json.dumps(config(lambda_code))
        f.attrs["training_config"] = json.dumps({"loss": "mse", "optimizer_config": {"class_name": "Adam", "config": {"learning_rate": 0.001}}})
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([b"dense"])
        weights.attrs["backend"] = b"tensorflow"
        weights.attrs["keras_version"] = b"2.12.0"
        layer = weights.create_group("dense")
        layer.attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
        inner = layer.create_group("dense")
        inner.create_dataset("kernel:0", data=np.arange(4, dtype="<f4").reshape(2, 2))
        inner.create_dataset("bias:0", data=np.zeros(2, dtype="<f4"))


if __name__ == "__main__":
    write("keras2_dense.h5")
    write("keras2_lambda_marker.h5", MARKER)
    write("keras2_lambda_latest.h5", DOUBLE, libver="latest")
    print("h5py", h5py.__version__, "HDF5", h5py.version.hdf5_version, file=sys.stderr)
