using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using QRCoder;

namespace Rampart.Server.Dashboard;

/// <summary>A QR code drawn as SVG on the server: one path of dark modules, a title for screen readers; no script, no style attribute.</summary>
public static class QrSvg
{
    public static string Render(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        var matrix = data.ModuleMatrix;
        var size = matrix.Count;
        var path = new StringBuilder();
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                if (matrix[y][x])
                {
                    path.Append(CultureInfo.InvariantCulture, $"M{x} {y}h1v1h-1z");
                }
            }
        }

        return $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"240\" height=\"240\" role=\"img\" aria-labelledby=\"qr-title\" shape-rendering=\"crispEdges\">"
            + "<title id=\"qr-title\">TOTP enrolment QR code</title>"
            + $"<rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>";
    }
}

/// <summary>One bar of a chart.</summary>
public sealed record Bar(string Label, double Value, string CssClass = "");

/// <summary>Charts drawn on the server as SVG: every label is encoded; sizes are numbers the server computed.</summary>
public static class SvgChart
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;

    /// <summary>Horizontal bars with their labels and values, with a title and a text alternative.</summary>
    public static string Bars(string title, IReadOnlyList<Bar> bars)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(bars);
        const int Row = 26;
        const int LabelWidth = 170;
        const int BarWidth = 300;
        var max = bars.Count == 0 ? 1 : Math.Max(1, bars.Max(b => b.Value));
        var height = Math.Max(1, bars.Count) * Row + 8;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {LabelWidth + BarWidth + 80} {height}\" role=\"img\" aria-label=\"{Encoder.Encode(title)}\"><title>{Encoder.Encode(title)}</title>");
        for (var i = 0; i < bars.Count; i++)
        {
            var b = bars[i];
            var y = i * Row + 4;
            var width = b.Value <= 0 ? 0 : Math.Max(2, b.Value / max * BarWidth);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth - 8}\" y=\"{y + 16}\" text-anchor=\"end\">{Encoder.Encode(b.Label)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar {Encoder.Encode(b.CssClass)}\" x=\"{LabelWidth}\" y=\"{y + 2}\" width=\"{width:0.#}\" height=\"{Row - 8}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth + width + 6:0.#}\" y=\"{y + 16}\">{b.Value.ToString("0.##", CultureInfo.InvariantCulture)}</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>A line over time (a trend), points in order, values from 0 to <paramref name="max"/>.</summary>
    public static string Line(string title, IReadOnlyList<(string Label, double Value)> points, double max)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(points);
        const int Width = 480;
        const int Height = 140;
        const int Pad = 28;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {Width} {Height + 24}\" role=\"img\" aria-label=\"{Encoder.Encode(title)}\"><title>{Encoder.Encode(title)}</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Pad}\" y1=\"{Height}\" x2=\"{Width - 8}\" y2=\"{Height}\"/>");
        if (points.Count > 0)
        {
            var step = points.Count == 1 ? 0 : (Width - Pad - 16) / (double)(points.Count - 1);
            var top = max <= 0 ? 1 : max;
            var coordinates = points.Select((p, i) => (X: Pad + i * step, Y: Height - Math.Clamp(p.Value / top, 0, 1) * (Height - 12))).ToList();
            svg.Append("<polyline class=\"trend\" points=\"");
            svg.AppendJoin(' ', coordinates.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.X:0.#},{c.Y:0.#}")));
            svg.Append("\"/>");
            for (var i = 0; i < points.Count; i++)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<circle class=\"point\" cx=\"{coordinates[i].X:0.#}\" cy=\"{coordinates[i].Y:0.#}\" r=\"3\"><title>{Encoder.Encode(points[i].Label)}: {points[i].Value.ToString("0.##", CultureInfo.InvariantCulture)}</title></circle>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{coordinates[i].X:0.#}\" y=\"{Height + 18}\" text-anchor=\"middle\">{Encoder.Encode(points[i].Label)}</text>");
            }
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>
    /// Several lines over the same labels (series 0 to 5 get their own colour class, and a legend names them), values
    /// from 0 to the largest; a label is shown every <paramref name="labelEvery"/> points.
    /// </summary>
    public static string Lines(string title, IReadOnlyList<string> labels, IReadOnlyList<(string Name, IReadOnlyList<double> Values)> series, int labelEvery = 1)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(series);
        const int Width = 520;
        const int Height = 150;
        const int Pad = 40;
        const int LegendRow = 18;
        var max = Math.Max(1, series.SelectMany(s => s.Values).DefaultIfEmpty(0).Max());
        var step = labels.Count <= 1 ? 0 : (Width - Pad - 16) / (double)(labels.Count - 1);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {Width} {Height + 28 + series.Count * LegendRow}\" role=\"img\" aria-label=\"{Encoder.Encode(title)}\"><title>{Encoder.Encode(title)}</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Pad}\" y1=\"{Height}\" x2=\"{Width - 8}\" y2=\"{Height}\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Pad - 6}\" y=\"16\" text-anchor=\"end\">{max.ToString("0.##", CultureInfo.InvariantCulture)}</text><text x=\"{Pad - 6}\" y=\"{Height}\" text-anchor=\"end\">0</text>");
        for (var i = 0; i < labels.Count; i += Math.Max(1, labelEvery))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Pad + i * step:0.#}\" y=\"{Height + 18}\" text-anchor=\"middle\">{Encoder.Encode(labels[i])}</text>");
        }

        for (var s = 0; s < series.Count; s++)
        {
            var (name, values) = series[s];
            var points = values.Take(labels.Count).Select((v, i) => string.Create(CultureInfo.InvariantCulture, $"{Pad + i * step:0.#},{Height - Math.Clamp(v / max, 0, 1) * (Height - 12):0.#}"));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline class=\"series s{s % 6}\" points=\"{string.Join(' ', points)}\"><title>{Encoder.Encode(name)}</title></polyline>");
            var y = Height + 28 + s * LegendRow;
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"series s{s % 6}\" x1=\"{Pad}\" y1=\"{y - 4}\" x2=\"{Pad + 20}\" y2=\"{y - 4}\"/><text x=\"{Pad + 26}\" y=\"{y}\">{Encoder.Encode(name)}</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }
}
