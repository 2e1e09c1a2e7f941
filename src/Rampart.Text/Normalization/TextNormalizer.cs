using System.Buffers;
using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Rampart.Text.Normalization;

/// <summary>
/// Turns a text into the readings a detector must see: invisible characters removed (zero-width, bidi controls, Unicode
/// tag characters, combining-mark floods), NFKC, Latin lookalikes folded in mixed-script words (table in
/// rules/guard/confusables.json), and the text hidden in it (markdown comments, link titles and image alt text, hidden
/// HTML, code fences, base64 / hex / ROT13 / leetspeak). Hand-written scanning rather than a parser library: the input
/// is hostile, and every step here is a single pass bounded by <see cref="NormalizationLimits"/>.
/// </summary>
public static class TextNormalizer
{
    private static readonly Lazy<FrozenDictionary<char, char>> LazyConfusables = new(LoadConfusables);

    private static readonly string[] CommonWords =
        [" the ", " and ", " you ", " to ", " of ", " is ", " your ", " all ", " ignore ", " instructions ", " previous ", " now ", " are ", " what ", " this ", " that ", " system ", " prompt "];

    /// <summary>The lookalike table: character to the ASCII letter or punctuation it imitates.</summary>
    public static FrozenDictionary<char, char> Confusables => LazyConfusables.Value;

    public static NormalizedText Normalize(string text, NormalizationLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        limits ??= NormalizationLimits.Default;
        var flags = NormalizationSignals.None;
        if (text.Length > limits.MaxChars)
        {
            text = text[..limits.MaxChars];
            flags |= NormalizationSignals.Truncated;
        }

        var state = new State(limits);
        var (clean, tags, invisible, charFlags) = StripInvisible(text);
        flags |= charFlags;
        var normalized = Fold(CompatibilityFolding.Fold(Nfkc(clean)), ref flags);
        state.Views.Add(new TextView(TextViewKind.Normalized, normalized, 0));
        if (tags.Length > 0)
        {
            state.Add(new TextView(TextViewKind.TagCharacters, tags, 1));
        }

        // What a reader sees: hidden parts (comments, hidden elements, titles, alt text) are blanked out of the main
        // view and judged as views of their own, so an instruction hidden there is reported as hidden.
        var hidden = HiddenContent.Extract(normalized, state);
        if (hidden.Count > 0)
        {
            var visible = normalized.ToCharArray();
            foreach (var (start, length) in hidden)
            {
                Array.Fill(visible, ' ', start, length);
            }

            normalized = new string(visible);
            state.Views[0] = new TextView(TextViewKind.Normalized, normalized, 0);
        }

        AddRot13(normalized, state);
        AddLeetspeak(normalized, state);
        for (var i = 0; i < state.Views.Count; i++)
        {
            var view = state.Views[i];
            if (view.Depth < limits.MaxDepth)
            {
                DecodeRuns(view, state);
            }
        }

        if (state.LimitReached)
        {
            flags |= NormalizationSignals.LimitReached;
        }

        return new NormalizedText([.. state.Views], flags, invisible);
    }

    /// <summary>Collects views within the limits.</summary>
    internal sealed class State(NormalizationLimits limits)
    {
        public List<TextView> Views { get; } = [];

        public NormalizationLimits Limits { get; } = limits;

        public int DecodedBytes { get; set; }

        public bool LimitReached { get; set; }

        public void Add(TextView view)
        {
            if (string.IsNullOrWhiteSpace(view.Text))
            {
                return;
            }

            if (Views.Count >= Limits.MaxViews)
            {
                LimitReached = true;
                return;
            }

            Views.Add(view);
        }
    }

    private static (string Clean, string Tags, int Invisible, NormalizationSignals Flags) StripInvisible(string text)
    {
        var flags = NormalizationSignals.None;
        var sb = new StringBuilder(text.Length);
        StringBuilder? tags = null;
        var invisible = 0;
        var marks = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var cp = char.ConvertToUtf32(c, text[i + 1]);
                i++;
                if (cp is >= 0xE0000 and <= 0xE007F)
                {
                    invisible++;
                    flags |= NormalizationSignals.TagCharacters;
                    if (cp is >= 0xE0020 and <= 0xE007E)
                    {
                        (tags ??= new StringBuilder()).Append((char)(cp - 0xE0000));
                    }

                    continue;
                }

                sb.Append(c).Append(text[i]);
                marks = 0;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                sb.Append('\uFFFD');
                continue;
            }

            switch (c)
            {
                case '\u200C' or '\u200D':
                    // joiners are part of emoji sequences and of Persian and Indic writing: removed, not counted
                    continue;
                case '\u200B' or '\u2060' or '\u2061' or '\u2062' or '\u2063' or '\u2064' or '\uFEFF' or '\u00AD' or '\u180E' or '\u034F' or '\u115F' or '\u1160' or '\u3164' or '\uFFA0':
                    invisible++;
                    flags |= NormalizationSignals.ZeroWidth;
                    continue;
                case '\u200E' or '\u200F' or '\u061C' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'):
                    invisible++;
                    flags |= NormalizationSignals.BidiControls;
                    continue;
            }

            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                // A few marks are language (Hindi vowel signs, Vietnamese tones); a pile of them on one letter is Zalgo
                // text meant to break tokenisers and filters.
                if (++marks > 2)
                {
                    flags |= NormalizationSignals.CombiningFlood;
                    continue;
                }
            }
            else
            {
                marks = 0;
            }

            sb.Append(c);
        }

        return (sb.ToString(), tags?.ToString() ?? "", invisible, flags);
    }

    private static string Nfkc(string s)
    {
        try
        {
            return s.IsNormalized(NormalizationForm.FormKC) ? s : s.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            // Unassigned or ill-formed sequences: keep the text as it is rather than lose it.
            return s;
        }
    }

    /// <summary>
    /// Folds lookalikes to ASCII in words that mix them with ASCII letters ("іgnоrе"), and in all-lookalike words when
    /// the text is mostly Latin. A Russian or Greek text keeps its letters: folding them would turn it into noise.
    /// </summary>
    private static string Fold(string s, ref NormalizationSignals flags)
    {
        var map = Confusables;
        int ascii = 0, letters = 0, candidates = 0;
        foreach (var c in s)
        {
            if (char.IsLetter(c))
            {
                letters++;
                if (c < 128)
                {
                    ascii++;
                }
                else if (map.ContainsKey(c))
                {
                    candidates++;
                }
            }
        }

        if (candidates == 0 && s.AsSpan().IndexOfAny(PunctuationLookalikes) < 0)
        {
            return s;
        }

        var mostlyLatin = ascii * 2 > letters;
        var chars = s.ToCharArray();
        var start = 0;
        var folded = false;
        while (start < chars.Length)
        {
            if (!char.IsLetter(chars[start]))
            {
                if (map.TryGetValue(chars[start], out var p))
                {
                    chars[start] = p;
                    folded = true;
                }

                start++;
                continue;
            }

            var end = start;
            bool hasAscii = false, allMappable = true;
            while (end < chars.Length && char.IsLetter(chars[end]))
            {
                hasAscii |= chars[end] < 128;
                allMappable &= chars[end] < 128 || map.ContainsKey(chars[end]);
                end++;
            }

            if (hasAscii || (allMappable && mostlyLatin))
            {
                for (var i = start; i < end; i++)
                {
                    if (chars[i] >= 128 && map.TryGetValue(chars[i], out var r))
                    {
                        chars[i] = r;
                        folded = true;
                        flags |= NormalizationSignals.Confusables;
                    }
                }
            }

            start = end;
        }

        return folded ? new string(chars) : s;
    }

    private static readonly SearchValues<char> PunctuationLookalikes = SearchValues.Create("‐‑‒–—―−‘’‚‛“”„‟ǀ∣׀");

    private static void AddRot13(string text, State state)
    {
        var rotated = Rot13(text);
        var hint = text.Contains("rot13", StringComparison.OrdinalIgnoreCase) || text.Contains("rot-13", StringComparison.OrdinalIgnoreCase)
            || text.Contains("rot 13", StringComparison.OrdinalIgnoreCase);
        if (hint || WordScore(rotated) >= WordScore(text) + 2)
        {
            state.Add(new TextView(TextViewKind.Rot13, rotated, 1));
        }
    }

    private static int WordScore(string s)
    {
        var padded = " " + s + " ";
        var score = 0;
        foreach (var w in CommonWords)
        {
            if (padded.Contains(w, StringComparison.OrdinalIgnoreCase))
            {
                score++;
            }
        }

        return score;
    }

    internal static string Rot13(string s) => string.Create(s.Length, s, static (span, src) =>
    {
        for (var i = 0; i < src.Length; i++)
        {
            var c = src[i];
            span[i] = c switch
            {
                >= 'a' and <= 'z' => (char)('a' + ((c - 'a' + 13) % 26)),
                >= 'A' and <= 'Z' => (char)('A' + ((c - 'A' + 13) % 26)),
                _ => c,
            };
        }
    });

    /// <summary>Reads digits and symbols inside words as letters; only words that mix both change.</summary>
    private static void AddLeetspeak(string text, State state)
    {
        var chars = text.ToCharArray();
        var changed = false;
        var i = 0;
        while (i < chars.Length)
        {
            if (!IsWordChar(chars[i]))
            {
                i++;
                continue;
            }

            var end = i;
            bool letter = false, leet = false;
            while (end < chars.Length && IsWordChar(chars[end]))
            {
                letter |= char.IsLetter(chars[end]);
                leet |= Leet(chars[end]) != '\0';
                end++;
            }

            if (letter && leet && end - i >= 3)
            {
                for (var k = i; k < end; k++)
                {
                    var l = Leet(chars[k]);
                    if (l != '\0')
                    {
                        chars[k] = l;
                        changed = true;
                    }
                }
            }

            i = end;
        }

        if (changed)
        {
            state.Add(new TextView(TextViewKind.Leetspeak, new string(chars), 1));
        }
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '@' or '$';

    private static char Leet(char c) => c switch
    {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' or '@' => 'a',
        '5' or '$' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        _ => '\0',
    };

    /// <summary>Decodes base64 and hex runs of a view that turn out to be readable text, within the byte budget.</summary>
    private static void DecodeRuns(TextView view, State state)
    {
        var text = view.Text;
        var i = 0;
        var min = state.Limits.MinEncodedRun;
        while (i < text.Length)
        {
            if (!IsBase64Char(text[i]))
            {
                i++;
                continue;
            }

            var end = i;
            var hexOnly = true;
            while (end < text.Length && IsBase64Char(text[end]))
            {
                hexOnly &= char.IsAsciiHexDigit(text[end]);
                end++;
            }

            var runEnd = end;
            while (runEnd < text.Length && runEnd - end < 2 && text[runEnd] == '=')
            {
                runEnd++;
            }

            if (end - i >= min)
            {
                var run = text.AsSpan(i, end - i);
                var decoded = hexOnly ? DecodeHex(run) : DecodeBase64(run);
                if (decoded is not null)
                {
                    if (state.DecodedBytes + decoded.Length > state.Limits.MaxDecodedBytes)
                    {
                        state.LimitReached = true;
                        return;
                    }

                    state.DecodedBytes += decoded.Length;
                    if (Readable(decoded) is { } readable)
                    {
                        state.Add(new TextView(hexOnly ? TextViewKind.Hex : TextViewKind.Base64, readable, view.Depth + 1));
                    }
                }
            }

            i = runEnd;
        }
    }

    private static bool IsBase64Char(char c) => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '-' or '_';

    private static byte[]? DecodeHex(ReadOnlySpan<char> run)
    {
        if (run.Length % 2 != 0)
        {
            run = run[..^1];
        }

        try
        {
            return Convert.FromHexString(run);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static byte[]? DecodeBase64(ReadOnlySpan<char> run)
    {
        // URL-safe alphabet and missing padding are common in smuggled payloads.
        var usable = run.Length - (run.Length % 4 == 1 ? 1 : 0);
        var padded = new char[(usable + 3) / 4 * 4];
        for (var k = 0; k < padded.Length; k++)
        {
            padded[k] = k < usable ? run[k] switch { '-' => '+', '_' => '/', var c => c } : '=';
        }

        var bytes = new byte[padded.Length / 4 * 3];
        return Convert.TryFromBase64Chars(padded, bytes, out var written) ? bytes[..written] : null;
    }

    /// <summary>The decoded bytes as text when they are mostly printable UTF-8 with some letters; otherwise null.</summary>
    private static string? Readable(byte[] bytes)
    {
        var s = Encoding.UTF8.GetString(bytes);
        int printable = 0, letters = 0;
        foreach (var c in s)
        {
            if (c == '\uFFFD' || (char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
            {
                continue;
            }

            printable++;
            letters += char.IsLetter(c) ? 1 : 0;
        }

        return s.Length > 0 && printable >= s.Length * 0.9 && letters >= 4 && letters >= s.Length * 0.4 ? s : null;
    }

    private static FrozenDictionary<char, char> LoadConfusables()
    {
        var documents = PatternJson.LoadEmbedded(typeof(TextNormalizer).Assembly, "guard/confusables.json");
        var root = documents.Values.Single();
        PatternJson.Keys(root, "confusables.json", "comment", "map");
        var map = new Dictionary<char, char>();
        foreach (var p in root.GetProperty("map").EnumerateObject())
        {
            var to = p.Value.GetString() ?? "";
            if (p.Name.Length != 1 || to.Length != 1 || p.Value.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"confusables.json: '{p.Name}' -> '{to}' must map one character to one character");
            }

            map[p.Name[0]] = to[0];
        }

        return map.ToFrozenDictionary();
    }
}
