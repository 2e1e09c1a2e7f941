using System.Globalization;
using System.Text;
using Rampart.Core.Rules;

namespace Rampart.Core.Reporting.Html;

/// <summary>
/// One self-contained HTML page for people: the verdict and exit code, counts, a table of artifacts that can be
/// filtered by verdict, every finding with its explanation and fix, and the facts the analyzers learnt (the AI-BOM
/// facts: formats, architectures, versions, imports). No script, no external style sheet, font or image, and no
/// network fetch: the filters are radio buttons and CSS, so the page works with JavaScript off and under a strict
/// Content-Security-Policy (which the page declares), and prints in full. Every string that comes from a report
/// (paths, messages, facts: all attacker-influenced) is HTML-encoded. The shell (CSP, encoding, base and print styles)
/// is <see cref="HtmlPage"/>, shared with the red-team and threat-model reports.
/// </summary>
public sealed class HtmlReporter : IReporter
{
    private static readonly Verdict[] FilterOrder = [Verdict.Malicious, Verdict.Inconclusive, Verdict.NeedsReview, Verdict.Clean];

    public string Format => "html";

    public string FileExtension => "html";

    public async ValueTask WriteAsync(ScanReport report, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        var html = Render(report);
        await output.WriteAsync(new UTF8Encoding(false).GetBytes(html), cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The whole page.</summary>
    public static string Render(ScanReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var h = HtmlPage.Begin($"Rampart report: {report.Verdict.ToWire()}", Style);

        Header(h, report);
        Artifacts(h, report);
        Findings(h, report);
        Suppressed(h, report);
        h.Append("<footer><p>Written by ").Append(E(report.Tool.Name)).Append(' ').Append(E(report.Tool.Version))
            .Append(" (report schema ").Append(ScanReport.SchemaVersion).Append("). Rule pages: <a href=\"")
            .Append(E(report.Tool.RuleDocsBaseUri.AbsoluteUri)).Append("\">").Append(E(report.Tool.RuleDocsBaseUri.AbsoluteUri)).Append("</a>.</p></footer>\n");
        return HtmlPage.End(h);
    }

    private static void Header(StringBuilder h, ScanReport report)
    {
        var summary = report.Summary;
        var verdict = report.Verdict.ToWire();
        h.Append("<header>\n<h1>Rampart report</h1>\n<p class=\"verdict v-").Append(verdict).Append("\">Verdict: <strong>")
            .Append(E(verdict.ToUpperInvariant())).Append("</strong> &middot; exit ").Append(report.ExitCode.ToString(CultureInfo.InvariantCulture))
            .Append(": ").Append(E(ReportText.ExitCodeMeaning(report.ExitCode, report.FailOn))).Append("</p>\n<dl class=\"meta\">\n");
        Term(h, "Targets", string.Join(", ", report.Targets));
        Term(h, "Started", report.StartedAt.ToString("u", CultureInfo.InvariantCulture));
        Term(h, "Duration", string.Create(CultureInfo.InvariantCulture, $"{report.Duration.TotalSeconds:0.###} s"));
        Term(h, "Fail on", report.FailOn.ToWire());
        h.Append("</dl>\n<table class=\"counts\"><tr>");
        foreach (var (label, count) in new (string, int)[]
                 {
                     ("files", summary.Files), ("artifacts", summary.Artifacts), ("malicious", summary.Malicious), ("inconclusive", summary.Inconclusive),
                     ("needs review", summary.NeedsReview), ("clean", summary.Clean), ("skipped", summary.Skipped), ("findings", report.Findings.Length),
                 })
        {
            h.Append("<td><span class=\"n\">").Append(count.ToString(CultureInfo.InvariantCulture)).Append("</span> ").Append(label).Append("</td>");
        }

        h.Append("</tr></table>\n");
        if (!report.Warnings.IsDefaultOrEmpty)
        {
            h.Append("<ul class=\"warnings\">\n");
            foreach (var warning in report.Warnings)
            {
                h.Append("<li>").Append(E(warning)).Append("</li>\n");
            }

            h.Append("</ul>\n");
        }

        h.Append("</header>\n");
    }

    private static void Artifacts(StringBuilder h, ScanReport report)
    {
        h.Append("<section id=\"artifacts\">\n<h2>Artifacts</h2>\n");
        // CSS-only filters: a checked radio button hides the rows of other verdicts (print shows everything).
        h.Append("<input type=\"radio\" name=\"filter\" id=\"f-all\" checked><label for=\"f-all\">all</label>\n");
        foreach (var v in FilterOrder)
        {
            var wire = v.ToWire();
            var count = report.Artifacts.Count(a => a.Verdict == v);
            h.Append("<input type=\"radio\" name=\"filter\" id=\"f-").Append(wire).Append("\"><label for=\"f-").Append(wire).Append("\">")
                .Append(wire).Append(" (").Append(count.ToString(CultureInfo.InvariantCulture)).Append(")</label>\n");
        }

        h.Append("<table class=\"artifacts\">\n<thead><tr><th>Verdict</th><th>Path</th><th>Formats</th><th>Size</th><th>Facts</th></tr></thead>\n<tbody>\n");
        foreach (var artifact in report.Artifacts)
        {
            var wire = artifact.Verdict.ToWire();
            h.Append("<tr class=\"row v-").Append(wire).Append(artifact.Status == ArtifactStatus.Skipped ? " skipped" : "").Append("\"><td><span class=\"badge v-")
                .Append(wire).Append("\">").Append(wire).Append("</span></td><td class=\"path\">");
            if (artifact.Parent is not null)
            {
                h.Append("<span class=\"nested\">&#8627; </span>");
            }

            h.Append(E(artifact.Path));
            if (artifact.SkipReason is not null)
            {
                h.Append("<div class=\"why\">skipped: ").Append(E(artifact.SkipReason)).Append("</div>");
            }

            h.Append("</td><td>").Append(E(string.Join(", ", artifact.Formats))).Append("</td><td class=\"num\">")
                .Append(artifact.Length is { } length ? length.ToString("N0", CultureInfo.InvariantCulture) : "").Append("</td><td>");
            if (!artifact.Facts.IsEmpty)
            {
                h.Append("<dl class=\"facts\">");
                foreach (var (key, value) in artifact.Facts)
                {
                    Term(h, key, value);
                }

                h.Append("</dl>");
            }

            h.Append("</td></tr>\n");
        }

        h.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void Findings(StringBuilder h, ScanReport report)
    {
        h.Append("<section id=\"findings\">\n<h2>Findings</h2>\n");
        if (report.Findings.IsDefaultOrEmpty)
        {
            h.Append("<p>No findings.</p>\n</section>\n");
            return;
        }

        foreach (var group in report.Findings.GroupBy(f => f.ArtifactPath, StringComparer.Ordinal))
        {
            h.Append("<h3 class=\"path\">").Append(E(group.Key)).Append("</h3>\n");
            foreach (var finding in group.OrderByDescending(f => f.Severity))
            {
                Finding(h, report, finding, suppressedBecause: null);
            }
        }

        h.Append("</section>\n");
    }

    private static void Suppressed(StringBuilder h, ScanReport report)
    {
        if (report.Suppressed.IsDefaultOrEmpty)
        {
            return;
        }

        h.Append("<section id=\"suppressed\">\n<h2>Suppressed by the policy</h2>\n");
        foreach (var suppressed in report.Suppressed)
        {
            Finding(h, report, suppressed.Finding, suppressed.Justification + (suppressed.Expires is { } d ? $" (until {d:yyyy-MM-dd})" : ""));
        }

        h.Append("</section>\n");
    }

    private static void Finding(StringBuilder h, ScanReport report, Finding finding, string? suppressedBecause)
    {
        var severity = finding.Severity.ToWire();
        var help = report.Tool.RuleHelpUri(finding.RuleId).AbsoluteUri;
        h.Append("<article class=\"finding s-").Append(severity).Append("\">\n<p class=\"head\"><span class=\"badge s-").Append(severity).Append("\">")
            .Append(severity).Append("</span> <span class=\"badge v-").Append(finding.Verdict.ToWire()).Append("\">").Append(finding.Verdict.ToWire())
            .Append("</span> <a href=\"").Append(E(help)).Append("\">").Append(E(finding.RuleId)).Append("</a>");
        var rule = report.Rules.TryGet(finding.RuleId, out var r) ? r : null;
        if (rule is not null)
        {
            h.Append(": ").Append(E(rule.Title));
        }

        h.Append("</p>\n<p class=\"message\">").Append(E(finding.Message)).Append("</p>\n");
        if (ReportText.Describe(finding.Location) is { } where)
        {
            h.Append("<p class=\"where\">At ").Append(E(where)).Append("</p>\n");
        }

        if (suppressedBecause is not null)
        {
            h.Append("<p class=\"where\">Suppressed: ").Append(E(suppressedBecause)).Append("</p>\n");
        }

        if (rule is not null)
        {
            Explanation(h, rule, help);
        }

        h.Append("</article>\n");
    }

    private static void Explanation(StringBuilder h, RuleDefinition rule, string help)
    {
        h.Append("<details open><summary>Why it matters and how to fix it</summary>\n<p><strong>Why it matters:</strong> ").Append(E(rule.Summary))
            .Append("</p>\n<p><strong>How to fix:</strong> ").Append(E(rule.Fix)).Append("</p>\n");
        if (!rule.References.IsDefaultOrEmpty)
        {
            h.Append("<ul class=\"refs\">");
            foreach (var reference in rule.References)
            {
                h.Append("<li>");
                if (reference.Url is { } url && url.Scheme is "http" or "https")
                {
                    h.Append("<a href=\"").Append(E(url.AbsoluteUri)).Append("\">").Append(E(reference.Title)).Append("</a>");
                }
                else
                {
                    h.Append(E(reference.Title));
                }

                h.Append("</li>");
            }

            h.Append("</ul>\n");
        }

        h.Append("<p class=\"doc\">Rule page: <a href=\"").Append(E(help)).Append("\">").Append(E(help)).Append("</a></p>\n</details>\n");
    }

    private static void Term(StringBuilder h, string term, string value) =>
        h.Append("<dt>").Append(E(term)).Append("</dt><dd>").Append(E(value)).Append("</dd>");

    private static string E(string text) => HtmlPage.Encode(text);

    private const string Style = """
        h1 { margin: 0 0 .25rem; } h2 { border-bottom: 2px solid #d0d7de; padding-bottom: .2rem; margin-top: 2rem; }
        h3.path { font-size: 1rem; margin: 1.2rem 0 .4rem; }
        .path { font-family: ui-monospace, monospace; word-break: break-all; }
        .verdict { font-size: 1.2rem; padding: .5rem .8rem; border-radius: 6px; border-left: 6px solid; }
        .meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .6rem 0; }
        .meta dt, .facts dt { font-weight: 600; } .meta dd, .facts dd { margin: 0; word-break: break-all; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: 0 .6rem; margin: 0; font-size: .85rem; }
        table { width: 100%; } th, td { border-bottom: 1px solid #d0d7de; }
        .counts td { border: none; } .counts .n { font-size: 1.4rem; font-weight: 700; }
        .num { text-align: right; white-space: nowrap; } .nested { color: #57606a; } .why { color: #57606a; font-size: .85rem; }
        .badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: .8rem; font-weight: 600; border: 1px solid; white-space: nowrap; }
        .v-malicious { background: #ffebe9; border-color: #cf222e; color: #82071e; }
        .v-inconclusive { background: #fff8c5; border-color: #bf8700; color: #6f4f00; }
        .v-needs-review { background: #ddf4ff; border-color: #0969da; color: #0a3069; }
        .v-clean { background: #dafbe1; border-color: #1a7f37; color: #044f1e; }
        .s-critical, .s-high { background: #ffebe9; border-color: #cf222e; color: #82071e; }
        .s-medium { background: #fff8c5; border-color: #bf8700; color: #6f4f00; }
        .s-low, .s-info { background: #f6f8fa; border-color: #57606a; color: #24292f; }
        article.finding { border: 1px solid #d0d7de; border-left-width: 6px; border-radius: 6px; padding: .2rem .8rem; margin: .5rem 0; background: #fff; color: inherit; }
        article.finding .head { font-weight: 600; } .message { margin: .3rem 0; } .where, .doc { color: #57606a; font-size: .9rem; }
        input[name=filter] { margin-left: .8rem; }
        #f-malicious:checked ~ table .row:not(.v-malicious), #f-inconclusive:checked ~ table .row:not(.v-inconclusive),
        #f-needs-review:checked ~ table .row:not(.v-needs-review), #f-clean:checked ~ table .row:not(.v-clean) { display: none; }
        footer { margin-top: 2rem; color: #57606a; font-size: .85rem; }
        @media print {
          input[name=filter], input[name=filter] + label { display: none; }
          table .row { display: table-row !important; }
          details > summary { display: none; }
        }

        """;
}
