using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace Rampart.Core.Reporting.Json;

/// <summary>
/// Writes the versioned JSON report described by docs/report-schema.json and docs/reports.md. Written field by field
/// with <see cref="Utf8JsonWriter"/>, so the wire format is exactly what the schema says and never drifts with a
/// renamed C# property.
/// </summary>
public sealed class JsonReporter : IReporter
{
    public string Format => "json";

    public string FileExtension => "json";

    public ValueTask WriteAsync(ScanReport report, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonOutput.WriteDocumentAsync(output, writer => Write(writer, report), cancellationToken);
    }

    private static void Write(Utf8JsonWriter w, ScanReport report)
    {
        w.WriteStartObject();
        w.WriteString("schemaVersion", ScanReport.SchemaVersion);
        w.WriteStartObject("tool");
        w.WriteString("name", report.Tool.Name);
        w.WriteString("version", report.Tool.Version);
        w.WriteString("informationUri", report.Tool.InformationUri.AbsoluteUri);
        w.WriteEndObject();
        w.WriteString("startedAt", JsonOutput.Timestamp(report.StartedAt));
        w.WriteNumber("durationMs", (long)Math.Round(report.Duration.TotalMilliseconds));
        WriteStrings(w, "targets", report.Targets);
        w.WriteString("failOn", report.FailOn.ToWire());
        w.WriteString("verdict", report.Verdict.ToWire());
        w.WriteNumber("exitCode", report.ExitCode);

        var summary = report.Summary;
        w.WriteStartObject("summary");
        w.WriteNumber("files", summary.Files);
        w.WriteNumber("artifacts", summary.Artifacts);
        w.WriteNumber("clean", summary.Clean);
        w.WriteNumber("needsReview", summary.NeedsReview);
        w.WriteNumber("inconclusive", summary.Inconclusive);
        w.WriteNumber("malicious", summary.Malicious);
        w.WriteNumber("skipped", summary.Skipped);
        w.WriteNumber("findings", report.Findings.Length);
        w.WriteNumber("suppressed", report.Suppressed.Length);
        w.WriteStartObject("findingsBySeverity");
        foreach (var severity in Enum.GetValues<Severity>())
        {
            w.WriteNumber(severity.ToWire(), summary.FindingsBySeverity.GetValueOrDefault(severity));
        }

        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteStartArray("artifacts");
        foreach (var artifact in report.Artifacts)
        {
            w.WriteStartObject();
            w.WriteString("path", artifact.Path);
            WriteStringOrNull(w, "parent", artifact.Parent);
            WriteStrings(w, "formats", artifact.Formats);
            if (artifact.Length is { } length)
            {
                w.WriteNumber("length", length);
            }
            else
            {
                w.WriteNull("length");
            }

            w.WriteString("status", artifact.Status == ArtifactStatus.Scanned ? "scanned" : "skipped");
            w.WriteString("verdict", artifact.Verdict.ToWire());
            WriteStringOrNull(w, "skipReason", artifact.SkipReason);
            WriteMap(w, "facts", artifact.Facts);
            w.WriteEndObject();
            JsonOutput.FlushIfLarge(w);
        }

        w.WriteEndArray();

        w.WriteStartArray("findings");
        foreach (var finding in report.Findings)
        {
            WriteFinding(w, report, finding);
            JsonOutput.FlushIfLarge(w);
        }

        w.WriteEndArray();

        w.WriteStartArray("suppressed");
        foreach (var suppressed in report.Suppressed)
        {
            w.WriteStartObject();
            w.WritePropertyName("finding");
            WriteFinding(w, report, suppressed.Finding);
            w.WriteString("justification", suppressed.Justification);
            WriteStringOrNull(w, "expires", suppressed.Expires?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }

        w.WriteEndArray();

        WriteStrings(w, "warnings", report.Warnings);

        w.WriteStartArray("rules");
        foreach (var rule in ReportText.ReferencedRules(report))
        {
            w.WriteStartObject();
            w.WriteString("id", rule.Id);
            w.WriteString("name", rule.Name);
            w.WriteString("title", rule.Title);
            w.WriteString("severity", rule.Severity.ToWire());
            w.WriteString("verdict", rule.Verdict.ToWire());
            w.WriteString("summary", rule.Summary);
            w.WriteString("fix", rule.Fix);
            w.WriteString("helpUri", report.Tool.RuleHelpUri(rule.Id).AbsoluteUri);
            WriteStrings(w, "tags", rule.Tags);
            w.WriteStartArray("references");
            foreach (var reference in rule.References)
            {
                w.WriteStartObject();
                w.WriteString("id", reference.Id);
                w.WriteString("title", reference.Title);
                WriteStringOrNull(w, "url", reference.Url?.AbsoluteUri);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteFinding(Utf8JsonWriter w, ScanReport report, Finding finding)
    {
        w.WriteStartObject();
        w.WriteString("ruleId", finding.RuleId);
        WriteStringOrNull(w, "ruleName", report.Rules.TryGet(finding.RuleId, out var rule) ? rule.Name : null);
        w.WriteString("severity", finding.Severity.ToWire());
        w.WriteString("verdict", finding.Verdict.ToWire());
        w.WriteString("message", finding.Message);
        w.WriteString("path", finding.ArtifactPath);
        w.WriteStartObject("location");
        WriteNumberOrNull(w, "offset", finding.Location.Offset);
        WriteNumberOrNull(w, "line", finding.Location.Line);
        WriteNumberOrNull(w, "column", finding.Location.Column);
        WriteStringOrNull(w, "detail", finding.Location.Detail);
        w.WriteEndObject();
        WriteMap(w, "properties", finding.Properties ?? ImmutableSortedDictionary<string, string>.Empty);
        w.WriteString("helpUri", report.Tool.RuleHelpUri(finding.RuleId).AbsoluteUri);
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static void WriteMap(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, string>> values)
    {
        w.WriteStartObject(name);
        foreach (var (key, value) in values.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
    }

    private static void WriteStringOrNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteNumberOrNull(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
