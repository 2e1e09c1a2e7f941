using System.Text;

namespace Rampart.Text.Normalization;

/// <summary>
/// The compatibility forms attackers use to dress up Latin text, folded to ASCII by code-point arithmetic: fullwidth
/// forms, mathematical alphanumerics (bold, italic, script, fraktur, double-struck, sans-serif, monospace), circled,
/// parenthesised, squared and regional-indicator letters, Latin ligatures and exotic spaces. NFKC does this and more,
/// but the product runs with invariant globalization, where <see cref="string.Normalize()"/> leaves non-ASCII text
/// unchanged; these ranges are the part of NFKC that matters for hiding instructions.
/// </summary>
internal static class CompatibilityFolding
{
    public static string Fold(string s)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < s.Length; i++)
        {
            int cp = s[i];
            var width = 1;
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                cp = char.ConvertToUtf32(s[i], s[i + 1]);
                width = 2;
            }

            var folded = Map(cp);
            if (folded is null)
            {
                sb?.Append(s, i, width);
            }
            else
            {
                sb ??= new StringBuilder(s.Length).Append(s, 0, i);
                sb.Append(folded);
            }

            i += width - 1;
        }

        return sb?.ToString() ?? s;
    }

    private static string? Map(int cp) => cp switch
    {
        >= 0xFF01 and <= 0xFF5E => ((char)(cp - 0xFEE0)).ToString(),
        0x3000 or 0x00A0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x202F or 0x205F => " ",
        >= 0x1D400 and <= 0x1D6A3 => Letter((cp - 0x1D400) % 52),
        >= 0x1D7CE and <= 0x1D7FF => ((char)('0' + ((cp - 0x1D7CE) % 10))).ToString(),
        >= 0x24B6 and <= 0x24CF => ((char)('A' + (cp - 0x24B6))).ToString(),
        >= 0x24D0 and <= 0x24E9 => ((char)('a' + (cp - 0x24D0))).ToString(),
        >= 0x249C and <= 0x24B5 => ((char)('a' + (cp - 0x249C))).ToString(),
        >= 0x1F130 and <= 0x1F149 => ((char)('A' + (cp - 0x1F130))).ToString(),
        >= 0x1F150 and <= 0x1F169 => ((char)('A' + (cp - 0x1F150))).ToString(),
        >= 0x1F170 and <= 0x1F189 => ((char)('A' + (cp - 0x1F170))).ToString(),
        >= 0x1F1E6 and <= 0x1F1FF => ((char)('A' + (cp - 0x1F1E6))).ToString(),
        0xFB00 => "ff",
        0xFB01 => "fi",
        0xFB02 => "fl",
        0xFB03 => "ffi",
        0xFB04 => "ffl",
        0xFB05 or 0xFB06 => "st",
        0x210E => "h",
        0x212F or 0x2147 => "e",
        0x2134 => "o",
        0x2148 => "i",
        0x2149 => "j",
        _ => null,
    };

    private static string Letter(int index) => ((char)(index < 26 ? 'A' + index : 'a' + index - 26)).ToString();
}
