using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rampart.Text.PersonalData;

/// <summary>A personal-data shape: a regex (group "s") and a validator that removes look-alikes (Luhn, mod-97, ...).</summary>
public sealed record PiiPattern(string Id, string Rule, string Title, Regex Regex, string Validator, int Keep)
{
    /// <summary>The validator names a pattern may use; each is implemented by <see cref="PiiValidators.Validate"/>.</summary>
    public static readonly IReadOnlyList<string> Validators = ["none", "email", "phone", "luhn", "payment-card", "iban", "us-ssn", "uk-nino", "fr-insee", "de-taxid", "in-aadhaar"];

    internal static PiiPattern Parse(JsonElement e, string source)
    {
        PatternJson.Keys(e, source, "id", "rule", "title", "regex", "validator", "keep");
        var validator = PatternJson.Str(e, "validator", source);
        if (!Validators.Contains(validator, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{source}: unknown PII validator '{validator}'");
        }

        var regex = new Regex(PatternJson.Str(e, "regex", source), RegexOptions.CultureInvariant | RegexOptions.Compiled, PatternJson.MatchTimeout);
        if (!regex.GetGroupNames().Contains("s", StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{source}: PII pattern regex needs a named group 's'");
        }

        return new PiiPattern(PatternJson.Str(e, "id", source), PatternJson.RuleId(e, source), PatternJson.Str(e, "title", source),
            regex, validator, e.TryGetProperty("keep", out var k) ? k.GetInt32() : 2);
    }
}
