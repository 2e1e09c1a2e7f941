using System.Globalization;
using System.Net;
using System.Text;
using Rampart.Threats.Model;

namespace Rampart.Threats.Reports;

/// <summary>
/// The data-flow diagram: Mermaid text for Markdown, and an inline SVG for the self-contained HTML report. Flows form a
/// directed acyclic graph (the parser rejects cycles), so components are laid out in columns by their longest path
/// from a source and every arrow points right.
/// </summary>
public static class Diagram
{
    public const int BoxWidth = 180;
    public const int BoxHeight = 54;
    public const int ColumnGap = 110;
    public const int RowGap = 34;

    private static readonly string[] BoundaryColours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];

    public static string Mermaid(SystemModel system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var sb = new StringBuilder("flowchart LR\n");
        foreach (var group in system.Components.GroupBy(c => c.Boundary))
        {
            var indent = "  ";
            if (group.Key is { } boundary)
            {
                sb.Append(Inv($"  subgraph {MermaidId("b_" + boundary)}[\"{MermaidText(system.Boundaries.First(b => b.Id == boundary).Name)}\"]\n"));
                indent = "    ";
            }

            foreach (var c in group)
            {
                var label = $"{MermaidText(c.Name)}<br/><i>{Wire.Name(c.Kind)}</i>";
                var shape = c.Kind switch
                {
                    ComponentKind.DataSource or ComponentKind.FeatureStore or ComponentKind.ModelRegistry or ComponentKind.ModelArtifact => $"[(\"{label}\")]",
                    ComponentKind.Actor => $"([\"{label}\"])",
                    _ => $"[\"{label}\"]",
                };
                sb.Append(indent).Append(MermaidId(c.Id)).Append(shape).Append('\n');
            }

            if (group.Key is not null)
            {
                sb.Append("  end\n");
            }
        }

        foreach (var f in system.Flows)
        {
            var label = f.Label ?? string.Join(", ", f.DataClasses.Select(Wire.Name));
            sb.Append("  ").Append(MermaidId(f.From)).Append(label.Length > 0 ? $" -->|\"{MermaidText(label)}\"| " : " --> ").Append(MermaidId(f.To)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The column of each component: the length of the longest flow path that reaches it.</summary>
    public static Dictionary<string, int> Layers(SystemModel system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var layer = system.Components.ToDictionary(c => c.Id, _ => 0, StringComparer.Ordinal);
        for (var pass = 0; pass < system.Components.Length; pass++)
        {
            var changed = false;
            foreach (var f in system.Flows.Where(f => layer[f.To] < layer[f.From] + 1))
            {
                layer[f.To] = layer[f.From] + 1;
                changed = true;
            }

            if (!changed)
            {
                break;
            }
        }

        return layer;
    }

    /// <summary>Top-left corner of each component's box.</summary>
    public static Dictionary<string, (int X, int Y)> Positions(SystemModel system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var layers = Layers(system);
        var positions = new Dictionary<string, (int X, int Y)>(StringComparer.Ordinal);
        foreach (var column in system.Components.GroupBy(c => layers[c.Id]))
        {
            var row = 0;
            foreach (var c in column.OrderBy(c => c.Boundary ?? "", StringComparer.Ordinal))
            {
                positions[c.Id] = (20 + (column.Key * (BoxWidth + ColumnGap)), 50 + (row++ * (BoxHeight + RowGap)));
            }
        }

        return positions;
    }

    public static string Svg(SystemModel system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var positions = Positions(system);
        var width = positions.Values.Max(p => p.X) + BoxWidth + 20;
        var height = positions.Values.Max(p => p.Y) + BoxHeight + 40;
        var colours = system.Boundaries.Select((b, i) => (b.Id, Colour: BoundaryColours[i % BoundaryColours.Length])).ToDictionary(x => x.Id, x => x.Colour, StringComparer.Ordinal);
        var sb = new StringBuilder();
        sb.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"data-flow diagram\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        sb.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444\"/></marker></defs>\n");
        var legendX = 20;
        foreach (var b in system.Boundaries)
        {
            sb.Append(Inv($"<rect x=\"{legendX}\" y=\"12\" width=\"14\" height=\"14\" fill=\"none\" stroke=\"{colours[b.Id]}\" stroke-width=\"2\" stroke-dasharray=\"4 2\"/><text x=\"{legendX + 20}\" y=\"24\">{Xml(b.Name)}</text>\n"));
            legendX += 40 + (b.Name.Length * 7);
        }

        foreach (var f in system.Flows)
        {
            var (x1, y1) = positions[f.From];
            var (x2, y2) = positions[f.To];
            var (sx, sy, ex, ey) = (x1 + BoxWidth, y1 + (BoxHeight / 2), x2, y2 + (BoxHeight / 2));
            var crossing = system.CrossesBoundary(f);
            // A flow that skips a column dips into the gap between rows instead of running through the boxes on its way.
            var dip = ex - sx > ColumnGap + 10 && sy == ey ? 60 : 0;
            sb.Append(Inv($"<path d=\"M {sx} {sy} C {sx + 35} {sy + dip}, {ex - 35} {ey + dip}, {ex} {ey}\" fill=\"none\" stroke=\"#444\" stroke-width=\"{(crossing ? 2 : 1.2)}\" marker-end=\"url(#arrow)\"><title>{Xml(f.Id)}{(crossing ? " (crosses a trust boundary)" : "")}</title></path>\n"));
            var label = f.Label ?? string.Join(", ", f.DataClasses.Select(Wire.Name));
            if (label.Length > 0)
            {
                sb.Append(Inv($"<text x=\"{(sx + ex) / 2}\" y=\"{((sy + ey) / 2) - 4 + (dip * 3 / 4)}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#333\">{Xml(label)}</text>\n"));
            }
        }

        foreach (var c in system.Components)
        {
            var (x, y) = positions[c.Id];
            var stroke = c.Boundary is { } b ? colours[b] : "#777";
            var rx = c.Kind == ComponentKind.Actor ? 27 : c.Kind is ComponentKind.DataSource or ComponentKind.FeatureStore or ComponentKind.ModelRegistry or ComponentKind.ModelArtifact ? 2 : 10;
            var fill = c.Exposure switch { Exposure.Public => "#fdecea", Exposure.Partner => "#fff6e0", _ => "#eef4fb" };
            sb.Append(Inv($"<g><title>{Xml(c.Id)}: {Wire.Name(c.Kind)}, {Wire.Name(c.Exposure)}</title><rect x=\"{x}\" y=\"{y}\" width=\"{BoxWidth}\" height=\"{BoxHeight}\" rx=\"{rx}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"2\"{(c.Boundary is null ? "" : " stroke-dasharray=\"6 3\"")}/>"));
            sb.Append(Inv($"<text x=\"{x + (BoxWidth / 2)}\" y=\"{y + 22}\" text-anchor=\"middle\" font-weight=\"bold\">{Xml(Shorten(c.Name, 26))}</text>"));
            sb.Append(Inv($"<text x=\"{x + (BoxWidth / 2)}\" y=\"{y + 40}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">{Wire.Name(c.Kind)} · {Wire.Name(c.Exposure)}</text></g>\n"));
        }

        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");

    private static string Xml(string text) => WebUtility.HtmlEncode(text);

    private static string MermaidId(string id) => "n_" + new string([.. id.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);

    private static string MermaidText(string text) => text.Replace("\"", "#quot;", StringComparison.Ordinal).ReplaceLineEndings(" ");

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
