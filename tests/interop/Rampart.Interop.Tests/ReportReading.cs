using System.Globalization;
using System.Text;
using Rampart.Core;
using Rampart.Core.Reporting;

namespace Rampart.Interop.Tests;

/// <summary>Reads one file's verdict and findings out of a scan report, and explains them in failure messages.</summary>
internal static class ReportReading
{
    public static string Wire(Verdict verdict) => verdict.ToWire();

    /// <summary>The verdict of a scanned top-level file, or null when the report does not mention it.</summary>
    public static Verdict? VerdictOf(ScanReport report, string displayPath) =>
        report.Artifacts.FirstOrDefault(a => a.Parent is null && a.Path == displayPath)?.Verdict;

    /// <summary>The findings on the file and on everything inside it.</summary>
    public static IEnumerable<Finding> FindingsUnder(ScanReport report, string displayPath) =>
        report.Findings.Where(f => f.ArtifactPath == displayPath
            || f.ArtifactPath.StartsWith(displayPath + "!", StringComparison.Ordinal)
            || f.ArtifactPath.StartsWith(displayPath + "#", StringComparison.Ordinal));

    /// <summary>"path [kind] expected X, Rampart said Y" followed by the artifact tree and its findings.</summary>
    public static string Explain(ScanReport report, string displayPath, string relativePath, string kind, string expected, string note)
    {
        var verdict = VerdictOf(report, displayPath);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{relativePath} [{kind}] expected {expected}, Rampart said {(verdict is { } v ? Wire(v) : "nothing (file not in report)")}");
        if (note.Length > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" -- {note}");
        }

        text.AppendLine();
        foreach (var artifact in report.Artifacts.Where(a => a.Path == displayPath || a.Path.StartsWith(displayPath + "!", StringComparison.Ordinal) || a.Path.StartsWith(displayPath + "#", StringComparison.Ordinal)))
        {
            var inner = artifact.Path[displayPath.Length..];
            text.Append(CultureInfo.InvariantCulture, $"    artifact '{(inner.Length == 0 ? "(file)" : inner)}' formats=[{string.Join(",", artifact.Formats)}] {Wire(artifact.Verdict)} {artifact.Status}");
            if (artifact.SkipReason is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $" ({artifact.SkipReason})");
            }

            text.AppendLine();
        }

        var findings = FindingsUnder(report, displayPath).ToList();
        if (findings.Count == 0)
        {
            text.AppendLine("    no findings");
        }

        foreach (var finding in findings)
        {
            var inner = finding.ArtifactPath[displayPath.Length..];
            text.AppendLine(CultureInfo.InvariantCulture, $"    {finding.RuleId} {finding.Severity}/{Wire(finding.Verdict)} at '{(inner.Length == 0 ? "(file)" : inner)}': {finding.Message}");
        }

        return text.ToString();
    }
}

/// <summary>Fails a test with every collected problem on its own lines (readable in CI logs, unlike a quoted list).</summary>
internal static class Problems
{
    public static void AssertNone(IReadOnlyCollection<string> problems, string what)
    {
        if (problems.Count > 0)
        {
            Assert.Fail($"{problems.Count} {what}:\n\n{string.Join("\n", problems)}");
        }
    }
}
