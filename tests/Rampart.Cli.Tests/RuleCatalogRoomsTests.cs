using Rampart.Cli.Commands;
using Rampart.Core.Rules;
using Rampart.TestKit;

namespace Rampart.Cli.Tests;

/// <summary>
/// One rule format and one loader for every room: each rule file under rules/ (a JSON object with a "rules" array) is
/// embedded by exactly one room's assembly, whose test project runs its self-tests; `rampart rules list` shows them all.
/// </summary>
public sealed class RuleCatalogRoomsTests
{
    private static IReadOnlyList<string> RuleFiles() => RepositoryPaths.RuleFiles();

    [Fact]
    public void EveryRuleFile_IsEmbeddedByExactlyOneRoom()
    {
        var files = RuleFiles().ToList();
        files.Should().Contain(["rules/pickle.json", "rules/guard.json", "rules/guard/injection.json", "rules/guard/guard-ml.json"]);
        foreach (var file in files)
        {
            var owners = RulesCommand.Rooms.Where(a => a.GetManifestResourceNames().Contains(file, StringComparer.Ordinal)).Select(a => a.GetName().Name).ToList();
            owners.Should().ContainSingle($"{file} must be embedded (as '{file}') by exactly one room, whose tests run its self-tests");
        }
    }

    [Fact]
    public void Catalog_LoadsEveryRuleOfEveryRoomOnce()
    {
        var expected = RuleFiles().SelectMany(f =>
        {
            using var stream = File.OpenRead(Path.Combine(RepositoryPaths.Root, f));
            return RuleFileParser.Parse(stream, f).Select(r => r.Id).ToList();
        }).ToList();
        RulesCommand.Catalog.Rules.Select(r => r.Id).Should().BeEquivalentTo(expected);
    }

    [Theory]
    [InlineData("RAMP-LLM-001", "malicious", "Instruction override")]
    [InlineData("RAMP-LLM-006", "needs-review", "Invisible or direction-changing characters")]
    [InlineData("RAMP-GUARD-001", "malicious", "Secret in model traffic")]
    [InlineData("RAMP-GUARD-101", "malicious", "Model extraction (PRADA)")]
    [InlineData("RAMP-GUARD-108", "needs-review", "Live traffic drifted from the training profile")]
    [InlineData("RAMP-PKL-001", "malicious", "Pickle imports a global")]
    [InlineData("RAMP-DATA-001", "needs-review", "personal data in a column")]
    [InlineData("RAMP-RT-000", "inconclusive", "The red-team run could not finish")]
    public async Task RulesList_ShowsTheRulesOfEveryRoom(string id, string verdict, string title)
    {
        var run = await CliRunner.RunAsync(["rules", "list"]);
        run.ExitCode.Should().Be(0);
        var line = run.Stdout.Split('\n').Should().ContainSingle(l => l.StartsWith(id + " ", StringComparison.Ordinal)).Which;
        line.Should().Contain(verdict).And.Contain(title);
        var show = await CliRunner.RunAsync(["rules", "show", id]);
        show.ExitCode.Should().Be(0, show.Stderr);
        show.Stdout.Should().StartWith("# " + id + ": ", "the shipped rule page is printed").And.Contain($"verdict {verdict}");
    }
}
