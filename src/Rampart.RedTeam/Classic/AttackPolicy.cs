using System.Collections.Frozen;
using System.Text.Json;

namespace Rampart.RedTeam.Classic;

/// <summary>One attack's threshold: its metric at or above <see cref="FailAtOrAbove"/> is a weakness under <see cref="RuleId"/>.</summary>
public sealed record AttackThreshold(string Id, string RuleId, string Metric, double FailAtOrAbove)
{
    /// <summary>Whether <paramref name="metrics"/> show the weakness.</summary>
    public bool Fails(IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return metrics.TryGetValue(Metric, out var value) && value >= FailAtOrAbove;
    }
}

/// <summary>The shipped thresholds (rules/redteam/attacks.json, embedded).</summary>
public static class AttackPolicy
{
    private static readonly Lazy<FrozenDictionary<string, AttackThreshold>> LazyShipped = new(() =>
    {
        using var stream = typeof(AttackPolicy).Assembly.GetManifestResourceStream("redteam/attacks.json")
            ?? throw new InvalidOperationException("resource redteam/attacks.json is missing");
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.GetProperty("attacks").EnumerateArray()
            .Select(a => new AttackThreshold(a.GetProperty("id").GetString()!, a.GetProperty("rule").GetString()!, a.GetProperty("metric").GetString()!, a.GetProperty("failAtOrAbove").GetDouble()))
            .ToFrozenDictionary(a => a.Id, StringComparer.Ordinal);
    });

    public static FrozenDictionary<string, AttackThreshold> Shipped => LazyShipped.Value;
}
