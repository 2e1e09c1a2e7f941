"""Writes real pickles made by the real libraries into the folder given as argv[1] (used by RealPickleTests).

Malicious samples carry a harmless payload (touching a marker file in that folder) and are only written, never loaded.
"""
import io
import os
import pickle
import sys
import zipfile

out = sys.argv[1]


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def torch_data_pkl(obj):
    import torch
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as z:
        return z.read([n for n in z.namelist() if n.endswith("/data.pkl")][0])


class Payload:
    def __reduce__(self):
        return (os.system, ("touch " + os.path.join(out, "marker"),))


def main():
    import numpy as np
    import torch
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.randn(1, 3)).sum().backward()
    optimizer.step()
    write("torch_zip_state_dict.data.pkl", torch_data_pkl(model.state_dict()))
    write("torch_zip_checkpoint.data.pkl", torch_data_pkl({
        "model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3,
        "device": torch.device("cpu"), "dtype": torch.float16, "size": torch.Size([2, 3]),
        "param": torch.nn.Parameter(torch.randn(2)), "ints": torch.tensor([1, 2]), "flags": torch.tensor([True])}))
    write("torch_zip_module.data.pkl", torch_data_pkl(model))
    legacy = io.BytesIO()
    torch.save(model.state_dict(), legacy, _use_new_zipfile_serialization=False)
    write("torch_legacy_state_dict.pt", legacy.getvalue())
    for protocol in range(6):
        write(f"numpy_p{protocol}.pkl", pickle.dumps({
            "array": np.arange(6, dtype=np.float32).reshape(2, 3), "scalar": np.float64(1.5),
            "dtype": np.dtype("int32"), "objects": np.array(["x", 1], dtype=object)}, protocol=protocol))
        write(f"malicious_p{protocol}.pkl", pickle.dumps({"weights": [1.0, 2.0], "x": Payload()}, protocol=protocol))
    import collections, datetime, decimal, fractions, uuid
    stdlib = [collections.OrderedDict(a=1), collections.defaultdict(list), datetime.datetime(2020, 1, 1),
              datetime.timedelta(1), decimal.Decimal("1.5"), fractions.Fraction(1, 3), uuid.UUID(int=5),
              {1}, frozenset([2]), bytearray(b"x"), complex(1, 2), slice(1, 2), range(3), b"bytes"]
    for protocol in (0, 2, 4):
        write(f"stdlib_p{protocol}.pkl", pickle.dumps(stdlib, protocol=protocol))
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    pipeline = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    pipeline.fit(np.random.rand(20, 3), np.arange(20) % 2)
    write("sklearn_pipeline.pkl", pickle.dumps(pipeline, protocol=4))
    import joblib
    joblib.dump({"a": np.arange(10.0), "b": np.array(["ab", "c"]), "o": np.array([1, "x"], dtype=object),
                 "m": np.ones((3, 4), dtype=np.int16, order="F")}, os.path.join(out, "joblib_arrays.joblib"))
    joblib.dump([np.arange(5.0), Payload(), np.arange(3)], os.path.join(out, "joblib_malicious.joblib"))


main()
