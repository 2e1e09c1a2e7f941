namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the pickle and joblib rules (RAMP-PKL-*, RAMP-JOB-*) and the engine's pickle self-tests.</summary>
public sealed class PickleFixtures : IFixtureSource
{
    public IEnumerable<Fixture> Fixtures =>
    [
        new("pickle/state-dict", "state_dict.pkl", () => PickleBuilder.TorchStateDict("weight", "bias")),
        new("pickle/truncated", "truncated.pkl", () =>
        {
            var whole = PickleBuilder.TorchStateDict("weight", "bias");
            return whole[..(whole.Length * 2 / 3)];
        }),
        new("pickle/numpy-array", "array.pkl", NumpyArrayPickle),
        new("pickle/unknown-global", "model.pkl", () =>
            new PickleBuilder().Proto(4).StackGlobal("mylib.backdoor", "Payload").EmptyTuple().Reduce().Stop().ToArray()),
        new("pickle/dotted-unknown", "model.pkl", () =>
            new PickleBuilder().Proto(4).StackGlobal("torch.nn.modules.module", "Module.helper").EmptyTuple().Reduce().Stop().ToArray()),
        new("pickle/sklearn-like", "classifier.pkl", () =>
            new PickleBuilder().Proto(4).StackGlobal("sklearn.linear_model._logistic", "LogisticRegression").EmptyTuple().NewObj()
                .EmptyDict().ShortBinUnicode("C").BinFloat(1.0).SetItem().Build().Stop().ToArray()),
        // Standard-library callables no profile knows, judged by the capability map (rules/capabilities/map.json.gz).
        new("pickle/capability-reach", "model.pkl", () =>
            new PickleBuilder().Proto(4).StackGlobal("platform", "architecture").ShortBinUnicode("/bin/sh").Tuple1().Reduce().Stop().ToArray()),
        new("pickle/capability-none", "model.pkl", () =>
            new PickleBuilder().Proto(4).StackGlobal("colorsys", "rgb_to_hsv").BinFloat(0.1).BinFloat(0.2).BinFloat(0.3).Tuple3().Reduce().Stop().ToArray()),
        new("pickle/ext-code", "model.pkl", () => new PickleBuilder().Proto(2).Ext1(7).EmptyTuple().Reduce().Stop().ToArray()),
        new("pickle/computed-global", "model.pkl", () =>
            new PickleBuilder().Proto(4)
                .StackGlobal("builtins", "str").ShortBinUnicode("os").Tuple1().Reduce()
                .ShortBinUnicode("system").StackGlobal()
                .ShortBinUnicode("true").Tuple1().Reduce().Stop().ToArray()),
        new("joblib/arrays", "arrays.joblib", () =>
            new PickleBuilder().Proto(4).EmptyDict().Mark()
                .ShortBinUnicode("a").JoblibArray("f8", 3, 8)
                .ShortBinUnicode("b").JoblibArray("i4", 5, 4)
                .SetItems().Stop().ToArray()),
        new("joblib/tree-nodes", "tree.joblib", () =>
            new PickleBuilder().Proto(4).JoblibArray(b => b.NumpyRecordDtype(17, 16,
                ("left_child", d => d.NumpyDtype("i8"), 0), ("threshold", d => d.NumpyDtype("f8"), 8), ("missing_go_to_left", d => d.NumpyDtype("u1"), 16)), 3, 17).Stop().ToArray()),
        new("joblib/broken-record-dtype", "records.joblib", () =>
            new PickleBuilder().Proto(4).JoblibArray(b => b.NumpyRecordDtype(12, 16,
                ("a", d => d.NumpyDtype("i8"), 0), ("b", d => d.NumpyDtype("f8"), 8)), 2, 12).Stop().ToArray()),
    ];

    /// <summary>pickle.dumps(numpy.arange(3.0), protocol=2) in shape: _reconstruct, then BUILD with dtype and raw bytes.</summary>
    public static byte[] NumpyArrayPickle() =>
        new PickleBuilder().Proto(2)
            .Global("numpy.core.multiarray", "_reconstruct")
            .Global("numpy", "ndarray").BinInt1(0).Tuple1().ShortBinBytes("b"u8.ToArray()).Tuple3().Reduce()
            .Mark().BinInt1(1).BinInt1(3).Tuple1().NumpyDtype("f8").NewFalse()
            .Global("_codecs", "encode").BinUnicode("\0\0\0").BinUnicode("latin1").Tuple2().Reduce()
            .Tuple().Build().Stop().ToArray();
}
