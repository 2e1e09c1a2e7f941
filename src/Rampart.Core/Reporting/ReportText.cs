using System.Globalization;
using System.Text;
using Rampart.Core.Rules;

namespace Rampart.Core.Reporting;

/// <summary>Small text helpers shared by the reporters, so every format words things the same way.</summary>
public static class ReportText
{
    /// <summary>"offset 0x1A2 (26), line 3, column 7: opcode REDUCE #42", or null when nothing is known.</summary>
    public static string? Describe(FindingLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var parts = new List<string>(3);
        if (location.Offset is { } offset)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"offset 0x{offset:X} ({offset})"));
        }

        if (location.Line is { } line)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"line {line}"));
        }

        if (location.Column is { } column)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"column {column}"));
        }

        var position = string.Join(", ", parts);
        return (position.Length, string.IsNullOrWhiteSpace(location.Detail)) switch
        {
            (0, true) => null,
            (0, false) => location.Detail,
            (_, true) => position,
            _ => $"{position}: {location.Detail}",
        };
    }

    /// <summary>The long help of a rule as Markdown: why it matters, how to fix it, references.</summary>
    public static string HelpMarkdown(RuleDefinition rule, Uri helpUri)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(helpUri);
        var text = new StringBuilder();
        text.Append("**Why it matters:** ").Append(rule.Summary).Append("\n\n");
        text.Append("**How to fix:** ").Append(rule.Fix).Append("\n\n");
        if (!rule.References.IsDefaultOrEmpty)
        {
            text.Append("**References:**\n\n");
            foreach (var reference in rule.References)
            {
                text.Append(reference.Url is { } url
                    ? $"- [{reference.Id}: {reference.Title}]({url.AbsoluteUri})\n"
                    : $"- {reference.Id}: {reference.Title}\n");
            }

            text.Append('\n');
        }

        text.Append("[Rule documentation](").Append(helpUri.AbsoluteUri).Append(')');
        return text.ToString();
    }

    /// <summary>The same help as plain text.</summary>
    public static string HelpText(RuleDefinition rule, Uri helpUri)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(helpUri);
        var text = new StringBuilder();
        text.Append("Why it matters: ").Append(rule.Summary).Append('\n');
        text.Append("How to fix: ").Append(rule.Fix).Append('\n');
        foreach (var reference in rule.References)
        {
            text.Append("Reference: ").Append(reference.Id).Append(": ").Append(reference.Title);
            if (reference.Url is { } url)
            {
                text.Append(" <").Append(url.AbsoluteUri).Append('>');
            }

            text.Append('\n');
        }

        text.Append("Documentation: ").Append(helpUri.AbsoluteUri);
        return text.ToString();
    }

    /// <summary>The rules a report refers to (findings and suppressed findings), in id order; unknown ids are left out.</summary>
    public static IReadOnlyList<RuleDefinition> ReferencedRules(ScanReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return [.. report.Findings.Select(f => f.RuleId)
            .Concat(report.Suppressed.Select(s => s.Finding.RuleId))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(id => report.Rules.TryGet(id, out var rule) ? rule : null)
            .OfType<RuleDefinition>()];
    }

    /// <summary>What an exit code means, in one sentence.</summary>
    public static string ExitCodeMeaning(int exitCode, Severity failOn) => exitCode switch
    {
        ExitCodes.Clean => $"no finding at or above '{failOn.ToWire()}' and everything was scanned completely",
        ExitCodes.Findings => $"at least one finding at or above '{failOn.ToWire()}'",
        ExitCodes.Inconclusive => "something could not be scanned completely, so it cannot be called safe",
        ExitCodes.UsageError => "usage or configuration error",
        ExitCodes.VerificationFailed => "verification failed",
        _ => "internal error",
    };
}
