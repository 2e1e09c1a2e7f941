using System.Collections.Immutable;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rampart.Text;

/// <summary>
/// Strict readers for pattern documents: an unknown key or a missing value is an error at load time, never a silently
/// dead pattern. Shared by every pattern file in the product (text detectors here, code patterns in Scanning).
/// </summary>
internal static class PatternJson
{
    /// <summary>Every regex in a pattern file gets this match timeout: patterns run on hostile text.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    public static void Keys(JsonElement e, string source, params string[] allowed)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{source}: expected an object");
        }

        foreach (var property in e.EnumerateObject())
        {
            if (!allowed.Contains(property.Name, StringComparer.Ordinal))
            {
                throw new InvalidDataException($"{source}: unknown key '{property.Name}' (allowed: {string.Join(", ", allowed)})");
            }
        }
    }

    public static string Str(JsonElement e, string name, string source) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString())
            ? v.GetString()!
            : throw new InvalidDataException($"{source}: missing text '{name}'");

    public static string RuleId(JsonElement e, string source)
    {
        var rule = Str(e, "rule", source);
        return Regex.IsMatch(rule, "^RAMP-[A-Z]+-[0-9]{3}$", RegexOptions.None, MatchTimeout)
            ? rule
            : throw new InvalidDataException($"{source}: '{rule}' is not a rule id");
    }

    public static List<JsonElement> Array(JsonElement e, string name) =>
        e.TryGetProperty(name, out var a) ? [.. a.EnumerateArray()] : [];

    public static ImmutableArray<string> Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var a) ? [.. a.EnumerateArray().Select(x => x.GetString()!)] : [];

    /// <summary>Reads every embedded resource whose logical name starts with <paramref name="prefix"/>, in name order.</summary>
    public static Dictionary<string, JsonElement> LoadEmbedded(System.Reflection.Assembly assembly, string prefix)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var documents = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var doc = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            documents[name] = doc.RootElement.Clone();
        }

        return documents;
    }
}
