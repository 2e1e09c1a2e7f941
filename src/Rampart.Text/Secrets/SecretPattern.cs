using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rampart.Text.Secrets;

/// <summary>
/// A hard-coded credential shape: a regex whose group "s" is the secret itself, optional context words that must be
/// on the same line, a minimum Shannon entropy for generic shapes, and how many leading characters a redaction keeps.
/// </summary>
public sealed record SecretPattern(string Id, string Rule, string Title, Regex Regex, Regex? Context, double MinEntropy, int Keep)
{
    internal static SecretPattern Parse(JsonElement e, string source)
    {
        PatternJson.Keys(e, source, "id", "rule", "title", "regex", "context", "minEntropy", "keep");
        var regex = new Regex(PatternJson.Str(e, "regex", source), RegexOptions.CultureInvariant | RegexOptions.Compiled, PatternJson.MatchTimeout);
        if (!regex.GetGroupNames().Contains("s", StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{source}: secret pattern regex needs a named group 's' for the secret itself");
        }

        return new SecretPattern(
            PatternJson.Str(e, "id", source),
            PatternJson.RuleId(e, source),
            PatternJson.Str(e, "title", source),
            regex,
            e.TryGetProperty("context", out var c) ? new Regex(c.GetString()!, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, PatternJson.MatchTimeout) : null,
            e.TryGetProperty("minEntropy", out var m) ? m.GetDouble() : 0,
            e.TryGetProperty("keep", out var k) ? k.GetInt32() : 4);
    }
}
