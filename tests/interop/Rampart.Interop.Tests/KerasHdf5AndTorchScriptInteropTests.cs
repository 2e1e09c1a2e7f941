using Rampart.Core;
using Rampart.TestKit;

namespace Rampart.Interop.Tests;

/// <summary>
/// Files written at test time by the real libraries (Debian's h5py and torch 1.13), then scanned: Rampart's own
/// HDF5 reader must find the Keras configuration in every layout h5py writes, and the TorchScript analyzer must keep
/// torch.jit.save output free of findings while catching a hand-edited code member. Nothing written here is loaded.
/// </summary>
public sealed class KerasHdf5AndTorchScriptInteropTests
{
    private const string H5Script = """
        import json, sys, h5py, numpy as np
        code = sys.argv[2]
        cfg = {"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "Dense", "config": {"name": "dense", "units": 2}},
            {"class_name": "TimeDistributed", "config": {"name": "td", "layer": {"class_name": "Lambda", "config": {
                "name": "l", "function": [code, None, None], "function_type": "lambda", "module": "__main__"}}}}]}}
        for name, kwargs in [("v0.h5", {}), ("latest.h5", {"libver": "latest"}), ("userblock.h5", {"userblock_size": 512})]:
            with h5py.File(sys.argv[1] + "/" + name, "w", **kwargs) as f:
                f.attrs["keras_version"] = "2.11.0"
                f.attrs["backend"] = "tensorflow"
                f.attrs["model_config"] = json.dumps(cfg)
                g = f.create_group("model_weights").create_group("dense").create_group("dense")
                g.create_dataset("kernel:0", data=np.ones((2, 2), dtype="<f4"))
        """;

    private const string TorchScript = """
        import sys, zipfile, torch
        class M(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.l = torch.nn.Linear(2, 2)
            def forward(self, x):
                return torch.relu(self.l(x))
        out = sys.argv[1]
        torch.jit.save(torch.jit.script(M()), out + "/benign.pt")
        src = zipfile.ZipFile(out + "/benign.pt")
        with zipfile.ZipFile(out + "/edited.pt", "w") as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename.endswith("code/__torch__.py"):
                    data = data.replace(b"    l = self.l\n", b"    l = self.l\n    _m = __import__(\"os\").system(\"touch /tmp/rampart-marker\")\n")
                dst.writestr(info, data)
        """;

    private static async Task<string> RunScriptAsync(TempDirectory temp, string script, params string[] arguments)
    {
        var path = temp.File("script.py");
        await File.WriteAllTextAsync(path, script);
        var output = Directory.CreateDirectory(temp.File("out")).FullName;
        await ProcessRunner.RunCheckedAsync(PythonEnvironment.SystemPython, [path, output, .. arguments], temp.Path, TimeSpan.FromMinutes(2));
        return output;
    }

    [PythonFact("h5py")]
    public async Task H5py_KerasLayoutsWithHostileLambda_AllMalicious()
    {
        using var temp = new TempDirectory();
        var output = await RunScriptAsync(temp, H5Script, KerasConfigBuilder.MarkerLambdaCode);

        foreach (var name in new[] { "v0.h5", "latest.h5", "userblock.h5" })
        {
            var report = await ScanHelper.ScanPathsAsync([Path.Combine(output, name)]);

            report.Findings.Should().Contain(f => f.RuleId == "RAMP-KERAS-002" && f.ArtifactPath.EndsWith("#model_config", StringComparison.Ordinal), name);
            report.Artifacts[0].Facts["hdf5.keras_version"].Should().Be("2.11.0", name);
            report.Verdict.Should().Be(Verdict.Malicious, name);
        }
    }

    [PythonFact("torch")]
    public async Task TorchJitSave_BenignCleanOfTorchScriptFindings_EditedMalicious()
    {
        using var temp = new TempDirectory();
        var output = await RunScriptAsync(temp, TorchScript);

        var benign = await ScanHelper.ScanPathsAsync([Path.Combine(output, "benign.pt")]);
        var edited = await ScanHelper.ScanPathsAsync([Path.Combine(output, "edited.pt")]);

        benign.Artifacts.Should().Contain(a => a.Formats.Contains("torchscript"));
        benign.Findings.Should().NotContain(f => f.RuleId.StartsWith("RAMP-TS-", StringComparison.Ordinal));
        edited.Findings.Should().Contain(f => f.RuleId == "RAMP-TS-002");
        edited.Verdict.Should().Be(Verdict.Malicious);
    }
}
