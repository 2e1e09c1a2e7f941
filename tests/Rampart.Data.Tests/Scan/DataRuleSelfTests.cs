using Rampart.Data.Diff;
using Rampart.Data.Scan;
using Rampart.Data.Tests.Kit;
using Rampart.TestKit;

namespace Rampart.Data.Tests.Scan;

/// <summary>Runs the mustMatch / mustNotMatch self-tests of rules/data/rules.json on the datasets of <see cref="DataFixtures"/>, and checks each rule's page.</summary>
public sealed class DataRuleSelfTests
{
    public static TheoryData<string> RuleIds() => [.. DataRules.Catalog.Rules.Select(r => r.Id)];

    [Fact]
    public void Catalog_HasEveryRuleTheCodeRaises()
    {
        var ids = typeof(DataRules).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetValue(null)!).ToList();
        DataRules.Catalog.Rules.Select(r => r.Id).Should().BeEquivalentTo(ids);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_SelfTests_Pass(string id)
    {
        var rule = DataRules.Catalog[id];
        foreach (var fixture in rule.SelfTests.MustMatch)
        {
            Raised(fixture).Should().Contain(id, $"'{fixture}' is in the mustMatch list of {id}");
        }

        foreach (var fixture in rule.SelfTests.MustNotMatch)
        {
            Raised(fixture).Should().NotContain(id, $"'{fixture}' is in the mustNotMatch list of {id}");
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_HasDocumentationPage(string id)
    {
        RuleDocPages.ReadChecked(id);
    }

    internal static List<string> Raised(string fixture)
    {
        using var temp = new TempDirectory();
        var (path, newPath) = DataFixtures.Materialize(fixture, temp.Path);
        return newPath is null
            ? [.. DatasetScanner.Scan(path).Findings.Select(f => f.RuleId)]
            : [.. DatasetDiff.Compare(path, newPath).Findings.Select(f => f.RuleId)];
    }
}
