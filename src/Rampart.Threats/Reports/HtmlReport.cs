using Markdig;
using Rampart.Core.Reporting.Html;
using Rampart.Threats.Assessment;

namespace Rampart.Threats.Reports;

/// <summary>
/// The self-contained HTML report: the Markdown report rendered by Markdig (raw HTML in user text disabled), with the
/// data-flow diagram as inline SVG, in Core's page shell (<see cref="HtmlPage"/>: Content-Security-Policy, base and print
/// styles). It loads nothing from the network.
/// </summary>
public static class HtmlReport
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().DisableHtml().Build();

    private const string Style = """
        th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; }
        th { background: #f3f3f3; }
        table { font-size: 0.92em; }
        h3 { border-top: 1px solid #ddd; padding-top: 0.8em; }
        .diagram { overflow-x: auto; border: 1px solid #ddd; padding: 0.5em; }

        """;

    public static string Write(ThreatAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        var body = Markdown.ToHtml(MarkdownReport.Write(assessment, htmlDiagram: true), Pipeline);
        var diagram = $"<div class=\"diagram\">{Diagram.Svg(assessment.System)}</div>";
        body = body.Replace($"<p>{MarkdownReport.DiagramPlaceholder}</p>", diagram, StringComparison.Ordinal);
        return HtmlPage.End(HtmlPage.Begin($"Threat model: {assessment.System.Name}", Style).Append(body));
    }
}
