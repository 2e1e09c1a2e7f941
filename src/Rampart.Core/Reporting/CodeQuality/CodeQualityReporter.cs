using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rampart.Core.Reporting.Sarif;

namespace Rampart.Core.Reporting.CodeQuality;

/// <summary>
/// GitLab's code-quality report (the CodeClimate subset GitLab reads from <c>artifacts:reports:codequality</c>): a JSON
/// array of issues with <c>description</c>, <c>check_name</c> (the rule id), <c>fingerprint</c> (stable across runs:
/// rule, file and message), <c>severity</c> (info, minor, major, critical, blocker) and <c>location.path</c> relative to
/// the project folder with <c>location.lines.begin</c>. Findings inside archives are reported on the file that holds
/// them; the message names the member.
/// </summary>
public sealed class CodeQualityReporter(string? baseDirectory) : IReporter
{
    public string Format => "codequality";

    public string FileExtension => "json";

    public async ValueTask WriteAsync(ScanReport report, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        var artifacts = report.Artifacts.GroupBy(a => a.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        await using (w.ConfigureAwait(false))
        {
            w.WriteStartArray();
            foreach (var finding in report.Findings)
            {
                var file = RelativePath(SarifReporter.OuterFile(finding.ArtifactPath, artifacts));
                var inside = finding.ArtifactPath.Contains("!/", StringComparison.Ordinal) || finding.ArtifactPath.Contains('#', StringComparison.Ordinal);
                var description = inside ? $"{finding.Message} (in {finding.ArtifactPath})" : finding.Message;
                w.WriteStartObject();
                w.WriteString("type", "issue");
                w.WriteString("check_name", finding.RuleId);
                w.WriteString("description", $"{finding.RuleId}: {description}");
                w.WriteStartArray("categories");
                w.WriteStringValue("Security");
                w.WriteEndArray();
                w.WriteString("severity", Severity(finding.Severity));
                w.WriteString("fingerprint", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{finding.RuleId}\n{finding.ArtifactPath}\n{finding.Message}"))));
                w.WriteStartObject("location");
                w.WriteString("path", file);
                w.WriteStartObject("lines");
                w.WriteNumber("begin", finding.Location.Line ?? 1);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
                JsonOutput.FlushIfLarge(w);
            }

            w.WriteEndArray();
            await w.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Rampart's severities on GitLab's scale.</summary>
    public static string Severity(Core.Severity severity) => severity switch
    {
        Core.Severity.Critical => "blocker",
        Core.Severity.High => "critical",
        Core.Severity.Medium => "major",
        Core.Severity.Low => "minor",
        _ => "info",
    };

    private string RelativePath(string path)
    {
        if (baseDirectory is not null && Path.IsPathRooted(path))
        {
            var relative = Path.GetRelativePath(baseDirectory, path);
            if (!Path.IsPathRooted(relative) && !relative.StartsWith("..", StringComparison.Ordinal))
            {
                path = relative;
            }
        }

        path = path.Replace('\\', '/');
        while (path.StartsWith("./", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        return path;
    }
}
