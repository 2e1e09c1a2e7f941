using System.Globalization;
using System.Text;
using Rampart.Core;
using Rampart.Core.Reporting.Html;

namespace Rampart.RedTeam.Reports;

/// <summary>
/// A self-contained HTML report: no scripts, no external files. A side-by-side table of every probe and attack per
/// run (direct and through the gateway), inline SVG charts that overlay the runs (success or agreement against
/// budget, ROC curves), and each finding with why it matters, how to fix it and its ATLAS / OWASP ids. The page shell
/// (Content-Security-Policy, encoding, base and print styles) is Core's <see cref="HtmlPage"/>.
/// </summary>
public static class RedTeamHtml
{
    private static readonly string[] Colours = ["#c0392b", "#2471a3", "#1e8449", "#7d3c98"];

    public static string Render(RedTeamReport report, Severity failOn)
    {
        ArgumentNullException.ThrowIfNull(report);
        var rules = Probes.ProbeCatalog.Shipped.Rules;
        var h = HtmlPage.Begin("Rampart red-team report", Style);
        var exit = report.ExitCode(failOn);
        h.Append(CultureInfo.InvariantCulture, $"<h1>Red-team report: {E(report.Kind == "llm" ? "LLM probes" : "classic-model attacks")}</h1>");
        h.Append(CultureInfo.InvariantCulture, $"<p>Started {E(report.StartedAt.ToString("u", CultureInfo.InvariantCulture))}, seed {report.Seed}, {report.Runs.Count} run(s). ")
         .Append(CultureInfo.InvariantCulture, $"Policy: fail on <b>{E(failOn.ToWire())}</b> or worse; exit code <b>{exit}</b> ({E(exit == 0 ? "no weakness at or above the threshold" : exit == 1 ? "weaknesses at or above the threshold" : "the run is incomplete")}).</p>");

        h.Append("<h2>Side by side</h2><table><tr><th>probe / attack</th><th>rule</th>");
        foreach (var run in report.Runs)
        {
            h.Append(CultureInfo.InvariantCulture, $"<th>{E(run.Label)}<br><small>{E(run.Target)}</small></th>");
        }

        h.Append("</tr>");
        var first = report.Runs.Count > 0 ? report.Runs[0] : null;
        foreach (var probe in first?.Probes ?? [])
        {
            h.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(probe.Title)}<br><small>{E(probe.Id)}</small></td><td>{E(probe.RuleId)}</td>");
            foreach (var run in report.Runs)
            {
                var p = run.Probes.FirstOrDefault(x => x.Id == probe.Id);
                h.Append(p is null ? "<td>-</td>" : Cell(p.Status, p.Disparity is { } d
                    ? $"disparity {RedTeamJson.Number(d)}"
                    : $"{p.Failures}/{p.Attempts} succeeded" + (p.Refusals > 0 ? $", {p.Refusals} refused" : "") + (p.Errors + p.NotRun > 0 ? $", {p.Errors + p.NotRun} not judged" : "")));
            }

            h.Append("</tr>");
        }

        foreach (var attack in first?.Attacks ?? [])
        {
            h.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(attack.Title)}</td><td>{E(attack.RuleId)}</td>");
            foreach (var run in report.Runs)
            {
                var a = run.Attacks.FirstOrDefault(x => x.Id == attack.Id);
                h.Append(a is null ? "<td>-</td>" : Cell(a.Status, a.Summary + (a.StoppedBy is null ? "" : " [stopped]")));
            }

            h.Append("</tr>");
        }

        h.Append("</table>");

        var curveNames = report.Runs.SelectMany(r => r.Attacks).Where(a => a.Curves.Count > 0).Select(a => a.Id).Distinct(StringComparer.Ordinal).ToList();
        if (curveNames.Count > 0)
        {
            h.Append("<h2>Charts</h2><div class=\"charts\">");
            foreach (var id in curveNames)
            {
                var series = report.Runs.SelectMany((r, i) => r.Attacks.Where(a => a.Id == id).SelectMany(a => a.Curves.Take(1).Select(c => (Run: r.Label, Colour: Colours[i % Colours.Length], Curve: c)))).ToList();
                h.Append(Chart(report.Runs.SelectMany(r => r.Attacks).First(a => a.Id == id).Title, series, id.StartsWith("membership", StringComparison.Ordinal)));
            }

            h.Append("</div>");
        }

        h.Append("<h2>Findings</h2>");
        foreach (var run in report.Runs)
        {
            h.Append(CultureInfo.InvariantCulture, $"<h3>{E(run.Label)} ({run.Findings.Count})</h3>");
            if (run.Errors.Count > 0)
            {
                h.Append("<p class=\"inconclusive\">Errors: ").Append(string.Join("; ", run.Errors.Take(5).Select(E))).Append("</p>");
            }

            foreach (var f in run.Findings)
            {
                var rule = rules[f.RuleId];
                h.Append(CultureInfo.InvariantCulture, $"<details><summary><b>{E(f.RuleId)}</b> ({E(f.Severity.ToWire())}) {E(f.Message)}</summary>");
                if (f.Evidence is not null)
                {
                    h.Append(CultureInfo.InvariantCulture, $"<p>Evidence: <code>{E(f.Evidence)}</code></p>");
                }

                h.Append(CultureInfo.InvariantCulture, $"<p><b>Why it matters.</b> {E(rule.Summary)}</p><p><b>How to fix.</b> {E(rule.Fix)}</p><p>")
                 .Append(string.Join(" · ", rule.References.Select(r => r.Url is null ? E(r.Id) : $"<a href=\"{E(r.Url.AbsoluteUri)}\">{E(r.Id)}</a>")))
                 .Append("</p></details>");
            }
        }

        return HtmlPage.End(h);
    }

    private static string Cell(OutcomeStatus status, string text) =>
        $"<td class=\"{RedTeamJson.Wire(status)}\"><b>{RedTeamJson.Wire(status)}</b><br><small>{E(text)}</small></td>";

    /// <summary>An SVG line chart, 360x240, y in [0, 1], one polyline per run; ROC charts get the chance diagonal.</summary>
    internal static string Chart(string title, IReadOnlyList<(string Run, string Colour, Curve Curve)> series, bool roc)
    {
        const double W = 360, H = 240, L = 48, B = 36, T = 12, R = 12;
        var points = series.SelectMany(s => s.Curve.Points).ToList();
        var xmin = roc ? 0 : points.Count == 0 ? 0 : points.Min(p => p.X);
        var xmax = roc ? 1 : points.Count == 0 ? 1 : Math.Max(points.Max(p => p.X), xmin + 1e-9);
        var log = !roc && xmin > 0 && xmax / xmin >= 20;
        double X(double x) => L + ((log ? Math.Log(x / xmin) / Math.Log(xmax / xmin) : (x - xmin) / (xmax - xmin)) * (W - L - R));
        double Y(double y) => T + ((1 - Math.Clamp(y, 0, 1)) * (H - T - B));
        string N(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{E(title)}\">");
        s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{L}\" y=\"{T}\" width=\"{W - L - R}\" height=\"{H - T - B}\" fill=\"none\" stroke=\"#999\"/>");
        foreach (var tick in new[] { 0, 0.25, 0.5, 0.75, 1 })
        {
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{L - 4}\" y=\"{N(Y(tick) + 4)}\" font-size=\"10\" text-anchor=\"end\">{tick}</text>");
        }

        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{L}\" y=\"{H - 20}\" font-size=\"10\">{E(RedTeamJson.Number(xmin))}</text><text x=\"{W - R}\" y=\"{H - 20}\" font-size=\"10\" text-anchor=\"end\">{E(RedTeamJson.Number(xmax))}</text>");
        var first = series.Count > 0 ? series[0].Curve : null;
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{N((L + W - R) / 2)}\" y=\"{H - 6}\" font-size=\"11\" text-anchor=\"middle\">{E((first?.XLabel ?? "") + (log ? " (log scale)" : ""))}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"{N((T + H - B) / 2)}\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 {N((T + H - B) / 2)})\">{E(first?.YLabel ?? "")}</text>");
        if (roc)
        {
            s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(0)}\" y1=\"{Y(0)}\" x2=\"{X(1)}\" y2=\"{Y(1)}\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>");
        }

        foreach (var (_, colour, curve) in series)
        {
            var path = string.Join(" ", curve.Points.Select(p => $"{N(X(p.X))},{N(Y(p.Y))}"));
            s.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{path}\"/>");
            foreach (var p in curve.Points.Count <= 12 ? curve.Points : [])
            {
                s.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{N(X(p.X))}\" cy=\"{N(Y(p.Y))}\" r=\"3\" fill=\"{colour}\"/>");
            }
        }

        s.Append("</svg><figcaption><b>").Append(E(title)).Append("</b><br>");
        s.Append(string.Join(" ", series.Select(x => $"<span style=\"color:{x.Colour}\">&#9632;</span> {E(x.Run)}: {E(x.Curve.Name)}")));
        s.Append("</figcaption></figure>");
        return s.ToString();
    }

    private static string E(string text) => HtmlPage.Encode(text);

    private const string Style = """
        td, th { border: 1px solid #ccc; padding: 4px 8px; } th { background: #f4f4f4; }
        .failed { background: #fadbd8; } .passed { background: #d5f5e3; } .inconclusive { background: #fcf3cf; }
        .charts { display: flex; flex-wrap: wrap; gap: 1em; }
        figure { margin: 0; border: 1px solid #ddd; padding: .5em; } figcaption { font-size: .9em; }

        """;
}
