using System.Text;

namespace Rampart.Text.Detection;

/// <summary>Replaces spans of a text with <c>[REDACTED:label]</c>. Spans that overlap an earlier one or fall outside the text are skipped.</summary>
public static class TextRedaction
{
    public static string Apply(string text, IEnumerable<(int Index, int Length, string Label)> spans)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(spans);
        StringBuilder? builder = null;
        var position = 0;
        foreach (var (index, length, label) in spans.OrderBy(s => s.Index))
        {
            if (length <= 0 || index < position || index + length > text.Length)
            {
                continue;
            }

            builder ??= new StringBuilder(text.Length);
            builder.Append(text, position, index - position).Append("[REDACTED:").Append(label).Append(']');
            position = index + length;
        }

        return builder is null ? text : builder.Append(text, position, text.Length - position).ToString();
    }
}
