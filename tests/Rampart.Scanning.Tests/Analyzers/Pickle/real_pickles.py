"""Writes real pickles made by the real libraries into the folder given as argv[1] (used by RealPickleTests).

Malicious samples carry a harmless payload (touching a marker file in that folder) and are only written, never loaded.
"""
import io
import os
import pickle
import sys
import zipfile

out = sys.argv[1]
JOBLIB_COMPRESSIONS = ("none", "zlib", "gzip", "bz2", "lzma", "xz")
JOBLIB_NAMES = ("model", "model.bin", "model.pkl", "model.joblib", "model.dat")


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
    # joblib by content: every compression joblib.dump offers, under names that do not say "joblib".
    for compression in JOBLIB_COMPRESSIONS:
        for stem in JOBLIB_NAMES:
            name = "joblib_%s_%s" % (compression, stem)
            compress = (compression, 3) if compression != "none" else 0
            joblib.dump([np.arange(300.0), Payload(), np.arange(3)], os.path.join(out, name + "_malicious"), compress=compress)
            joblib.dump({"w": np.arange(300.0), "names": ["a", "b"]}, os.path.join(out, name + "_benign"), compress=compress)
    # scikit-learn tree models: their nodes are a structured dtype (ints, floats and a u1 flag).
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
    x = np.random.RandomState(0).rand(60, 4)
    y = (x[:, 0] > 0.5).astype(int)
    models = {"tree": DecisionTreeClassifier(random_state=0).fit(x, y),
              "regressor": DecisionTreeRegressor(random_state=0).fit(x, x[:, 1]),
              "forest": RandomForestClassifier(n_estimators=4, random_state=0).fit(x, y),
              "boosting": GradientBoostingClassifier(n_estimators=3, random_state=0).fit(x, y)}
    for model_name, model in models.items():
        for compression in ("none", "zlib", "xz"):
            joblib.dump(model, os.path.join(out, "sklearn_%s_%s.joblib" % (model_name, compression)),
                        compress=(compression, 3) if compression != "none" else 0)


main()
