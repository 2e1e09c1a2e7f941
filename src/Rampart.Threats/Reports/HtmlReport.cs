using System.Net;
using Markdig;
using Rampart.Threats.Assessment;

namespace Rampart.Threats.Reports;

/// <summary>
/// The self-contained HTML report: the Markdown report rendered by Markdig (raw HTML in user text disabled), with the
/// data-flow diagram as inline SVG and the styles inline. It loads nothing from the network.
/// </summary>
public static class HtmlReport
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().DisableHtml().Build();

    private const string Style = """
        body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
        table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
        th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; vertical-align: top; }
        th { background: #f3f3f3; }
        code { background: #f5f5f5; padding: 0 0.2em; }
        h3 { border-top: 1px solid #ddd; padding-top: 0.8em; }
        .diagram { overflow-x: auto; border: 1px solid #ddd; padding: 0.5em; }
        """;

    public static string Write(ThreatAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        var body = Markdown.ToHtml(MarkdownReport.Write(assessment, htmlDiagram: true), Pipeline);
        var diagram = $"<div class=\"diagram\">{Diagram.Svg(assessment.System)}</div>";
        body = body.Replace($"<p>{MarkdownReport.DiagramPlaceholder}</p>", diagram, StringComparison.Ordinal);
        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            <title>Threat model: {WebUtility.HtmlEncode(assessment.System.Name)}</title>
            <style>
            {Style}
            </style>
            </head>
            <body>
            {body}
            </body>
            </html>

            """;
    }
}
