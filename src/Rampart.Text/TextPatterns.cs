using System.Collections.Immutable;
using System.Text.Json;
using Rampart.Text.PersonalData;
using Rampart.Text.Secrets;

namespace Rampart.Text;

/// <summary>
/// The secret and personal-data patterns, read from rules/text/*.json (embedded as textpatterns/*.json). Strict: an
/// unknown key, validator or rule id is an error at load time.
/// </summary>
public sealed class TextPatterns
{
    private static readonly Lazy<TextPatterns> LazyDefault = new(() => Parse(PatternJson.LoadEmbedded(typeof(TextPatterns).Assembly, "textpatterns/")));

    /// <summary>The shipped patterns.</summary>
    public static TextPatterns Default => LazyDefault.Value;

    public ImmutableArray<SecretPattern> Secrets { get; private init; } = [];

    public ImmutableArray<PiiPattern> Pii { get; private init; } = [];

    /// <summary>Every rule id a pattern raises.</summary>
    public IEnumerable<string> RuleIds => Secrets.Select(s => s.Rule).Concat(Pii.Select(p => p.Rule)).Distinct(StringComparer.Ordinal);

    /// <summary>Parses pattern documents (by source name); throws <see cref="InvalidDataException"/> naming the problem.</summary>
    public static TextPatterns Parse(IReadOnlyDictionary<string, JsonElement> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var secrets = ImmutableArray.CreateBuilder<SecretPattern>();
        var pii = ImmutableArray.CreateBuilder<PiiPattern>();
        foreach (var (source, root) in documents)
        {
            PatternJson.Keys(root, source, "secrets", "pii");
            secrets.AddRange(PatternJson.Array(root, "secrets").Select(p => SecretPattern.Parse(p, source)));
            pii.AddRange(PatternJson.Array(root, "pii").Select(p => PiiPattern.Parse(p, source)));
        }

        return new TextPatterns { Secrets = secrets.ToImmutable(), Pii = pii.ToImmutable() };
    }
}
