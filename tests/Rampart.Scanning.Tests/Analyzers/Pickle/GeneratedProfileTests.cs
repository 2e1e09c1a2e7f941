using System.Text.Json;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Scanning.Analyzers.Pickle;
using Rampart.Scanning.Analyzers.Pickle.Capabilities;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>The allow-list profiles generated from the installed libraries (rules/profiles/generated).</summary>
public sealed class GeneratedProfileTests
{
    private static readonly GlobalJudge Judge = new(AnalyzerRegistry.Rules, ScanPolicy.Default);

    private static string GeneratedFolder => Path.Combine(RepositoryPaths.Root, "rules", "profiles", "generated");

    [Theory]
    [InlineData("sklearn._loss._loss", "__pyx_unpickle_CyHalfSquaredError", "generated-sklearn")]
    [InlineData("sklearn.tree._tree", "__pyx_unpickle_TreeBuilder", "generated-sklearn")]
    [InlineData("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked", "generated-pandas")]
    [InlineData("pandas._libs.internals", "_unpickle_block", "generated-pandas")]
    [InlineData("pandas._libs.tslibs.timestamps", "_unpickle_timestamp", "generated-pandas")]
    [InlineData("pytz", "_p", "generated-pytz")]
    [InlineData("torch.nn.functional", "relu", "generated-torch")]
    [InlineData("torch.nn.functional", "gelu", "generated-torch")]
    [InlineData("scipy.spatial.transform._rotation", "__pyx_unpickle_Rotation", "generated-scipy")]
    [InlineData("scipy.stats._continuous_distns", "norm_gen", "generated-scipy")]
    [InlineData("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence", "generated-numpy")]
    public async Task Scan_LibraryReconstructorOrClassNoHandProfileKnows_NeedsReviewFromTheGeneratedProfile(string module, string name, string profile)
    {
        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle(module, name, "x"), "model.pkl");

        report.Artifacts[0].Verdict.Should().Be(Verdict.NeedsReview);
        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be(GlobalJudge.ReviewGlobalRule);
        finding.Property("decidedBy").Should().StartWith(profile + " (").And.Contain("python ", "the profile records the versions it came from");
    }

    [Theory]
    [InlineData("torch.serialization", "_get_layout")]
    [InlineData("torch.cuda", "FloatStorage")]
    [InlineData("torch", "BFloat16Tensor")]
    [InlineData("torch.cuda.sparse", "LongTensor")]
    public async Task Scan_NameInPyTorchsWeightsOnlyAllowList_IsClean(string module, string name)
    {
        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle(module, name, "x"), "model.pkl");

        report.Findings.Should().BeEmpty();
        report.Artifacts[0].Verdict.Should().Be(Verdict.Clean);
    }

    [Theory]
    [InlineData("numpy", "memmap")]
    [InlineData("numpy.core.memmap", "memmap")]
    [InlineData("numpy.lib.format", "open_memmap")]
    [InlineData("numpy.lib.npyio", "NpzFile")]
    [InlineData("torch.hub", "load_state_dict_from_url")]
    [InlineData("torch.utils.cpp_extension", "load_inline")]
    [InlineData("joblib.parallel", "Parallel")]
    [InlineData("joblib.memory", "Memory")]
    [InlineData("scipy.io.matlab._mio", "savemat")]
    public void Judge_LibraryCallableThatTouchesFilesOrProcesses_StaysMalicious(string module, string name)
    {
        var judgement = Judge.Judge(module, name, module + "." + name);

        judgement.Class.Should().Be(GlobalClass.Malicious, "a generated profile must never turn a file or process gadget into review");
    }

    [Fact]
    public void GeneratedProfiles_AreLoadedWithTheirVersions_AndNoneOfTheirNamesIsDenied()
    {
        var generated = GlobalJudge.Profiles.Where(p => p.Id.StartsWith("generated-", StringComparison.Ordinal)).ToList();

        generated.Select(p => p.Id).Should().Contain(["generated-torch", "generated-sklearn", "generated-pandas", "generated-numpy", "generated-scipy", "generated-pytz"]);
        generated.Should().OnlyContain(p => p.Versions.Contains("python", StringComparison.Ordinal));
        var malicious = generated.SelectMany(p => p.Clean.Concat(p.Review))
            .Select(n => (Name: n, Judgement: Judge.Judge(n[..n.LastIndexOf('.')], n[(n.LastIndexOf('.') + 1)..], n)))
            .Where(j => j.Judgement.Class == GlobalClass.Malicious)
            .ToList();
        malicious.Where(j => j.Judgement.RuleId != GlobalJudge.CapabilityRule).Should().BeEmpty("the generator leaves out what the deny rules name");

        // A review entry does not override a chain the capability map proves (GlobalJudge's precedence): those few are
        // RAMP-PKL-112, each one a name the map holds as capable.
        malicious.Select(j => j.Name).Should().OnlyContain(n => CapabilityMap.Shipped.Capable.ContainsKey(n));
    }

    [Fact]
    public void HandWrittenProfiles_TakePrecedenceOverGeneratedOnes()
    {
        // torch._utils._rebuild_tensor_v2 is in both the hand-written pytorch profile and PyTorch's weights-only list.
        var judgement = Judge.Judge("torch._utils", "_rebuild_tensor_v2", "torch._utils._rebuild_tensor_v2");

        judgement.Class.Should().Be(GlobalClass.Clean);
        judgement.Source.Should().Be("pytorch");
    }

    [MlPythonFact]
    public async Task Generator_RederivesEntriesForOneModule_AndEverySampledEntryExistsInTheInstalledLibrary()
    {
        using var temp = new TempDirectory();
        foreach (var (target, file) in new[] { ("pytz", "pytz.json"), ("sklearn.tree._tree", "sklearn.json") })
        {
            var committed = ReadProfile(Path.Combine(GeneratedFolder, file));
            var (code, output) = await DebianPython.RunAsync([Generator, "--only", target, "--out", temp.Path]);
            code.Should().Be(0, output);
            var rederived = ReadProfile(Path.Combine(temp.Path, target + ".json"));

            rederived.Versions.Should().Equal(committed.Versions, "the committed profile was generated from the installed versions");
            rederived.Names.Should().NotBeEmpty().And.BeSubsetOf(committed.Names, $"{target} re-derived gives what was committed");
        }

        // Every name of a deterministic sample of each committed profile resolves (import + getattr) in the installed library.
        var sample = Directory.GetFiles(GeneratedFolder, "*.json").Order(StringComparer.Ordinal)
            .SelectMany(f => ReadProfile(f).Names.Where((_, i) => i % 25 == 0))
            .ToList();
        var samplePath = temp.File("sample.json");
        await File.WriteAllTextAsync(samplePath, JsonSerializer.Serialize(new { review = sample }));
        var (checkCode, checkOutput) = await DebianPython.RunAsync([Generator, "--check", samplePath]);
        sample.Count.Should().BeGreaterThan(50);
        checkCode.Should().Be(0, checkOutput);
    }

    [MlPythonFact]
    public async Task GeneratorCheck_NameThatDoesNotExist_IsReported()
    {
        using var temp = new TempDirectory();
        var path = temp.File("bogus.json");
        await File.WriteAllTextAsync(path, """{"review": ["pytz._p", "pytz.no_such_reconstructor", "sklearn.tree._tree.__pyx_unpickle_Nothing"]}""");

        var (code, output) = await DebianPython.RunAsync([Generator, "--check", path]);

        code.Should().Be(1);
        output.Should().Contain("pytz.no_such_reconstructor").And.Contain("__pyx_unpickle_Nothing").And.NotContain("pytz._p ");
    }

    private static string Generator => Path.Combine(RepositoryPaths.Root, "tools", "profiles", "generate_profiles.py");

    private static (string[] Names, KeyValuePair<string, string>[] Versions) ReadProfile(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        string[] names = [.. root.GetProperty("clean").EnumerateArray().Concat(root.GetProperty("review").EnumerateArray()).Select(e => e.GetString()!)];
        KeyValuePair<string, string>[] versions = [.. root.GetProperty("versions").EnumerateObject().Select(v => new KeyValuePair<string, string>(v.Name, v.Value.GetString()!))];
        return (names, versions);
    }
}
