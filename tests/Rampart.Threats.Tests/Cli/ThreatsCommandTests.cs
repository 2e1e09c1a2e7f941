using System.Text;
using Rampart.Cli;
using Rampart.Core;
using Rampart.TestKit;
using Rampart.Threats.Model;

namespace Rampart.Threats.Tests.Cli;

/// <summary>`rampart threats ...` run in-process through the root command, as a user would.</summary>
public sealed class ThreatsCommandTests
{
    internal static async Task<(int Code, string Out, string Err)> RunAsync(string directory, params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        var environment = new CliEnvironment(stdout, stderr, false, false, true, 100, directory, new FixedTime(new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero)));
        var code = await RampartCli.RunAsync(args, environment, CancellationToken.None);
        return (code, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    private const string Open = """
        components:
          - id: api
            kind: serving-endpoint
            exposure: public
            modelType: classic
            dataClasses: [personal, confidential]
        """;

    [Fact]
    public async Task Validate_BadDescription_ListsEveryProblemWithLinesAndExits3()
    {
        using var dir = new SystemFolder();
        dir.Write("system.yaml", Yaml.Header + "components:\n  - id: a\n    kind: warehouse\nflows:\n  - { from: a, to: b }\n");
        var (code, _, err) = await RunAsync(dir.Path, "threats", "validate", "system.yaml");
        code.Should().Be(ExitCodes.UsageError);
        err.Should().Contain("system.yaml:8:11: unknown component kind 'warehouse'").And.Contain("system.yaml:10:5: flow 'a->b' refers to component 'b'");
        err.Should().NotContain("refers to component 'a'", "'a' is declared, only its kind is wrong");
        err.Should().NotContain("   at ", "no stack trace");
    }

    [Fact]
    public async Task Validate_InvalidYaml_Exits3WithLine()
    {
        using var dir = new SystemFolder();
        dir.Write("system.yaml", "system: [x\n");
        var (code, _, err) = await RunAsync(dir.Path, "threats", "validate", "system.yaml");
        code.Should().Be(ExitCodes.UsageError);
        err.Should().Contain("system.yaml:2:").And.Contain("not valid YAML");
    }

    [Fact]
    public async Task Validate_GoodDescription_CountsAndExits0()
    {
        using var dir = new SystemFolder();
        dir.Write("system.yaml", Yaml.Header + Open);
        var (code, output, _) = await RunAsync(dir.Path, "threats", "validate", "system.yaml");
        code.Should().Be(ExitCodes.Clean);
        output.Should().Contain("valid: 1 components, 0 flows, 2 trust boundaries, 5 threats");
    }

    [Fact]
    public async Task Report_OpenHighRisks_Exit1_AndFormatsWrite()
    {
        using var dir = new SystemFolder();
        dir.Write("system.yaml", Yaml.Header + Open);
        var (code, output, _) = await RunAsync(dir.Path, "threats", "report", "system.yaml");
        code.Should().Be(ExitCodes.Findings);
        output.Should().StartWith("# Threat model: Test system");
        foreach (var format in new[] { "html", "json", "sarif", "threat-dragon" })
        {
            var (c, o, _) = await RunAsync(dir.Path, "threats", "report", "system.yaml", "-f", format, "-o", $"out.{format}");
            c.Should().Be(ExitCodes.Findings);
            o.Should().Contain($"-> out.{format}");
            new FileInfo(dir.File($"out.{format}")).Length.Should().BeGreaterThan(500);
        }
    }

    [Fact]
    public async Task Report_NoHighRisk_Exit0()
    {
        using var dir = new SystemFolder();
        dir.Write("system.yaml", Yaml.Header + "components:\n  - { id: nb, kind: notebook }\n");
        (await RunAsync(dir.Path, "threats", "report", "system.yaml", "-f", "json")).Code.Should().Be(ExitCodes.Clean);
    }

    [Theory]
    [InlineData("--as-of", "yesterday", "--as-of 'yesterday' is not a date")]
    [InlineData("-f", "pdf", "pdf")]
    public async Task Report_BadOption_Exits3(string option, string value, string expected)
    {
        using var dir = new SystemFolder();
        dir.Write("system.yaml", Yaml.Header + Open);
        var (code, _, err) = await RunAsync(dir.Path, "threats", "report", "system.yaml", option, value);
        code.Should().Be(ExitCodes.UsageError);
        err.Should().Contain(expected);
    }

    [Fact]
    public async Task Diff_ShowsNewRisk_AndExits1()
    {
        using var dir = new SystemFolder();
        dir.Write("old.yaml", Yaml.Header + Open.Replace("public", "internal").Replace("[personal, confidential]", "[internal]"));
        dir.Write("new.yaml", Yaml.Header + Open);
        var (code, output, _) = await RunAsync(dir.Path, "threats", "diff", "old.yaml", "new.yaml");
        code.Should().Be(ExitCodes.Findings);
        output.Should().Contain("| added | RAMP-THR-005:api |").And.Contain("| risk-up | RAMP-THR-006:api |");
        var (same, json, _) = await RunAsync(dir.Path, "threats", "diff", "new.yaml", "new.yaml", "-f", "json");
        same.Should().Be(ExitCodes.Clean);
        json.Should().Contain("\"newOpenHighRisk\": false");
    }

    [Fact]
    public async Task Init_DraftsAParseableDescriptionFromARepository()
    {
        using var dir = new SystemFolder();
        Directory.CreateDirectory(dir.File("models/fraud"));
        File.WriteAllBytes(dir.File("models/fraud/model.joblib"), PickleBuilder.CallPickle("builtins", "dict", "x"));
        File.WriteAllBytes(dir.File("models/fraud/weights.bin"), new NpyBuilder().Build());
        dir.Write("data/train.csv", "a,b\n1,2\n");
        dir.Write("requirements.txt", "scikit-learn==1.5.2\n");
        dir.Write("notebooks/explore.ipynb", "{\"cells\": [], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}");
        dir.Write("app/serve.py", "from fastapi import FastAPI\napp = FastAPI()\n");
        dir.Write("app/assistant.py", "from langchain.agents import tool\n@tool\ndef search(q): ...\nretriever = None\n");
        dir.Write("deploy/gateway.yaml", "auth: { apiKeys: k.json }\nclusters: { m: { destinations: [http://127.0.0.1:9] } }\nroutes:\n  - { name: s, path: /s, cluster: m, public: true }\n");
        dir.Write("README.md", "not a model");
        var (code, output, err) = await RunAsync(dir.Path, "threats", "init", ".", "-o", "system.yaml");
        code.Should().Be(ExitCodes.Clean, err);
        output.Should().Contain("1 model folder(s), 1 data folder(s), 1 notebook(s), 1 manifest(s), 1 serving and 1 LLM source file(s), deploy/gateway.yaml");
        var system = SystemParser.Load(dir.File("system.yaml"));
        system.Components.Select(c => c.Kind).Should().Contain([ComponentKind.DataSource, ComponentKind.Notebook, ComponentKind.TrainingPipeline, ComponentKind.ModelArtifact, ComponentKind.ServingEndpoint, ComponentKind.LlmApp, ComponentKind.Actor]);
        system.Get("model-1").Evidence.Model.Should().Be("models/fraud");
        system.Get("api").Evidence.Gateway.Should().Be("deploy/gateway.yaml");
        system.Get("assistant").Retrieval.Should().BeTrue();
        system.Get("assistant").Tools.Should().NotBeEmpty();
        system.Flows.Should().Contain(f => f.From == "training" && f.To == "model-1");

        (await RunAsync(dir.Path, "threats", "init", ".", "-o", "system.yaml")).Code.Should().Be(ExitCodes.UsageError, "an existing file is not overwritten without --force");
        (await RunAsync(dir.Path, "threats", "validate", "system.yaml")).Code.Should().Be(ExitCodes.Clean);
    }

    [Fact]
    public async Task Init_EmptyRepository_StillDraftsAValidSkeleton()
    {
        using var dir = new SystemFolder();
        var (code, output, _) = await RunAsync(dir.Path, "threats", "init", ".", "-o", "-");
        code.Should().Be(ExitCodes.Clean);
        output.Should().Contain("nothing recognisable was found");
        SystemParser.Parse(output, "draft.yaml", dir.Path).Components.Should().ContainSingle();
    }

    [Fact]
    public async Task AtlasRefresh_WritesTheCompactJson_AndRejectsOtherFiles()
    {
        using var dir = new SystemFolder();
        var (code, output, _) = await RunAsync(dir.Path, "threats", "atlas", "refresh", "--from", Path.Combine(RepositoryPaths.Root, "rules", "atlas", "ATLAS.yaml"), "-o", "atlas.json");
        code.Should().Be(ExitCodes.Clean);
        output.Should().Contain("ATLAS 5.6.0: 16 tactics, 170 techniques, 35 mitigations");
        File.ReadAllBytes(dir.File("atlas.json")).Should().Equal(File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "rules", "atlas", "atlas.json")));

        dir.Write("other.yaml", "id: something\n");
        var (bad, _, err) = await RunAsync(dir.Path, "threats", "atlas", "refresh", "--from", "other.yaml", "-o", "x.json");
        bad.Should().Be(ExitCodes.UsageError);
        err.Should().Contain("not an ATLAS data file");
    }
}
