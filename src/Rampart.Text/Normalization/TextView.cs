using System.Collections.Immutable;

namespace Rampart.Text.Normalization;

/// <summary>How a view of a text was obtained: the canonical form, a decoded run, or content a reader would not see.</summary>
public enum TextViewKind
{
    /// <summary>The whole text after removing invisible characters, NFKC and confusable folding.</summary>
    Normalized,

    /// <summary>A base64 run, decoded.</summary>
    Base64,

    /// <summary>A hexadecimal run, decoded.</summary>
    Hex,

    /// <summary>The text with ROT13 undone (only when that reads more like language than the original).</summary>
    Rot13,

    /// <summary>The text with digits and symbols read as the letters they imitate ("1gn0r3" as "ignore").</summary>
    Leetspeak,

    /// <summary>Unicode tag characters (U+E0020-U+E007E) read as the ASCII they encode: invisible text.</summary>
    TagCharacters,

    /// <summary>Markdown a renderer hides or shows only on hover: comments, link titles, image alt text.</summary>
    MarkdownHidden,

    /// <summary>HTML a browser hides: comments, elements with hidden, display:none or visibility:hidden.</summary>
    HtmlHidden,

    /// <summary>The body of a fenced code block.</summary>
    CodeFence,
}

/// <summary>One reading of a text; <see cref="Depth"/> is 0 for the normalized text and grows with each decoding.</summary>
public sealed record TextView(TextViewKind Kind, string Text, int Depth);

/// <summary>What normalisation removed or folded: each is a signal that someone tried to hide text from a reader or a filter.</summary>
[Flags]
public enum NormalizationSignals
{
    None = 0,
    ZeroWidth = 1,
    BidiControls = 2,
    Confusables = 4,
    TagCharacters = 8,
    CombiningFlood = 16,
    Truncated = 32,
    LimitReached = 64,
}

/// <summary>
/// A text ready for detection: the canonical form, every other reading found in it (decoded runs, hidden content), and
/// counts of what was removed. Detectors run over <see cref="Views"/>, whose first element is always the canonical form.
/// </summary>
public sealed record NormalizedText(ImmutableArray<TextView> Views, NormalizationSignals Flags, int InvisibleCount)
{
    public string Text => Views[0].Text;
}

/// <summary>Bounds that keep normalisation linear in the input and its memory small whatever the input.</summary>
public sealed record NormalizationLimits
{
    /// <summary>Characters read from the input; the rest is ignored and <see cref="NormalizationSignals.Truncated"/> set.</summary>
    public int MaxChars { get; init; } = 100_000;

    /// <summary>Total bytes produced by all decodings of one text.</summary>
    public int MaxDecodedBytes { get; init; } = 32_768;

    /// <summary>How many decodings may be stacked (base64 inside hex is depth 2).</summary>
    public int MaxDepth { get; init; } = 2;

    /// <summary>At most this many views per text.</summary>
    public int MaxViews { get; init; } = 48;

    /// <summary>Shortest run considered for base64 or hex decoding.</summary>
    public int MinEncodedRun { get; init; } = 16;

    public static NormalizationLimits Default { get; } = new();
}
