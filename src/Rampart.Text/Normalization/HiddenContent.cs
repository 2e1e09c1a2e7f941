using System.Text.RegularExpressions;

namespace Rampart.Text.Normalization;

/// <summary>
/// Text a renderer hides from the person reading it but a model still reads: HTML and markdown comments, link titles,
/// image alt text, hidden HTML elements, and the bodies of code fences. Linear-time regexes (NonBacktracking) and
/// index scans, so a hostile document cannot make this slow.
/// </summary>
internal static class HiddenContent
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    private static readonly Regex LinkTitle = new(@"\]\([^()\s]*\s+(""(?<t>[^""\n]+)""|'(?<t>[^'\n]+)')\)", Options);

    private static readonly Regex ImageAlt = new(@"!\[(?<t>[^\]\n]+)\]", Options);

    private static readonly Regex ReferenceComment = new(@"^\s*\[//\]:\s*#\s*\((?<t>[^)\n]+)\)", Options | RegexOptions.Multiline);

    private static readonly Regex HiddenElement = new(
        @"<[a-z][a-z0-9]*\s[^<>]*(hidden|display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|opacity\s*:\s*0[;""'\s])[^<>]*>(?<t>[^<]+)", Options);

    /// <summary>Adds the hidden parts as views and returns their spans (code fences are visible and not returned).</summary>
    public static List<(int Start, int Length)> Extract(string text, TextNormalizer.State state)
    {
        var spans = new List<(int Start, int Length)>();
        Comments(text, state, spans);
        Add(LinkTitle, text, TextViewKind.MarkdownHidden, state, spans);
        Add(ImageAlt, text, TextViewKind.MarkdownHidden, state, spans);
        Add(ReferenceComment, text, TextViewKind.MarkdownHidden, state, spans);
        Add(HiddenElement, text, TextViewKind.HtmlHidden, state, spans);
        Fences(text, state);
        return spans;
    }

    private static void Add(Regex regex, string text, TextViewKind kind, TextNormalizer.State state, List<(int Start, int Length)> spans)
    {
        foreach (Match m in regex.Matches(text))
        {
            if (state.Views.Count >= state.Limits.MaxViews)
            {
                state.LimitReached = true;
                return;
            }

            var group = m.Groups["t"];
            state.Add(new TextView(kind, group.Value, 1));
            spans.Add((group.Index, group.Length));
        }
    }

    private static void Comments(string text, TextNormalizer.State state, List<(int Start, int Length)> spans)
    {
        var i = 0;
        while ((i = text.IndexOf("<!--", i, StringComparison.Ordinal)) >= 0)
        {
            var end = text.IndexOf("-->", i + 4, StringComparison.Ordinal);
            var body = end < 0 ? text[(i + 4)..] : text[(i + 4)..end];
            state.Add(new TextView(TextViewKind.HtmlHidden, body, 1));
            spans.Add((i + 4, body.Length));
            if (end < 0 || state.Views.Count >= state.Limits.MaxViews)
            {
                return;
            }

            i = end + 3;
        }
    }

    private static void Fences(string text, TextNormalizer.State state)
    {
        var i = 0;
        while ((i = text.IndexOf("```", i, StringComparison.Ordinal)) >= 0)
        {
            var bodyStart = text.IndexOf('\n', i + 3);
            if (bodyStart < 0)
            {
                return;
            }

            var end = text.IndexOf("```", bodyStart + 1, StringComparison.Ordinal);
            var body = end < 0 ? text[(bodyStart + 1)..] : text[(bodyStart + 1)..end];
            state.Add(new TextView(TextViewKind.CodeFence, body, 1));
            if (end < 0 || state.Views.Count >= state.Limits.MaxViews)
            {
                return;
            }

            i = end + 3;
        }
    }
}
