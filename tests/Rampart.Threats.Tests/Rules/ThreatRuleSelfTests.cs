using System.Text;
using System.Text.Json;
using Rampart.TestKit;
using Rampart.Threats.Atlas;
using Rampart.Threats.Model;
using Rampart.Threats.Rules;

namespace Rampart.Threats.Tests.Rules;

/// <summary>
/// Runs every applicability rule's mustMatch / mustNotMatch samples through the real path: each sample becomes a small
/// system.yaml (parsed by SystemParser) and the generator must (not) apply the rule to it.
/// </summary>
public sealed class ThreatRuleSelfTests
{
    public static TheoryData<string> RuleIds() => [.. ThreatRuleCatalog.Default.Rules.Select(r => r.Id)];

    private static string Props(JsonElement sample, string indent) =>
        string.Concat(sample.EnumerateObject().Where(p => p.Name is not ("from" or "to" or "crossesBoundary")).Select(p => $"{indent}{p.Name}: {p.Value.GetRawText()}\n"));

    /// <summary>A sample as a system: a component sample alone, or a flow sample between two components.</summary>
    internal static SystemModel SystemFor(ThreatRule rule, JsonElement sample)
    {
        var yaml = new StringBuilder(Yaml.Header).Append("components:\n");
        if (rule.Target == RuleTarget.Component)
        {
            yaml.Append("  - id: subject\n").Append(Props(sample, "    "));
        }
        else
        {
            var crosses = sample.TryGetProperty("crossesBoundary", out var c) && c.GetBoolean();
            yaml.Append("  - id: source\n    boundary: inside\n").Append(Props(sample.GetProperty("from"), "    "));
            yaml.Append("  - id: target\n    boundary: ").Append(crosses ? "outside" : "inside").Append('\n').Append(Props(sample.GetProperty("to"), "    "));
            yaml.Append("flows:\n  - id: subject\n    from: source\n    to: target\n");
            if (sample.TryGetProperty("dataClasses", out var classes))
            {
                yaml.Append("    dataClasses: ").Append(classes.GetRawText()).Append('\n');
            }
        }

        return SystemParser.Parse(yaml.ToString(), "selftest.yaml", ".");
    }

    private static bool Applies(ThreatRule rule, JsonElement sample) =>
        ThreatGenerator.Subjects(SystemFor(rule, sample), rule).Any(s => s.Id == "subject");

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_SelfTests_Pass(string id)
    {
        var rule = ThreatRuleCatalog.Default[id];
        rule.MustMatch.Should().NotBeEmpty();
        rule.MustNotMatch.Should().NotBeEmpty("every rule shows where it does not apply too");
        foreach (var sample in rule.MustMatch)
        {
            Applies(rule, sample).Should().BeTrue($"{id} must apply to {sample.GetRawText()}");
        }

        foreach (var sample in rule.MustNotMatch)
        {
            Applies(rule, sample).Should().BeFalse($"{id} must not apply to {sample.GetRawText()}");
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_HasDocumentationPage(string id)
    {
        var text = RuleDocPages.ReadChecked(id);
        foreach (var technique in ThreatRuleCatalog.Default[id].Atlas)
        {
            text.Should().Contain(technique, "the page names the ATLAS techniques the rule maps to");
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_KeyMitigations_AnswerItsTechniquesInAtlas(string id)
    {
        var rule = ThreatRuleCatalog.Default[id];
        foreach (var m in rule.Mitigations)
        {
            rule.Atlas.Should().Contain(t => AtlasCatalog.Default.MitigationsFor(t).Any(x => x.Id == m), $"ATLAS lists {m} against one of {id}'s techniques");
        }
    }

    private static string Shipped(string name) => File.ReadAllText(Path.Combine(RepositoryPaths.Root, "rules", "threats", name));

    private static Action LoadWith(string applicability) => () => ThreatRuleCatalog.Load(AtlasCatalog.Default, name =>
        new MemoryStream(Encoding.UTF8.GetBytes(name == "applicability.json" ? applicability : Shipped(name))));

    [Theory]
    [InlineData("\"AML.T0011.000\", \"AML.T0010.003\"", "\"AML.T9999\"", "AML.T9999 is not an ATLAS 5.6.0 technique")]
    [InlineData("\"mitigations\": [\"AML.M0016\", \"AML.M0011\"]", "\"mitigations\": [\"AML.M0034\"]", "ATLAS does not list AML.M0034 against any of")]
    [InlineData("\"mitigations\": [\"AML.M0016\", \"AML.M0011\"]", "\"mitigations\": [\"AML.M0018\"]", "AML.M0018 has no entry in rules/threats/mitigations.json")]
    [InlineData("\"when\": { \"kind\": [\"model-artifact\", \"model-registry\"] }", "\"when\": { \"knd\": [\"model-artifact\"] }", "unknown condition 'knd'")]
    [InlineData("\"when\": { \"kind\": [\"model-artifact\", \"model-registry\"] }", "\"when\": { \"kind\": [\"model-artefact\"] }", "unknown value 'model-artefact'")]
    [InlineData("\"owasp\": [\"ML06\", \"LLM03\"]", "\"owasp\": [\"ML11\"]", "ML11 is not an OWASP")]
    [InlineData("\"id\": \"RAMP-THR-001\"", "\"id\": \"THR-1\"", "not of the form RAMP-THR-NNN")]
    [InlineData("\"id\": \"RAMP-THR-001\"", "\"id\": \"RAMP-THR-002\"", "RAMP-THR-002 is used twice")]
    [InlineData("\"likelihood\": 2,\n      \"impact\": 5,\n      \"selfTests\": {\n        \"mustMatch\": [ { \"kind\": \"model-artifact\" }, { \"kind\": \"model-registry\", \"modelType\": [\"classic\"] } ]", "\"likelihood\": 2,\n      \"impact\": 5,\n      \"selfTests\": {\n        \"mustMatch\": []", "has no mustMatch self-test")]
    public void Load_BrokenRule_IsRejectedNamingTheProblem(string from, string to, string expected)
    {
        var text = Shipped("applicability.json");
        text.Should().Contain(from);
        var mutated = ReplaceFirst(text, from, to);
        LoadWith(mutated).Should().Throw<InvalidDataException>().Which.Message.Should().Contain(expected);
    }

    private static string ReplaceFirst(string text, string from, string to)
    {
        var i = text.IndexOf(from, StringComparison.Ordinal);
        return text[..i] + to + text[(i + from.Length)..];
    }
}
