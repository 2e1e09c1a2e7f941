using System.Text;
using System.Text.Encodings.Web;

namespace Rampart.Core.Reporting.Html;

/// <summary>
/// The one page shell of every HTML report Rampart writes (scan/audit/verify/review, red team, threat model): the
/// doctype, UTF-8, a Content-Security-Policy that forbids every script and every fetch, the base and print style
/// sheets, and the encoder every report string goes through. A report appends its sections between
/// <see cref="Begin"/> and <see cref="End"/> and adds only the styles of its own sections.
/// </summary>
public static class HtmlPage
{
    /// <summary>No script, no fetched style sheet, font, frame or image; inline styles and data: images only.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;

    /// <summary>Text or an attribute value, encoded: every string that comes from an input is attacker-influenced.</summary>
    public static string Encode(string text) => Encoder.Encode(text);

    /// <summary>Starts a page: everything up to and including &lt;body&gt;, with the base style sheet then <paramref name="pageStyle"/>.</summary>
    public static StringBuilder Begin(string title, string pageStyle, int capacity = 16 * 1024)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(pageStyle);
        return new StringBuilder(capacity)
            .Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"").Append(ContentSecurityPolicy).Append("\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Encode(title)).Append("</title>\n<style>\n").Append(BaseStyle).Append(pageStyle)
            .Append("</style>\n</head>\n<body>\n");
    }

    /// <summary>Closes the page started by <see cref="Begin"/> and returns it.</summary>
    public static string End(StringBuilder page)
    {
        ArgumentNullException.ThrowIfNull(page);
        return page.Append("</body>\n</html>\n").ToString();
    }

    /// <summary>What every report shares: type, page width, tables, code, and how it prints (full width, no broken rows).</summary>
    private const string BaseStyle = """
        :root { color-scheme: light; font-family: system-ui, sans-serif; font-size: 15px; color: #1b1f24; line-height: 1.45; }
        body { margin: 1.5rem auto; max-width: 75rem; padding: 0 1rem; }
        table { border-collapse: collapse; margin: 1em 0; }
        th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; }
        code { background: #f5f5f5; padding: 0 .2em; font-family: ui-monospace, monospace; }
        @media print {
          body { max-width: none; margin: 0; }
          a { color: inherit; }
          tr, article, figure, details { break-inside: avoid; }
        }

        """;
}
