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

    public static void Extract(string text, TextNormalizer.State state)
    {
        Comments(text, state);
        Add(LinkTitle, text, TextViewKind.MarkdownHidden, state);
        Add(ImageAlt, text, TextViewKind.MarkdownHidden, state);
        Add(ReferenceComment, text, TextViewKind.MarkdownHidden, state);
        Add(HiddenElement, text, TextViewKind.HtmlHidden, state);
        Fences(text, state);
    }

    private static void Add(Regex regex, string text, TextViewKind kind, TextNormalizer.State state)
    {
        foreach (Match m in regex.Matches(text))
        {
            if (state.Views.Count >= state.Limits.MaxViews)
            {
                state.LimitReached = true;
                return;
            }

            state.Add(new TextView(kind, m.Groups["t"].Value, 1));
        }
    }

    private static void Comments(string text, TextNormalizer.State state)
    {
        var i = 0;
        while ((i = text.IndexOf("<!--", i, StringComparison.Ordinal)) >= 0)
        {
            var end = text.IndexOf("-->", i + 4, StringComparison.Ordinal);
            var body = end < 0 ? text[(i + 4)..] : text[(i + 4)..end];
            state.Add(new TextView(TextViewKind.HtmlHidden, body, 1));
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
