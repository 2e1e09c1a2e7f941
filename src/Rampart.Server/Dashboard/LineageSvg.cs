using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Rampart.Provenance.Lineage;

namespace Rampart.Server.Dashboard;

/// <summary>
/// A lineage graph from the ledger (datasets → runs → models → evaluations → deployments) drawn as SVG on the server:
/// nodes in columns by their distance from the sources, edges as arrows, every label encoded.
/// </summary>
public static class LineageSvg
{
    private const int MaxNodes = 120;
    private const int ColumnWidth = 230;
    private const int RowHeight = 54;
    private const int NodeWidth = 200;
    private const int NodeHeight = 36;

    public static string Render(LineageGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var nodes = graph.Nodes.Take(MaxNodes).ToList();
        var ids = nodes.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        var edges = graph.Edges.Where(e => ids.Contains(e.From) && ids.Contains(e.To)).ToList();

        // Column = longest path from a source (bounded: the ledger's references form a DAG, cycles are cut by the bound).
        var column = nodes.ToDictionary(n => n.Id, _ => 0, StringComparer.Ordinal);
        for (var round = 0; round < nodes.Count; round++)
        {
            var changed = false;
            foreach (var e in edges)
            {
                if (column[e.To] < column[e.From] + 1 && column[e.From] + 1 < nodes.Count)
                {
                    column[e.To] = column[e.From] + 1;
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }

        var positions = new Dictionary<string, (double X, double Y)>(StringComparer.Ordinal);
        foreach (var group in nodes.GroupBy(n => column[n.Id]))
        {
            var row = 0;
            foreach (var n in group)
            {
                positions[n.Id] = (10 + group.Key * ColumnWidth, 10 + row++ * RowHeight);
            }
        }

        var width = (column.Count == 0 ? 1 : column.Values.Max() + 1) * ColumnWidth + 20;
        var height = Math.Max(1, positions.Count == 0 ? 1 : positions.Values.Max(p => p.Y) + RowHeight) + 10;
        var e2 = HtmlEncoder.Default;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lineage\" viewBox=\"0 0 {width} {height:0}\" role=\"img\" aria-labelledby=\"lineage-title\"><title id=\"lineage-title\">Lineage from the provenance ledger</title>");
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" class=\"arrowhead\"/></marker></defs>");
        foreach (var e in edges)
        {
            var (x1, y1) = positions[e.From];
            var (x2, y2) = positions[e.To];
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"edge\" x1=\"{x1 + NodeWidth:0}\" y1=\"{y1 + NodeHeight / 2:0}\" x2=\"{x2:0}\" y2=\"{y2 + NodeHeight / 2:0}\" marker-end=\"url(#arrow)\"><title>{e2.Encode(e.Relation)}</title></line>");
        }

        foreach (var n in nodes)
        {
            var (x, y) = positions[n.Id];
            var css = n.Id == graph.Root ? "node root" : n.Revoked is not null ? "node revoked" : "node " + (n.Type == "artifact" ? "artifact" : "record");
            var label = n.Label.Length > 30 ? n.Label[..29] + "…" : n.Label;
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"{css}\"><title>{e2.Encode(n.Type)}: {e2.Encode(n.Label)}{(n.Revoked is null ? "" : " (revoked: " + e2.Encode(n.Revoked) + ")")}</title>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0}\" y=\"{y:0}\" width=\"{NodeWidth}\" height=\"{NodeHeight}\" rx=\"5\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 8:0}\" y=\"{y + 15:0}\" class=\"type\">{e2.Encode(n.Type)}</text><text x=\"{x + 8:0}\" y=\"{y + 30:0}\">{e2.Encode(label)}</text></g>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }
}
