using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace Rampart.RedTeam.Reports;

/// <summary>
/// One run of a red-team report as another room needs it: how many probes and attacks were tried, how many worked
/// (status failed), how many could not be judged, and the rules of the findings.
/// </summary>
public sealed record RunSummary(string Label, string Target, bool Partial, int Tried, int Succeeded, int Inconclusive, ImmutableArray<string> FindingRules);

/// <summary>
/// What a `rampart redteam --format json` report (docs/redteam-report.schema.json) says, read back without the
/// per-probe detail: when it ran, its kind and exit code, and each run. The first run is the target as it stands;
/// later runs are the same attacks through a gateway.
/// </summary>
public sealed record RedTeamReportSummary(DateTimeOffset StartedAt, string Kind, string FailOn, int ExitCode, ImmutableArray<RunSummary> Runs)
{
    /// <summary>Largest report read back.</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    /// <summary>Reads the report's JSON; a document that is not a red-team report of this schema version is an <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static RedTeamReportSummary Parse(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("schemaVersion", out var version) || version.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException("not a rampart redteam JSON report (no schemaVersion; write one with `rampart redteam ... -f json`)");
            }

            if (version.GetString() != RedTeamReport.SchemaVersion)
            {
                throw new InvalidDataException($"red-team report schema {version.GetString()} is not supported (expected {RedTeamReport.SchemaVersion})");
            }

            var startedText = String(root, "startedAt");
            if (!DateTimeOffset.TryParse(startedText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var started))
            {
                throw new InvalidDataException($"startedAt '{startedText}' is not a date-time");
            }

            var runs = Property(root, "runs", JsonValueKind.Array).EnumerateArray().Select(ReadRun).ToImmutableArray();
            if (runs.IsEmpty)
            {
                throw new InvalidDataException("the report has no runs");
            }

            return new RedTeamReportSummary(started.ToUniversalTime(), String(root, "kind"), String(root, "failOn"), Property(root, "exitCode", JsonValueKind.Number).GetInt32(), runs);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new InvalidDataException($"not a valid red-team report: {e.Message}", e);
        }
    }

    private static RunSummary ReadRun(JsonElement run)
    {
        var items = Property(run, "probes", JsonValueKind.Array).EnumerateArray().Concat(Property(run, "attacks", JsonValueKind.Array).EnumerateArray())
            .Select(i => String(i, "status")).ToList();
        var rules = Property(run, "findings", JsonValueKind.Array).EnumerateArray().Select(f => String(f, "ruleId"))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
        return new RunSummary(
            String(run, "label"),
            String(run, "target"),
            Property(run, "partial", JsonValueKind.True, JsonValueKind.False).GetBoolean(),
            items.Count,
            items.Count(s => s == "failed"),
            items.Count(s => s == "inconclusive"),
            rules);
    }

    private static string String(JsonElement element, string name) => Property(element, name, JsonValueKind.String).GetString()!;

    private static JsonElement Property(JsonElement element, string name, params JsonValueKind[] kinds) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && kinds.Contains(value.ValueKind)
            ? value
            : throw new InvalidDataException($"the red-team report has no {name} of type {string.Join(" or ", kinds).ToLowerInvariant()} where docs/redteam-report.schema.json requires one");
}
