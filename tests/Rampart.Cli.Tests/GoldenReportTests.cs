using System.Text.Json;
using System.Text.Json.Nodes;
using Rampart.TestKit;

namespace Rampart.Cli.Tests;

/// <summary>
/// `rampart scan examples --format json` compared, field by field, with the committed report in Golden/. Any change in
/// verdicts, findings, messages, facts or rules over the shipped examples shows up here and must be accepted on
/// purpose: rerun with RAMPART_UPDATE_GOLDEN=1 to rewrite the file, then review its diff in the commit.
/// </summary>
public sealed class GoldenReportTests
{
    private static readonly string GoldenPath = Path.Combine(RepositoryPaths.Root, "tests", "Rampart.Cli.Tests", "Golden", "examples-report.json");

    /// <summary>Fields that differ between runs by nature: when it ran and how long it took.</summary>
    private static readonly string[] Volatile = ["startedAt", "durationMs"];

    [Fact]
    public async Task ScanExamples_JsonReport_MatchesTheCommittedGoldenReport()
    {
        // A relative target, resolved against the CLI's working folder (not the test process's): paths are reported
        // as given, so the golden file holds them relative to the repository root. The rule-page base is fixed here:
        // by default it is the docs folder beside the program, which differs between machines.
        var run = await CliRunner.RunAsync(["scan", "examples", "--format", "json", "--docs-base-url", "https://github.com/rampart-mlsecops/rampart/blob/main/docs/rules/"], e => e with { CurrentDirectory = RepositoryPaths.Root });
        run.ExitCode.Should().Be(1, "the examples hold hostile files; stderr: " + run.Stderr);
        var actual = Normalise(run.Stdout);

        if (Environment.GetEnvironmentVariable("RAMPART_UPDATE_GOLDEN") == "1")
        {
            await File.WriteAllTextAsync(GoldenPath, actual);
        }

        File.Exists(GoldenPath).Should().BeTrue($"the golden report {GoldenPath} is committed (make it with RAMPART_UPDATE_GOLDEN=1)");
        var expected = await File.ReadAllTextAsync(GoldenPath);
        var differences = Differences(JsonNode.Parse(expected), JsonNode.Parse(actual), "$").Take(20).ToList();
        differences.Should().BeEmpty("the scan of examples/ changed; if that is intended, rerun with RAMPART_UPDATE_GOLDEN=1 and review the diff");
    }

    private static string Normalise(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        foreach (var name in Volatile)
        {
            node.Remove(name);
        }

        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static IEnumerable<string> Differences(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    if (!e.ContainsKey(key) || !a.ContainsKey(key))
                    {
                        yield return $"{path}.{key}: {(e.ContainsKey(key) ? "missing now" : "new")}";
                        continue;
                    }

                    foreach (var d in Differences(e[key], a[key], $"{path}.{key}"))
                    {
                        yield return d;
                    }
                }

                break;
            case (JsonArray e, JsonArray a):
                if (e.Count != a.Count)
                {
                    yield return $"{path}: {e.Count} items expected, {a.Count} now";
                }

                for (var i = 0; i < Math.Min(e.Count, a.Count); i++)
                {
                    foreach (var d in Differences(e[i], a[i], $"{path}[{i}]"))
                    {
                        yield return d;
                    }
                }

                break;
            default:
                var left = expected?.ToJsonString() ?? "null";
                var right = actual?.ToJsonString() ?? "null";
                if (left != right)
                {
                    yield return $"{path}: expected {left}, now {right}";
                }

                break;
        }
    }
}
