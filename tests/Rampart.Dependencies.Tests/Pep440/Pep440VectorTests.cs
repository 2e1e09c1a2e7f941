using System.Text.Json;
using Rampart.Dependencies.Pep440;
using Rampart.TestKit;

namespace Rampart.Dependencies.Tests.Pep440;

public sealed class Pep440VectorTests
{
    private static JsonDocument? Load() =>
        SharedData.TryPath("pep440/vectors.json") is { } path ? JsonDocument.Parse(File.ReadAllText(path)) : null;

    public static TheoryData<string, string, bool> MembershipCases()
    {
        var data = new TheoryData<string, string, bool>();
        using var doc = Load();
        if (doc is null)
        {
            data.Add("1.0", "==1.0", true); // placeholder: the theory is skipped where the data is absent
            return data;
        }

        foreach (var item in doc.RootElement.GetProperty("specifier_membership_prereleases_true").EnumerateArray())
        {
            data.Add(item.GetProperty("version").GetString()!, item.GetProperty("spec").GetString()!, item.GetProperty("expected").GetBoolean());
        }

        return data;
    }

    [SharedDataTheory("pep440")]
    [MemberData(nameof(MembershipCases))]
    public void Contains_VectorCase_MatchesPackaging(string version, string spec, bool expected)
    {
        SpecifierSet.TryParse(spec, out var set).Should().BeTrue($"'{spec}' is a valid specifier");
        set.Contains(version, prereleases: true).Should().Be(expected, $"'{version}' in '{spec}'");
    }

    [SharedDataFact("pep440")]
    public void CompareTo_SortedVectors_EveryPairInOrder()
    {
        using var doc = Load();
        var versions = doc!.RootElement.GetProperty("sorted_versions").EnumerateArray().Select(e => e.GetString()!).ToList();
        versions.Should().HaveCountGreaterThan(50);
        var parsed = versions.Select(PythonVersion.Parse).ToList();
        for (var i = 0; i < parsed.Count; i++)
        {
            for (var j = 0; j < parsed.Count; j++)
            {
                Math.Sign(parsed[i].CompareTo(parsed[j])).Should().Be(Math.Sign(i.CompareTo(j)), $"{versions[i]} vs {versions[j]}");
            }
        }

        // Shuffled then sorted gives the same order back.
        var shuffled = parsed.OrderBy(v => v.ToString().GetHashCode(StringComparison.Ordinal)).ToList();
        shuffled.Sort();
        shuffled.Select(v => v.ToString()).Should().Equal(parsed.Select(v => v.ToString()));
    }
}

public sealed class PythonVersionTests
{
    [Theory]
    [InlineData("1.0", "1.0")]
    [InlineData("v1.0", "1.0")]
    [InlineData("1.0-1", "1.0.post1")]
    [InlineData("1.0.ALPHA2", "1.0a2")]
    [InlineData("1.0c1", "1.0rc1")]
    [InlineData("1.0.dev", "1.0.dev0")]
    [InlineData("2!1.0_post_3", "2!1.0.post3")]
    [InlineData("1.0+Ubuntu-1", "1.0+ubuntu.1")]
    public void Parse_Spellings_Normalizes(string text, string normalized) =>
        PythonVersion.Parse(text).ToString().Should().Be(normalized);

    [Theory]
    [InlineData("1.0.0.0.0")]
    [InlineData("1.0")]
    public void Equals_TrailingZeros_Equal(string text) => PythonVersion.Parse(text).Should().Be(PythonVersion.Parse("1"));

    [Theory]
    [InlineData("")]
    [InlineData("french toast")]
    [InlineData("1.0+")]
    [InlineData("1.0-")]
    [InlineData("1..0")]
    public void TryParse_Invalid_False(string text) => PythonVersion.TryParse(text, out _).Should().BeFalse();

    [Theory]
    [InlineData("~=1.4.5", "1.4.9", true)]
    [InlineData("~=1.4.5", "1.5.0", false)]
    [InlineData("~=2.2", "2.9", true)]
    [InlineData("~=2.2", "3.0", false)]
    [InlineData(">=1.0,<2", "1.5", true)]
    [InlineData(">=1.0,<2", "2.0", false)]
    [InlineData(">=1.0", "2.0b1", false)]
    [InlineData(">=1.0b1", "2.0b1", true)]
    [InlineData("===1.0-foo", "1.0-FOO", true)]
    [InlineData("!=1.1.*", "1.1.3", false)]
    public void Contains_DefaultPrereleaseRules_AsPep440(string spec, string version, bool expected)
    {
        SpecifierSet.TryParse(spec, out var set).Should().BeTrue();
        set.Contains(version).Should().Be(expected);
    }

    [Theory]
    [InlineData("~=1")]
    [InlineData("<1.0+local")]
    [InlineData(">=1.*")]
    [InlineData("==1.0a1.*")]
    [InlineData("=>1.0")]
    public void TryParse_InvalidSpecifier_False(string spec) => SpecifierSet.TryParse(spec, out _).Should().BeFalse();

    [Theory]
    [InlineData("Scikit_Learn", "scikit-learn")]
    [InlineData("zope.interface", "zope-interface")]
    [InlineData("A--B__.C", "a-b-c")]
    public void Normalize_Names_Pep503(string name, string expected) => PackageName.Normalize(name).Should().Be(expected);
}
