using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rampart.Core.Rules;

namespace Rampart.Core.Reporting.Sarif;

/// <summary>
/// Writes SARIF 2.1.0 in the subset GitHub code scanning reads (docs/reports.md, "SARIF"). Every result points at
/// the file on disk; a finding inside an archive member or an embedded stream names the member in its message and
/// in a logical location, because code scanning can only show files that exist in the repository.
/// </summary>
/// <param name="baseDirectory">
/// Absolute scan paths under this folder are written relative to it (code scanning needs repository-relative
/// paths). Null: absolute paths stay absolute file URIs.
/// </param>
public sealed class SarifReporter(string? baseDirectory = null) : IReporter
{
    public const string SchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";

    /// <summary>The key of Rampart's own entry in partialFingerprints.</summary>
    public const string FingerprintKey = "rampartFinding/v1";

    public string Format => "sarif";

    public string FileExtension => "sarif";

    public ValueTask WriteAsync(ScanReport report, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonOutput.WriteDocumentAsync(output, writer => Write(writer, report), cancellationToken);
    }

    /// <summary>SARIF level for a severity: high and critical fail a check, medium warns, the rest are notes.</summary>
    public static string Level(Severity severity) => severity switch
    {
        Severity.Critical or Severity.High => "error",
        Severity.Medium => "warning",
        _ => "note",
    };

    /// <summary>GitHub's numeric "security-severity" (0.0-10.0), which it maps back to critical/high/medium/low.</summary>
    public static string SecuritySeverity(Severity severity) => severity switch
    {
        Severity.Critical => "9.5",
        Severity.High => "8.0",
        Severity.Medium => "5.5",
        Severity.Low => "3.0",
        _ => "0.0",
    };

    /// <summary>A stable fingerprint of one finding: rule, logical path and the "name" property, hashed.</summary>
    public static string Fingerprint(Finding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        var text = $"{finding.RuleId}\n{finding.ArtifactPath}\n{finding.Property("name") ?? ""}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private void Write(Utf8JsonWriter w, ScanReport report)
    {
        var rules = ReportText.ReferencedRules(report);
        var ruleIndex = rules.Select((r, i) => (r.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
        var artifacts = new Dictionary<string, ArtifactReport>(StringComparer.Ordinal);
        foreach (var artifact in report.Artifacts)
        {
            artifacts.TryAdd(artifact.Path, artifact);
        }

        w.WriteStartObject();
        w.WriteString("$schema", SchemaUri);
        w.WriteString("version", "2.1.0");
        w.WriteStartArray("runs");
        w.WriteStartObject();

        w.WriteStartObject("tool");
        w.WriteStartObject("driver");
        w.WriteString("name", report.Tool.Name);
        w.WriteString("semanticVersion", report.Tool.Version);
        w.WriteString("informationUri", report.Tool.InformationUri.AbsoluteUri);
        w.WriteStartArray("rules");
        foreach (var rule in rules)
        {
            WriteRule(w, report, rule);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteStartArray("invocations");
        w.WriteStartObject();
        w.WriteBoolean("executionSuccessful", true);
        w.WriteNumber("exitCode", report.ExitCode);
        w.WriteString("exitCodeDescription", ReportText.ExitCodeMeaning(report.ExitCode, report.FailOn));
        w.WriteString("startTimeUtc", JsonOutput.Timestamp(report.StartedAt));
        w.WriteString("endTimeUtc", JsonOutput.Timestamp(report.StartedAt + report.Duration));
        w.WriteStartArray("toolExecutionNotifications");
        foreach (var warning in report.Warnings)
        {
            w.WriteStartObject();
            w.WriteString("level", "warning");
            w.WriteStartObject("message");
            w.WriteString("text", warning);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartArray("results");
        foreach (var finding in report.Findings)
        {
            WriteResult(w, finding, null, ruleIndex, artifacts);
        }

        foreach (var suppressed in report.Suppressed)
        {
            WriteResult(w, suppressed.Finding, suppressed, ruleIndex, artifacts);
        }

        w.WriteEndArray();

        w.WriteStartObject("properties");
        w.WriteString("verdict", report.Verdict.ToWire());
        w.WriteString("failOn", report.FailOn.ToWire());
        w.WriteString("reportSchemaVersion", ScanReport.SchemaVersion);
        w.WriteEndObject();

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteRule(Utf8JsonWriter w, ScanReport report, RuleDefinition rule)
    {
        var helpUri = report.Tool.RuleHelpUri(rule.Id);
        w.WriteStartObject();
        w.WriteString("id", rule.Id);
        w.WriteString("name", rule.Name);
        w.WriteStartObject("shortDescription");
        w.WriteString("text", rule.Title);
        w.WriteEndObject();
        w.WriteStartObject("fullDescription");
        w.WriteString("text", rule.Summary);
        w.WriteEndObject();
        w.WriteStartObject("help");
        w.WriteString("text", ReportText.HelpText(rule, helpUri));
        w.WriteString("markdown", ReportText.HelpMarkdown(rule, helpUri));
        w.WriteEndObject();
        w.WriteString("helpUri", helpUri.AbsoluteUri);
        w.WriteStartObject("defaultConfiguration");
        w.WriteString("level", Level(rule.Severity));
        w.WriteEndObject();
        w.WriteStartObject("properties");
        w.WriteStartArray("tags");
        foreach (var tag in rule.Tags.Prepend("security").Distinct(StringComparer.Ordinal))
        {
            w.WriteStringValue(tag);
        }

        w.WriteEndArray();
        w.WriteString("precision", rule.Verdict == Verdict.Malicious ? "high" : "medium");
        w.WriteString("security-severity", SecuritySeverity(rule.Severity));
        w.WriteString("verdict", rule.Verdict.ToWire());
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void WriteResult(Utf8JsonWriter w, Finding finding, SuppressedFinding? suppressed, Dictionary<string, int> ruleIndex, Dictionary<string, ArtifactReport> artifacts)
    {
        var file = OuterFile(finding.ArtifactPath, artifacts);
        var inner = finding.ArtifactPath.Length > file.Length ? finding.ArtifactPath[file.Length..] : null;
        var where = ReportText.Describe(finding.Location);
        var message = new StringBuilder(finding.Message);
        if (inner is not null)
        {
            message.Append(" [in ").Append(finding.ArtifactPath).Append(']');
        }

        if (where is not null)
        {
            message.Append(" [at ").Append(where).Append(']');
        }

        w.WriteStartObject();
        w.WriteString("ruleId", finding.RuleId);
        if (ruleIndex.TryGetValue(finding.RuleId, out var index))
        {
            w.WriteNumber("ruleIndex", index);
        }

        w.WriteString("level", Level(finding.Severity));
        w.WriteStartObject("message");
        w.WriteString("text", message.ToString());
        w.WriteEndObject();

        w.WriteStartArray("locations");
        w.WriteStartObject();
        w.WriteStartObject("physicalLocation");
        w.WriteStartObject("artifactLocation");
        var (uri, relative) = FileUri(file);
        w.WriteString("uri", uri);
        if (relative)
        {
            w.WriteString("uriBaseId", "%SRCROOT%");
        }

        w.WriteEndObject();
        w.WriteStartObject("region");
        if (inner is null && finding.Location.Line is { } line)
        {
            w.WriteNumber("startLine", line);
            if (finding.Location.Column is { } column)
            {
                w.WriteNumber("startColumn", column);
            }
        }
        else
        {
            // Code scanning needs a line to display a result; a binary file is shown at its first line.
            w.WriteNumber("startLine", 1);
        }

        if (inner is null && finding.Location.Offset is { } offset)
        {
            w.WriteNumber("byteOffset", offset);
        }

        w.WriteEndObject();
        w.WriteEndObject();
        if (inner is not null)
        {
            w.WriteStartArray("logicalLocations");
            w.WriteStartObject();
            w.WriteString("name", inner.TrimStart('!', '/', '#'));
            w.WriteString("fullyQualifiedName", finding.ArtifactPath);
            w.WriteString("kind", "resource");
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartObject("partialFingerprints");
        w.WriteString(FingerprintKey, Fingerprint(finding));
        w.WriteEndObject();

        if (suppressed is not null)
        {
            w.WriteStartArray("suppressions");
            w.WriteStartObject();
            w.WriteString("kind", "external");
            w.WriteString("status", "accepted");
            w.WriteString("justification", suppressed.Expires is { } expires
                ? string.Create(CultureInfo.InvariantCulture, $"{suppressed.Justification} (until {expires:yyyy-MM-dd})")
                : suppressed.Justification);
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteStartObject("properties");
        w.WriteString("severity", finding.Severity.ToWire());
        w.WriteString("verdict", finding.Verdict.ToWire());
        w.WriteString("logicalPath", finding.ArtifactPath);
        if (finding.Location.Offset is { } at)
        {
            w.WriteNumber("offset", at);
        }

        if (finding.Location.Detail is { } detail)
        {
            w.WriteString("locationDetail", detail);
        }

        w.WriteStartObject("findingProperties");
        foreach (var (key, value) in finding.Properties ?? ImmutableSortedDictionary<string, string>.Empty)
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        JsonOutput.FlushIfLarge(w);
    }

    /// <summary>The top-level file a logical path lives in: follow parents; without them, cut at the first "!/" or "#".</summary>
    internal static string OuterFile(string logicalPath, IReadOnlyDictionary<string, ArtifactReport> artifacts)
    {
        var path = logicalPath;
        var steps = 0;
        while (artifacts.TryGetValue(path, out var artifact) && artifact.Parent is { } parent && steps++ < 1024)
        {
            path = parent;
        }

        if (artifacts.ContainsKey(path))
        {
            return path;
        }

        var cut = new[] { path.IndexOf("!/", StringComparison.Ordinal), path.IndexOf('#', StringComparison.Ordinal) }
            .Where(i => i > 0).DefaultIfEmpty(path.Length).Min();
        return path[..cut];
    }

    /// <summary>A URI for a file path: relative with forward slashes where possible, else an absolute file URI.</summary>
    internal (string Uri, bool Relative) FileUri(string path)
    {
        var normalized = path.Replace('\\', '/');
        if (Path.IsPathRooted(path))
        {
            if (baseDirectory is not null)
            {
                var relative = Path.GetRelativePath(baseDirectory, path);
                if (!Path.IsPathRooted(relative) && relative != ".." && !relative.StartsWith("../", StringComparison.Ordinal) && !relative.StartsWith("..\\", StringComparison.Ordinal))
                {
                    return (EscapeSegments(relative.Replace('\\', '/')), true);
                }
            }

            return (new Uri(path).AbsoluteUri, false);
        }

        while (normalized.StartsWith("./", StringComparison.Ordinal))
        {
            normalized = normalized[2..];
        }

        return (EscapeSegments(normalized), true);
    }

    private static string EscapeSegments(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
}
