using System.Text.Json;
using Rampart.Core.Tests.Reporting;
using Rampart.TestKit;
using YamlDotNet.RepresentationModel;

namespace Rampart.Cli.Tests.Shipping;

/// <summary>
/// The CI integrations' own scripts, run here: the GitHub Action's script (action.yml runs
/// ci-templates/scripts/rampart-ci.sh) and the GitLab template's script lines, against a project with a hostile and a
/// clean model. Their SARIF validates against the SARIF 2.1.0 schema; GitLab's code-quality report has its shape.
/// </summary>
public sealed class CiTemplateTests : IDisposable
{
    private static readonly string SarifSchema = Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "testdata", "sarif", "sarif-schema-2.1.0.json"));

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Project(bool hostile)
    {
        var project = Directory.CreateDirectory(_dir.File("project")).FullName;
        Directory.CreateDirectory(Path.Combine(project, "models"));
        File.WriteAllBytes(Path.Combine(project, "models", "model.safetensors"), HuggingFaceRepoBuilder.SafetensorsBytes());
        if (hostile)
        {
            File.WriteAllBytes(Path.Combine(project, "models", "evil.pkl"), PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-marker"));
        }

        return project;
    }

    private Dictionary<string, string> Environment(Dictionary<string, string> extra)
    {
        var environment = new Dictionary<string, string> { ["PATH"] = ShippedRampart.PathWith(ShippedRampart.CommandFolder(_dir.Path)) };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return environment;
    }

    private static void ShouldBeValidSarif(string path, bool expectFinding)
    {
        var text = File.ReadAllText(path);
        using var document = JsonDocument.Parse(text);
        document.RootElement.GetProperty("version").GetString().Should().Be("2.1.0");
        var results = document.RootElement.GetProperty("runs")[0].GetProperty("results");
        if (expectFinding)
        {
            results.EnumerateArray().Should().Contain(r => r.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString() == "models/evil.pkl");
        }

        if (!File.Exists(SarifSchema))
        {
            Console.WriteLine($"SKIPPED schema validation: {SarifSchema} is absent");
            return;
        }

        var validation = JsonSchemaValidator.Validate(text, SarifSchema);
        if (!validation.Available)
        {
            Console.WriteLine($"SKIPPED schema validation: {validation.Output}");
            return;
        }

        validation.Valid.Should().BeTrue(validation.Output);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public async Task GitHubActionScript_WritesValidSarifAndReportsTheExitCode(bool hostile, int expected)
    {
        var project = Project(hostile);
        var output = _dir.File("github-output");
        var script = Path.Combine(RepositoryPaths.Root, "ci-templates", "scripts", "rampart-ci.sh");
        var action = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "action.yml"));
        action.Should().Contain("$GITHUB_ACTION_PATH/ci-templates/scripts/rampart-ci.sh", "the action runs this script");

        var (code, log) = await ShippedRampart.RunAsync("bash", [script], project, Environment(new()
        {
            ["RAMPART_PATHS"] = "models",
            ["RAMPART_SARIF"] = "rampart.sarif",
            ["RAMPART_DEFER_EXIT"] = "1",
            ["GITHUB_OUTPUT"] = output,
        }));

        code.Should().Be(0, "the action defers the failure until the SARIF is uploaded; " + log);
        (await File.ReadAllTextAsync(output)).Should().Contain($"exit-code={expected}").And.Contain("sarif-file=rampart.sarif");
        ShouldBeValidSarif(Path.Combine(project, "rampart.sarif"), hostile);
    }

    /// <summary>The action's script asked for SARIF and code quality scans once and writes both from that scan.</summary>
    [Fact]
    public async Task GitHubActionScript_SarifAndCodeQuality_FromOneScan()
    {
        var project = Project(hostile: true);
        var script = Path.Combine(RepositoryPaths.Root, "ci-templates", "scripts", "rampart-ci.sh");

        var (code, log) = await ShippedRampart.RunAsync("bash", [script], project, Environment(new()
        {
            ["RAMPART_PATHS"] = "models",
            ["RAMPART_SARIF"] = "out.sarif",
            ["RAMPART_CODEQUALITY"] = "quality.json",
        }));

        code.Should().Be(1, log);
        File.ReadAllLines(ShippedRampart.CallLog(ShippedRampart.CommandFolder(_dir.Path))).Should().ContainSingle(log);
        ShouldBeValidSarif(Path.Combine(project, "out.sarif"), expectFinding: true);
        using var sarif = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(project, "out.sarif")));
        using var quality = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(project, "quality.json")));
        quality.RootElement.GetArrayLength().Should().Be(sarif.RootElement.GetProperty("runs")[0].GetProperty("results").GetArrayLength(),
            "the same findings, from the same scan");
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public async Task GitLabTemplateScript_WritesValidSarifAndCodeQuality(bool hostile, int expected)
    {
        var project = Project(hostile);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "ci-templates", "gitlab", "rampart.gitlab-ci.yml"))));
        var job = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["rampart-scan"];
        var variables = ((YamlMappingNode)job["variables"]).Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value ?? "");
        var lines = ((YamlSequenceNode)job["script"]).Children.Select(n => ((YamlScalarNode)n).Value!).ToList();
        variables["RAMPART_PATHS"] = "models";
        variables["CI_PROJECT_DIR"] = project;

        // GitLab runs the script lines in one shell that stops at the first failing line.
        var (code, log) = await ShippedRampart.RunAsync("bash", ["-e", "-c", string.Join("\n", lines)], project, Environment(variables));

        code.Should().Be(expected, log);
        File.ReadAllLines(ShippedRampart.CallLog(ShippedRampart.CommandFolder(_dir.Path))).Should().ContainSingle("one scan writes both reports")
            .Which.Should().Contain("--format sarif").And.Contain("--also codequality=");
        ShouldBeValidSarif(Path.Combine(project, variables["RAMPART_SARIF"]), hostile);
        using var quality = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(project, variables["RAMPART_CODEQUALITY"])));
        var issues = quality.RootElement.EnumerateArray().ToList();
        if (hostile)
        {
            issues.Should().NotBeEmpty();
            issues.Should().Contain(i => i.GetProperty("location").GetProperty("path").GetString() == "models/evil.pkl");
            issues.Should().OnlyContain(i => (i.GetProperty("location").GetProperty("path").GetString() == "models/evil.pkl" || i.GetProperty("location").GetProperty("path").GetString() == "models")
                && i.GetProperty("location").GetProperty("lines").GetProperty("begin").GetInt32() >= 1
                && i.GetProperty("fingerprint").GetString()!.Length == 64
                && i.GetProperty("check_name").GetString()!.StartsWith("RAMP-", StringComparison.Ordinal));
            issues.Select(i => i.GetProperty("severity").GetString()).Should().OnlyContain(s => s == "info" || s == "minor" || s == "major" || s == "critical" || s == "blocker")
                .And.Contain(s => s == "critical" || s == "blocker");
        }
        else
        {
            issues.Should().BeEmpty();
        }
    }
}
