using System.Globalization;
using System.Text;
using Rampart.Core;
using Rampart.Core.Reporting;
using Spectre.Console;

namespace Rampart.Cli.Reporting;

/// <summary>
/// The human report (docs/reports.md, "Console"): every artifact with findings, each finding with its rule's
/// "why it matters" and "how to fix", then clean and skipped counts, policy warnings and one summary line that
/// says what the exit code means. Colour only when the options say so (a terminal without NO_COLOR).
/// </summary>
internal sealed class ConsoleReporter(ReporterOptions options) : IReporter
{
    /// <summary>Width used when the output is not a terminal: long enough that nothing is wrapped.</summary>
    public const int UnlimitedWidth = 4096;

    /// <summary>Rows of the artifact table shown without --verbose.</summary>
    public const int MaxTableRows = 50;

    public string Format => "console";

    public string FileExtension => "txt";

    public async ValueTask WriteAsync(ScanReport report, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        var writer = new StreamWriter(output, new UTF8Encoding(false), bufferSize: 16 * 1024, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = options.Color ? AnsiSupport.Yes : AnsiSupport.No,
                ColorSystem = options.Color ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
                Out = new AnsiConsoleOutput(writer),
            });
            console.Profile.Width = Math.Max(options.Width, 40);
            Render(console, report, cancellationToken);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Render(IAnsiConsole console, ScanReport report, CancellationToken cancellationToken)
    {
        var summary = report.Summary;
        console.MarkupLine(Invariant($"[bold]{Esc(report.Tool.Name)} {Esc(report.Tool.Version)}[/] scanned {summary.Files} file(s), {summary.Artifacts} artifact(s) in {report.Duration.TotalSeconds:0.##} s"));

        var order = report.Artifacts.Select((a, i) => (a.Path, i)).GroupBy(p => p.Path, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
        var artifacts = report.Artifacts.GroupBy(a => a.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        WriteArtifactTable(console, report);
        var explained = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in report.Findings.GroupBy(f => f.ArtifactPath, StringComparer.Ordinal)
                     .OrderBy(g => order.GetValueOrDefault(g.Key, int.MaxValue)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var verdict = artifacts.TryGetValue(group.Key, out var artifact) ? artifact.Verdict : group.Aggregate(Verdict.Clean, (v, f) => v.Worst(f.Verdict));
            console.WriteLine();
            console.MarkupLine($"{VerdictLabel(verdict)}  [bold]{Esc(group.Key)}[/]");
            foreach (var finding in group.OrderByDescending(f => f.Severity).ThenBy(f => f.RuleId, StringComparer.Ordinal))
            {
                WriteFinding(console, report, finding, explained);
            }
        }

        var scanned = report.Artifacts.Where(a => a.Status == ArtifactStatus.Scanned).ToList();
        var clean = scanned.Where(a => a.Verdict == Verdict.Clean).ToList();
        var skipped = report.Artifacts.Where(a => a.Status == ArtifactStatus.Skipped).ToList();
        console.WriteLine();
        if (clean.Count > 0)
        {
            console.MarkupLine(Invariant($"{VerdictLabel(Verdict.Clean)}  {clean.Count} artifact(s) with no findings{(options.Verbose ? ":" : " (--verbose lists them)")}"));
            if (options.Verbose)
            {
                foreach (var a in clean)
                {
                    console.MarkupLine($"    {Esc(a.Path)} [grey]({Esc(string.Join(", ", a.Formats))})[/]");
                }
            }
        }

        if (skipped.Count > 0)
        {
            console.MarkupLine(Invariant($"[grey]SKIPPED[/]  {skipped.Count} artifact(s) that are not a model format Rampart analyses (archive members included){(options.Verbose ? ":" : "")}"));
            if (options.Verbose)
            {
                foreach (var a in skipped)
                {
                    console.MarkupLine($"    {Esc(a.Path)} [grey]({Esc(a.SkipReason ?? "skipped")})[/]");
                }
            }
        }

        if (report.Suppressed.Length > 0)
        {
            console.MarkupLine(Invariant($"[grey]SUPPRESSED[/]  {report.Suppressed.Length} finding(s) accepted by the policy{(options.Verbose ? ":" : " (--verbose lists them)")}"));
            if (options.Verbose)
            {
                foreach (var s in report.Suppressed)
                {
                    var until = s.Expires is { } e ? Invariant($", until {e:yyyy-MM-dd}") : "";
                    console.MarkupLine($"    {Esc(s.Finding.RuleId)} {Esc(s.Finding.ArtifactPath)}: {Esc(s.Finding.Message)} [grey](justification: {Esc(s.Justification)}{Esc(until)})[/]");
                }
            }
        }

        foreach (var warning in report.Warnings)
        {
            console.MarkupLine($"[yellow]warning:[/] {Esc(warning)}");
        }

        console.WriteLine();
        var counts = Invariant($"{summary.Malicious} malicious, {summary.Inconclusive} inconclusive, {summary.NeedsReview} needs review, {summary.Clean} clean, {summary.Skipped} skipped");
        console.MarkupLine($"Verdict: {VerdictLabel(report.Verdict)} ({counts}). " +
                           Invariant($"Exit {report.ExitCode}: {Esc(ReportText.ExitCodeMeaning(report.ExitCode, report.FailOn))}."));
    }

    /// <summary>
    /// One row per analysed artifact (files, archive members, embedded parts, folders), in scan order: path, the
    /// formats that recognised it, its verdict and its own finding count. Skipped artifacts are only counted below.
    /// </summary>
    private void WriteArtifactTable(IAnsiConsole console, ScanReport report)
    {
        var rows = report.Artifacts.Where(a => a.Status == ArtifactStatus.Scanned).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        var counts = report.Findings.GroupBy(f => f.ArtifactPath, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var table = new Table { Border = TableBorder.Simple, ShowHeaders = true };
        table.AddColumn("Artifact");
        table.AddColumn("Format(s)");
        table.AddColumn("Verdict");
        table.AddColumn(new TableColumn("Findings").RightAligned());
        var shown = options.Verbose ? rows.Count : Math.Min(rows.Count, MaxTableRows);
        foreach (var artifact in rows.Take(shown))
        {
            table.AddRow(
                Esc(artifact.Path),
                Esc(artifact.Formats.Length == 0 ? "-" : string.Join(", ", artifact.Formats)),
                VerdictLabel(artifact.Verdict),
                counts.GetValueOrDefault(artifact.Path).ToString(CultureInfo.InvariantCulture));
        }

        console.WriteLine();
        console.Write(table);
        if (shown < rows.Count)
        {
            console.MarkupLine(Invariant($"    [grey]... and {rows.Count - shown} more artifact(s) (--verbose lists them all)[/]"));
        }
    }

    private static void WriteFinding(IAnsiConsole console, ScanReport report, Finding finding, HashSet<string> explained)
    {
        var hasRule = report.Rules.TryGet(finding.RuleId, out var rule);
        var title = hasRule ? rule.Title : "(rule not in this build's catalog)";
        console.MarkupLine($"  {SeverityLabel(finding.Severity)}  [bold]{Esc(finding.RuleId)}[/] {Esc(title)}");
        console.MarkupLine($"      {Esc(finding.Message)}");
        if (ReportText.Describe(finding.Location) is { } where)
        {
            console.MarkupLine($"      [grey]at:[/] {Esc(where)}");
        }

        if (hasRule && explained.Add(rule.Id))
        {
            console.MarkupLine($"      [grey]Why it matters:[/] {Esc(rule.Summary)}");
            console.MarkupLine($"      [grey]How to fix:[/] {Esc(rule.Fix)}");
        }

        console.MarkupLine($"      [grey]Docs:[/] {Esc(report.Tool.RuleHelpUri(finding.RuleId).AbsoluteUri)}");
    }

    private static string VerdictLabel(Verdict verdict) => verdict switch
    {
        Verdict.Malicious => "[bold red]MALICIOUS[/]",
        Verdict.Inconclusive => "[bold yellow]INCONCLUSIVE[/]",
        Verdict.NeedsReview => "[yellow]NEEDS REVIEW[/]",
        _ => "[green]CLEAN[/]",
    };

    private static string SeverityLabel(Severity severity) => severity switch
    {
        Severity.Critical => "[bold red]CRITICAL[/]",
        Severity.High => "[red]HIGH[/]",
        Severity.Medium => "[yellow]MEDIUM[/]",
        Severity.Low => "[blue]LOW[/]",
        _ => "[grey]INFO[/]",
    };

    /// <summary>
    /// Escapes markup and neutralises control characters: names and messages come from hostile files, and an ANSI
    /// escape sequence in a pickle global must not be able to rewrite the terminal.
    /// </summary>
    internal static string Esc(string text)
    {
        if (text.Any(char.IsControl))
        {
            var clean = new StringBuilder(text.Length + 16);
            foreach (var c in text)
            {
                clean.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString());
            }

            text = clean.ToString();
        }

        return Markup.Escape(text);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
