using System.Text.RegularExpressions;
using Rampart.Core.Rules;
using Rampart.TestKit;

namespace Rampart.Core.Tests.Rules;

/// <summary>
/// Rule ids live in one place: the catalog, one format for every room (rules/*.json and rules/guard/*.json rule
/// files, read by <see cref="RuleFileParser"/>). Every id the source code or the pattern data names must be a catalog
/// entry, and every catalog entry must be raised by something (code, pattern data, or its own names or text
/// patterns), so a renamed or deleted rule cannot leave a dangling id or a dead page behind.
/// </summary>
public sealed partial class RuleIdsTests
{
    [GeneratedRegex("\"(RAMP-[A-Z]+-[0-9]{3})\"")]
    private static partial Regex QuotedRuleId();

    private static string Root => RepositoryPaths.Root;

    /// <summary>Every catalog entry by id; the value says whether the entry raises itself (name patterns or its own text patterns).</summary>
    private static Dictionary<string, bool> Catalog()
    {
        var catalog = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var file in RepositoryPaths.RuleFiles())
        {
            using var stream = File.OpenRead(Path.Combine(Root, file));
            foreach (var rule in RuleFileParser.Parse(stream, file))
            {
                catalog.Add(rule.Id, rule.Match.RaisesItself);
            }
        }

        // The threat-applicability rules have a format of their own (conditions over a system description); each raises
        // itself when its conditions hold, and Rampart.Threats.Tests runs their self-tests.
        using var threats = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "rules", "threats", "applicability.json")));
        foreach (var rule in threats.RootElement.GetProperty("rules").EnumerateArray())
        {
            catalog.Add(rule.GetProperty("id").GetString()!, true);
        }

        return catalog;
    }

    private static HashSet<string> CatalogFiles() =>
        [.. RepositoryPaths.RuleFiles().Append("rules/threats/applicability.json").Select(f => f.Replace('/', Path.DirectorySeparatorChar))];

    private static IEnumerable<(string File, string Id)> IdsIn(string folder, string pattern) =>
        Directory.EnumerateFiles(Path.Combine(Root, folder), pattern, SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => QuotedRuleId().Matches(File.ReadAllText(f)).Select(m => (Path.GetRelativePath(Root, f), m.Groups[1].Value)));

    [Fact]
    public void EveryRuleIdNamedInSourceCode_IsACatalogEntry()
    {
        var catalog = Catalog();
        var dangling = IdsIn("src", "*.cs").Where(x => !catalog.ContainsKey(x.Id)).Select(x => $"{x.Id} in {x.File}").Distinct().ToList();
        dangling.Should().BeEmpty("a rule id in code must have its entry (and doc page) in rules/*.json");
    }

    [Fact]
    public void EveryRuleIdNamedInPatternData_IsACatalogEntry()
    {
        var catalog = Catalog();
        var catalogFiles = CatalogFiles();
        var dangling = IdsIn("rules", "*.json").Where(x => !catalogFiles.Contains(x.File) && !catalog.ContainsKey(x.Id))
            .Select(x => $"{x.Id} in {x.File}").Distinct().ToList();
        dangling.Should().BeEmpty();
    }

    [Fact]
    public void EveryCatalogEntry_IsRaisedBySomething()
    {
        var catalog = Catalog();
        var catalogFiles = CatalogFiles();
        var raised = IdsIn("src", "*.cs").Select(x => x.Id)
            .Concat(IdsIn("rules", "*.json").Where(x => !catalogFiles.Contains(x.File)).Select(x => x.Id))
            .ToHashSet(StringComparer.Ordinal);
        var dead = catalog.Where(r => !raised.Contains(r.Key) && !r.Value).Select(r => r.Key).ToList();
        dead.Should().BeEmpty("a catalog entry nothing raises is a dead rule with a dead doc page");
    }
}
