using System.Text;
using System.Text.Json;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Reporting.Json;
using Rampart.Core.Reporting.Sarif;
using Rampart.Scanning.Analyzers.PythonSource;
using Rampart.TestKit;
using Xunit.Abstractions;

namespace Rampart.Scanning.Tests.Analyzers.PythonSource;

public sealed class PythonSourceAnalyzerTests(ITestOutputHelper output)
{
    private static readonly string CorpusFolder = Path.Combine(RepositoryPaths.Root, "tests", "Rampart.Scanning.Tests", "Analyzers", "PythonSource", "Corpus");

    private static Task<Core.Reporting.ScanReport> ScanSource(string source, string name = "app.py", ScanPolicy? policy = null) =>
        ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(source), name, policy);

    public static TheoryData<string> CorpusFiles() => [.. ReadManifest().Keys];

    private static Dictionary<string, string[]> ReadManifest() =>
        JsonSerializer.Deserialize<Dictionary<string, string[]>>(File.ReadAllText(Path.Combine(CorpusFolder, "manifest.json")))!;

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public async Task Scan_CorpusFile_FindsExactlyTheManifestFindings(string file)
    {
        var expected = ReadManifest()[file];
        var report = await ScanHelper.ScanPathsAsync([Path.Combine(CorpusFolder, file)]);
        var actual = report.Findings.Where(f => !f.RuleId.StartsWith("RAMP-GEN", StringComparison.Ordinal))
            .Select(f => $"{f.RuleId}@{f.Location.Line}").Order(StringComparer.Ordinal).ToList();
        foreach (var f in report.Findings)
        {
            output.WriteLine($"{f.RuleId} {f.Location.Line}:{f.Location.Column} {f.Message}");
        }

        actual.Should().Equal(expected.Order(StringComparer.Ordinal));
        var factKey = file.EndsWith(".ipynb", StringComparison.Ordinal) ? "notebook.parse-errors" : "python.parse-errors";
        report.Artifacts.Single().Facts[factKey].Should().Be("0");
    }

    [Fact]
    public async Task Scan_ImportAlias_ResolvesCallTarget()
    {
        var report = await ScanSource("from torch import load as L\n\ndef f(p):\n    return L(p)\n");
        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-PY-001").Subject;
        finding.Property("name").Should().Be("torch.load");
        finding.Location.Line.Should().Be(4);
        finding.Location.Column.Should().Be(12);
        finding.Message.Should().Contain("the function parameter 'p'");
    }

    [Fact]
    public async Task Scan_ModuleConstantPath_PropagatesIntoFunctions()
    {
        var report = await ScanSource("import joblib\nMODEL = 'models/' + 'clf.joblib'\n\ndef load():\n    return joblib.load(MODEL)\n");
        report.Findings.Should().NotContain(f => f.RuleId == "RAMP-PY-002");
    }

    [Fact]
    public async Task Scan_ParentPathConstant_IsOutsideRepository()
    {
        var report = await ScanSource("import joblib\nclf = joblib.load('../shared/clf.joblib')\n");
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-PY-002");
    }

    [Fact]
    public async Task Scan_SecretInSource_NeverPrintedInAnyReport()
    {
        var secret = FakeSecrets.HuggingFace;
        var openAi = FakeSecrets.OpenAi;
        var report = await ScanSource($"TOKEN = '{secret}'\nimport os\nos.environ['WANDB_API_KEY'] = '{FakeSecrets.WandbKey}'\nk = \"{openAi}\"\n");
        report.Findings.Select(f => f.RuleId).Should().Contain(["RAMP-SECRET-001", "RAMP-SECRET-002", "RAMP-PY-011"]);
        foreach (var reporter in new Core.Reporting.IReporter[] { new JsonReporter(), new SarifReporter(Path.GetTempPath()) })
        {
            using var stream = new MemoryStream();
            await reporter.WriteAsync(report, stream, CancellationToken.None);
            var text = Encoding.UTF8.GetString(stream.ToArray());
            text.Should().NotContain(secret).And.NotContain(secret[3..20]).And.NotContain(openAi[8..30]).And.NotContain(FakeSecrets.WandbKey[4..30]);
            text.Should().Contain("hf_");
        }
    }

    [Fact]
    public async Task Scan_Sarif_HasExactLineAndColumn()
    {
        using var temp = new TempDirectory();
        var path = temp.File("load.py");
        await File.WriteAllTextAsync(path, "import pickle\n\n\ndef read(blob):\n    x = 1;  obj = pickle.loads(blob)\n    return obj\n");
        var report = await ScanHelper.ScanPathsAsync([path]);
        using var stream = new MemoryStream();
        await new SarifReporter(temp.Path).WriteAsync(report, stream, CancellationToken.None);
        using var sarif = JsonDocument.Parse(stream.ToArray());
        var result = sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().Single(r => r.GetProperty("ruleId").GetString() == "RAMP-PY-002");
        var region = result.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region");
        region.GetProperty("startLine").GetInt32().Should().Be(5);
        region.GetProperty("startColumn").GetInt32().Should().Be(19);
    }

    [Fact]
    public async Task Scan_ParseErrors_CountedAsFactAndRulesStillRun()
    {
        var report = await ScanSource("print 'python 2'\nimport yaml\ncfg = yaml.load(open(p))\n");
        report.Artifacts.Single().Facts["python.parse-errors"].Should().Be("1");
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-PY-005");
    }

    [Fact]
    public async Task Scan_AiProviderApprovedByPolicy_NoShadowAiFinding()
    {
        var source = "from openai import OpenAI\nclient = OpenAI()\n";
        (await ScanSource(source)).Findings.Should().Contain(f => f.RuleId == "RAMP-AI-001");
        var policy = PolicyParser.Parse("code:\n  ai:\n    providers:\n      - name: openai\n        data-classes: [public, internal]\n", "test.yaml");
        (await ScanSource(source, policy: policy)).Findings.Should().NotContain(f => f.RuleId.StartsWith("RAMP-AI", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scan_ApprovedProviderButRestrictedDataClass_RaisesAi002()
    {
        var policy = PolicyParser.Parse(
            "code:\n  ai:\n    providers: [{name: anthropic, data-classes: [public]}]\n    data-classes:\n      - path: \"**/claims/**\"\n        class: confidential\n",
            "test.yaml");
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("claims"));
        var path = temp.File("claims/summarize.py");
        await File.WriteAllTextAsync(path, "import anthropic\nc = anthropic.Anthropic()\n");
        var report = await ScanHelper.ScanPathsAsync([path], policy);
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-AI-002").Which.Message.Should().Contain("confidential");
    }

    [Fact]
    public void Policy_CodeSection_UnknownKeyIsError()
    {
        var act = () => PolicyParser.Parse("code:\n  ai:\n    provders: [openai]\n", "bad.yaml");
        act.Should().Throw<PolicyException>().WithMessage("*provders*");
    }

    [Fact]
    public void CodePatterns_UnknownTest_IsRejected()
    {
        using var doc = JsonDocument.Parse("""{"calls":[{"id":"x","rule":"RAMP-PY-001","calls":["a"],"all":[{"position":0,"test":"maybe"}],"message":"m","question":"q"}]}""");
        var act = () => CodePatterns.Parse(new Dictionary<string, JsonElement> { ["t.json"] = doc.RootElement });
        act.Should().Throw<InvalidDataException>().WithMessage("*unknown argument test 'maybe'*");
    }

    [Fact]
    public void CodePatterns_EveryRuleIdExistsInCatalog()
    {
        foreach (var id in CodePatterns.Default.RuleIds)
        {
            AnalyzerRegistry.Rules.TryGet(id, out _).Should().BeTrue($"{id} is raised by rules/code/*.json");
        }
    }

    [Fact]
    public void CanAnalyze_ShebangWithoutExtension_True_BinaryFalse()
    {
        var analyzer = new PythonSourceAnalyzer();
        analyzer.CanAnalyze(Rampart.Scanning.Engine.ArtifactFactory.FromBytes("tool", null, 0, "#!/usr/bin/env python3\nprint(1)\n"u8.ToArray())).Should().BeTrue();
        analyzer.CanAnalyze(Rampart.Scanning.Engine.ArtifactFactory.FromBytes("x.py", null, 0, new byte[] { 0x80, 0x02, 0x00, 0x2e })).Should().BeFalse();
        analyzer.CanAnalyze(Rampart.Scanning.Engine.ArtifactFactory.FromBytes("notes.txt", null, 0, "import os\n"u8.ToArray())).Should().BeFalse();
    }
}
