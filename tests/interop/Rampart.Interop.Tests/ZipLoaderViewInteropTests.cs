using Rampart.Core;
using Rampart.TestKit;

namespace Rampart.Interop.Tests;

/// <summary>
/// Checkpoints whose zip headers make readers disagree, built in code and then loaded by the real torch.load
/// (Debian's torch, in a child process) with a payload that only touches a marker file: for every variant PyTorch
/// runs the payload, and Rampart must call the file Malicious because it judges the bytes PyTorch loads.
/// </summary>
public sealed class ZipLoaderViewInteropTests
{
    private const string LoadScript = """
        import sys, torch
        try:
            torch.load(sys.argv[1], weights_only=False)
            print("loaded")
        except Exception as e:
            print("refused: " + type(e).__name__ + ": " + str(e)[:200])
        """;

    private static ZipMember DataPkl(string marker) =>
        new("archive/data.pkl", PickleBuilder.CallPickle("os", "system", "touch " + marker));

    private static readonly Dictionary<string, Func<string, byte[]>> Variants = new(StringComparer.Ordinal)
    {
        ["local-encrypted-flag"] = m => Checkpoint(DataPkl(m) with { LocalOnlyFlags = 0x0001 }),
        ["local-encrypted-flag-deflated"] = m => Checkpoint(DataPkl(m) with { LocalOnlyFlags = 0x0001, Deflate = true }),
        ["local-patched-data-flag"] = m => Checkpoint(DataPkl(m) with { LocalOnlyFlags = 0x0020 }),
        ["local-strong-encryption-flag"] = m => Checkpoint(DataPkl(m) with { LocalOnlyFlags = 0x0040, Deflate = true }),
        ["local-masked-header-flag"] = m => Checkpoint(DataPkl(m) with { LocalOnlyFlags = 0x2000 }),
        ["wrong-crc"] = m => Checkpoint(DataPkl(m) with { CrcOverride = 0xDEADBEEF }),
        ["local-name-differs"] = m => Checkpoint(DataPkl(m) with { LocalName = "archive/xata.pkl" }),
        ["duplicate-benign-first"] = m => new ZipBuilder()
            .Add("archive/data.pkl", [0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e])
            .Add("archive/version", "3\n")
            .Add(DataPkl(m))
            .Build(),
    };

    private static byte[] Checkpoint(ZipMember dataPkl) => new ZipBuilder().Add(dataPkl).Add("archive/version", "3\n").Build();

    public static TheoryData<string> VariantNames() => [.. Variants.Keys];

    [PythonTheory("torch")]
    [MemberData(nameof(VariantNames))]
    public async Task TorchLoad_RunsThePayload_AndRampartSaysMalicious(string variant)
    {
        using var temp = new TempDirectory();
        var marker = temp.File("marker");
        var model = temp.File("model.pt");
        await File.WriteAllBytesAsync(model, Variants[variant](marker));
        await File.WriteAllTextAsync(temp.File("load.py"), LoadScript);

        var load = await ProcessRunner.RunCheckedAsync(PythonEnvironment.SystemPython, [temp.File("load.py"), model], temp.Path, TimeSpan.FromMinutes(2));
        var report = await ScanHelper.ScanPathsAsync([model]);

        load.StandardOutput.Should().Contain("loaded");
        File.Exists(marker).Should().BeTrue($"torch.load ran the payload of '{variant}'");
        report.Verdict.Should().Be(Verdict.Malicious, variant);
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-PKL-101");
    }

    [PythonFact("torch")]
    public async Task TorchLoad_CentralEncryptionFlag_RampartJudgesTheBytesWhateverTheTorchVersion()
    {
        // torch 1.13 (Debian) refuses a member whose central entry is flagged encrypted; the PyTorch releases behind
        // CVE-2025-1945 load it in clear. Rampart judges the bytes either way.
        using var temp = new TempDirectory();
        var marker = temp.File("marker");
        var model = temp.File("model.pt");
        await File.WriteAllBytesAsync(model, Checkpoint(DataPkl(marker) with { ExtraFlags = 0x0001 }));
        await File.WriteAllTextAsync(temp.File("load.py"), LoadScript);

        var load = await ProcessRunner.RunCheckedAsync(PythonEnvironment.SystemPython, [temp.File("load.py"), model], temp.Path, TimeSpan.FromMinutes(2));
        var report = await ScanHelper.ScanPathsAsync([model]);

        File.Exists(marker).Should().Be(load.StandardOutput.Contains("loaded", StringComparison.Ordinal), load.StandardOutput);
        report.Verdict.Should().Be(Verdict.Malicious);
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-ZIP-005");
    }
}

/// <summary>
/// The same question for numpy: an .npz (Python's zipfile) whose object array carries a pickle payload, built in code
/// and, for methods Rampart could not decode before (bzip2, LZMA), re-packed by zipfile itself; np.load with
/// allow_pickle=True runs the payload, and Rampart must call the file Malicious.
/// </summary>
public sealed class NpzLoaderViewInteropTests
{
    private const string LoadScript = """
        import sys, zipfile, numpy as np
        path, method = sys.argv[1], sys.argv[2]
        if method != "as-built":
            src = zipfile.ZipFile(path)
            members = [(i.filename, src.read(i.filename)) for i in src.infolist()]
            src.close()
            with zipfile.ZipFile(path, "w", {"bzip2": zipfile.ZIP_BZIP2, "lzma": zipfile.ZIP_LZMA}[method]) as dst:
                for name, data in members:
                    dst.writestr(name, data)
        try:
            np.load(path, allow_pickle=True)["a"]
            print("loaded")
        except Exception as e:
            print("refused: " + type(e).__name__ + ": " + str(e)[:200])
        """;

    public static TheoryData<string, ushort> Variants() => new()
    {
        { "as-built", 0 },
        { "as-built", 0x0001 },
        { "as-built", 0x0020 },
        { "bzip2", 0 },
        { "lzma", 0 },
    };

    [PythonTheory("numpy")]
    [MemberData(nameof(Variants))]
    public async Task NpLoad_RunsThePayload_AndRampartSaysMalicious(string method, ushort localOnlyFlags)
    {
        using var temp = new TempDirectory();
        var marker = temp.File("marker");
        var npy = new NpyBuilder().Descr("'|O'").Shape("(1,)").Data(PickleBuilder.CallPickle("os", "system", "touch " + marker)).Build();
        var npz = temp.File("arrays.npz");
        await File.WriteAllBytesAsync(npz, new ZipBuilder().Add(new ZipMember("a.npy", npy) { LocalOnlyFlags = localOnlyFlags }).Build());
        await File.WriteAllTextAsync(temp.File("load.py"), LoadScript);

        var load = await ProcessRunner.RunCheckedAsync(PythonEnvironment.SystemPython, [temp.File("load.py"), npz, method], temp.Path, TimeSpan.FromMinutes(2));
        var report = await ScanHelper.ScanPathsAsync([npz]);

        load.StandardOutput.Should().Contain("loaded");
        File.Exists(marker).Should().BeTrue($"np.load ran the payload ({method}, local flags 0x{localOnlyFlags:X4})");
        report.Verdict.Should().Be(Verdict.Malicious, method);
    }
}

/// <summary>A theory skipped, with the reason, where Debian's Python lacks the named modules.</summary>
public sealed class PythonTheoryAttribute : TheoryAttribute
{
    public PythonTheoryAttribute(params string[] modules)
    {
        Skip = PythonEnvironment.SkipReason(modules) ?? PythonEnvironment.AnalyzersSkipReason();
    }
}
