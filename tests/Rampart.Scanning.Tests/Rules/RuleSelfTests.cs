using Rampart.Core.Rules;
using Rampart.Scanning;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Rules;

/// <summary>
/// The scanner's self-test runner: every rule file Rampart.Scanning embeds (rules/*.json) passes its own mustMatch /
/// mustNotMatch self-tests, and each rule has a doc page. Other rooms run their own files' self-tests (Rampart.Text.Tests:
/// rules/guard/injection.json; Rampart.Guard.Tests: rules/guard.json and rules/guard/guard-ml.json).
/// </summary>
public sealed class RuleSelfTests
{
    public static TheoryData<string> RuleIds() => [.. AnalyzerRegistry.Rules.Rules.Select(r => r.Id)];

    [Theory]
    [MemberData(nameof(RuleIds))]
    public async Task Rule_SelfTests_Pass(string id)
    {
        var rule = AnalyzerRegistry.Rules[id];
        if (rule.Match.IsNameRule)
        {
            foreach (var name in rule.SelfTests.MustMatch)
            {
                AnalyzerRegistry.Rules.MatchName(name).Select(r => r.Id).Should().Contain(id, $"'{name}' is in the mustMatch list of {id}");
            }

            foreach (var name in rule.SelfTests.MustNotMatch)
            {
                AnalyzerRegistry.Rules.MatchName(name).Select(r => r.Id).Should().NotContain(id, $"'{name}' is in the mustNotMatch list of {id}");
            }

            return;
        }

        foreach (var fixtureId in rule.SelfTests.MustMatch)
        {
            var ids = await RuleIdsRaisedBy(fixtureId);
            ids.Should().Contain(id, $"fixture '{fixtureId}' is in the mustMatch list of {id}");
        }

        foreach (var fixtureId in rule.SelfTests.MustNotMatch)
        {
            var ids = await RuleIdsRaisedBy(fixtureId);
            ids.Should().NotContain(id, $"fixture '{fixtureId}' is in the mustNotMatch list of {id}");
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_HasDocumentationPage(string id)
    {
        RuleDocPages.ReadChecked(id);
    }

    private static async Task<IReadOnlyList<string>> RuleIdsRaisedBy(string fixtureId)
    {
        var fixture = FixtureCatalog.Get(fixtureId);
        using var temp = new TempDirectory();
        var path = fixture.Materialize(temp.Path);
        var scanner = new Scanning.Engine.Scanner(AnalyzerRegistry.CreateAll().Concat(fixture.ExtraAnalyzers), AnalyzerRegistry.Rules, RampartTool.Info)
        {
            FolderAnalyzers = AnalyzerRegistry.CreateFolderAnalyzers(),
        };
        var report = await scanner.ScanAsync([path], fixture.Policy?.Invoke(temp.Path) ?? Core.Policy.ScanPolicy.Default);
        return [.. report.Findings.Select(f => f.RuleId)];
    }
}
