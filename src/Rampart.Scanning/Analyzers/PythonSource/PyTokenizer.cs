using System.Globalization;
using System.Text;

namespace Rampart.Scanning.Analyzers.PythonSource;

internal enum TokenKind
{
    Name,
    Number,
    String,
    Op,
    Newline,
    Indent,
    Dedent,
    EndOfFile,
    Error,
}

/// <summary>One token. Lines and columns are 1-based; columns count UTF-16 code units, as SARIF does by default.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Start, int End, int Line, int Column)
{
    public bool Is(string op) => (Kind == TokenKind.Op || Kind == TokenKind.Name) && Text == op;

    public override string ToString() => $"{Kind} '{Text}' @{Line}:{Column}";
}

/// <summary>
/// A Python tokenizer for 3.8–3.13 source: indentation (tabs to multiples of 8), implicit joining inside brackets,
/// backslash continuation, every string prefix (r, b, u, f, rb, br, fr, rf in any case), triple quotes, f-strings
/// whose replacement fields contain nested strings of the same quote (PEP 701), numbers with underscores, imaginary
/// and exponent forms, and every operator including := and ->. It never throws: anything it cannot read becomes an
/// <see cref="TokenKind.Error"/> token and a message in <see cref="Errors"/>, and tokenizing goes on.
/// </summary>
internal sealed class PyTokenizer
{
    private static readonly string[] Operators3 = ["**=", "//=", ">>=", "<<=", "...", "!="];
    private static readonly string[] Operators2 = ["**", "//", ">>", "<<", "<=", ">=", "==", "!=", "->", ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@="];
    private const string Operators1 = "+-*/%@&|^~<>()[]{},:;.=!";

    private readonly string _s;
    private readonly List<Token> _tokens = [];
    private readonly IReadOnlyList<int> _lineStarts;
    private readonly int _end;
    private readonly bool _expression;
    private int _pos;

    private PyTokenizer(string source, IReadOnlyList<int>? lineStarts = null, int start = 0, int? end = null, bool expression = false)
    {
        _s = source;
        _lineStarts = lineStarts ?? LineStarts(source);
        _pos = start;
        _end = end ?? source.Length;
        _expression = expression;
    }

    public List<string> Errors { get; } = [];

    /// <summary>Tokenizes decoded source text.</summary>
    public static (IReadOnlyList<Token> Tokens, IReadOnlyList<string> Errors) Tokenize(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var t = new PyTokenizer(source);
        t.Run();
        return (t._tokens, t.Errors);
    }

    /// <summary>
    /// Tokenizes one expression inside <paramref name="source"/> (an f-string replacement field) as if inside
    /// brackets: no NEWLINE or indentation tokens, positions in the whole source.
    /// </summary>
    public static (IReadOnlyList<Token> Tokens, IReadOnlyList<string> Errors) TokenizeExpression(string source, IReadOnlyList<int> lineStarts, int start, int end)
    {
        var t = new PyTokenizer(source, lineStarts, start, end, expression: true);
        t.Run();
        return (t._tokens, t.Errors);
    }

    /// <summary>
    /// Splits the body of an f-string (between its quotes, offsets in <paramref name="source"/>) into literal runs
    /// and replacement-field expressions (just the expression, without conversion, format spec or '=').
    /// </summary>
    public static List<(int Start, int End, bool IsExpression)> SplitFString(string source, int bodyStart, int bodyEnd, bool raw)
    {
        ArgumentNullException.ThrowIfNull(source);
        var t = new PyTokenizer(source, [0], bodyStart, bodyEnd);
        var parts = new List<(int, int, bool)>();
        var literalStart = bodyStart;
        var p = bodyStart;
        while (p < bodyEnd)
        {
            var c = source[p];
            if (!raw && c == '\\')
            {
                p += p + 2 < bodyEnd && source[p + 1] == 'N' && source[p + 2] == '{' ? Math.Max(2, source.IndexOf('}', p) - p + 1) : 2;
                continue;
            }

            if ((c == '{' || c == '}') && p + 1 < bodyEnd && source[p + 1] == c)
            {
                p += 2;
                continue;
            }

            if (c != '{')
            {
                p++;
                continue;
            }

            if (p > literalStart)
            {
                parts.Add((literalStart, p, false));
            }

            var exprStart = p + 1;
            var exprEnd = t.FieldExpressionEnd(exprStart, bodyEnd);
            parts.Add((exprStart, exprEnd, true));
            p = Math.Min(bodyEnd, t.SkipReplacementField(exprStart, bodyStart));
            literalStart = p;
        }

        if (bodyEnd > literalStart)
        {
            parts.Add((literalStart, bodyEnd, false));
        }

        return parts;
    }

    /// <summary>Where the expression of a replacement field ends: at '!', ':', '=' (self-documenting) or '}' at depth 0.</summary>
    private int FieldExpressionEnd(int p, int limit)
    {
        var depth = 0;
        while (p < limit)
        {
            var c = _s[p];
            if (c is '(' or '[' or '{')
            {
                depth++;
            }
            else if (c is ')' or ']')
            {
                depth--;
            }
            else if (c == '}')
            {
                if (depth == 0)
                {
                    return p;
                }

                depth--;
            }
            else if (depth == 0 && c == '!' && p + 1 < limit && _s[p + 1] != '=')
            {
                return p;
            }
            else if (depth == 0 && c == ':')
            {
                return p;
            }
            else if (depth == 0 && c == '=' && p + 1 < limit && _s[p + 1] != '=' && p > 0 && !"=!<>".Contains(_s[p - 1], StringComparison.Ordinal))
            {
                var q = p + 1;
                while (q < limit && char.IsWhiteSpace(_s[q]))
                {
                    q++;
                }

                if (q < limit && _s[q] is '!' or ':' or '}')
                {
                    return p;
                }
            }
            else if (c is '"' or '\'' || IsStringStartAt(p, out _))
            {
                IsStringStartAt(p, out var pl);
                var prefix = _s.Substring(p, pl).ToUpperInvariant();
                p = ScanStringBody(p + pl, prefix.Contains('R', StringComparison.Ordinal), prefix.Contains('F', StringComparison.Ordinal), p);
                continue;
            }

            p++;
        }

        return limit;
    }

    /// <summary>1-based (line, column) of a character offset.</summary>
    public static (int Line, int Column) Position(IReadOnlyList<int> lineStarts, int offset)
    {
        ArgumentNullException.ThrowIfNull(lineStarts);
        var index = BinarySearch(lineStarts, offset);
        return (index + 1, offset - lineStarts[index] + 1);
    }

    public static List<int> LineStarts(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var starts = new List<int> { 0 };
        for (var i = 0; i < source.Length; i++)
        {
            if (source[i] == '\n' || (source[i] == '\r' && (i + 1 >= source.Length || source[i + 1] != '\n')))
            {
                starts.Add(i + 1);
            }
        }

        return starts;
    }

    private static int BinarySearch(IReadOnlyList<int> starts, int offset)
    {
        int lo = 0, hi = starts.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (starts[mid] <= offset)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    private void Add(TokenKind kind, int start, int end, string? text = null)
    {
        var (line, column) = Position(_lineStarts, start);
        _tokens.Add(new Token(kind, text ?? _s[start..end], start, end, line, column));
    }

    private void Error(int at, string message)
    {
        var (line, column) = Position(_lineStarts, at);
        Errors.Add($"{line}:{column}: {message}");
    }

    private void Run()
    {
        var indents = new Stack<int>();
        indents.Push(0);
        var depth = _expression ? 1 : 0;
        var atLineStart = !_expression;
        // A byte-order mark is not part of the source (PEP 3120 files may start with one).
        if (_end > 0 && _s[0] == '\uFEFF')
        {
            _pos = 1;
        }

        while (_pos < _end)
        {
            if (atLineStart && depth == 0)
            {
                atLineStart = false;
                var column = 0;
                var p = _pos;
                while (p < _end && (_s[p] == ' ' || _s[p] == '\t' || _s[p] == '\f'))
                {
                    column = _s[p] == '\t' ? ((column / 8) + 1) * 8 : _s[p] == '\f' ? 0 : column + 1;
                    p++;
                }

                _pos = p;
                if (p >= _end)
                {
                    break;
                }

                var c0 = _s[p];
                if (c0 == '#' || c0 == '\n' || c0 == '\r' || (c0 == '\\' && IsLineEnd(p + 1)))
                {
                    // Blank line, comment-only line, or a lone continuation: no indentation change.
                    if (c0 == '#')
                    {
                        SkipComment();
                    }

                    if (c0 == '\\')
                    {
                        _pos = p + 1;
                    }

                    SkipNewline();
                    atLineStart = true;
                    continue;
                }

                if (column > indents.Peek())
                {
                    indents.Push(column);
                    Add(TokenKind.Indent, p, p, "");
                }
                else
                {
                    while (column < indents.Peek())
                    {
                        indents.Pop();
                        Add(TokenKind.Dedent, p, p, "");
                    }

                    if (column != indents.Peek())
                    {
                        Error(p, "unindent does not match any outer indentation level");
                        indents.Push(column);
                    }
                }
            }

            var c = _s[_pos];
            if (c == ' ' || c == '\t' || c == '\f')
            {
                _pos++;
            }
            else if (c == '#')
            {
                SkipComment();
            }
            else if (c == '\n' || c == '\r')
            {
                var start = _pos;
                SkipNewline();
                if (depth == 0)
                {
                    if (_tokens.Count > 0 && _tokens[^1].Kind is not (TokenKind.Newline or TokenKind.Indent or TokenKind.Dedent))
                    {
                        Add(TokenKind.Newline, start, start, "\n");
                    }

                    atLineStart = true;
                }
            }
            else if (c == '\\')
            {
                if (IsLineEnd(_pos + 1))
                {
                    _pos++;
                    SkipNewline();
                }
                else
                {
                    Error(_pos, "unexpected character after line continuation character");
                    Add(TokenKind.Error, _pos, _pos + 1);
                    _pos++;
                }
            }
            else if (IsStringStart(_pos, out var prefixLength))
            {
                var start = _pos;
                ScanString(_pos + prefixLength);
                Add(TokenKind.String, start, _pos);
            }
            else if (IsIdentifierStart(c))
            {
                var start = _pos;
                while (_pos < _end && IsIdentifierPart(_s[_pos]))
                {
                    _pos++;
                }

                Add(TokenKind.Name, start, _pos);
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && _pos + 1 < _end && char.IsAsciiDigit(_s[_pos + 1])))
            {
                var start = _pos;
                ScanNumber();
                Add(TokenKind.Number, start, _pos);
            }
            else
            {
                var start = _pos;
                var op = MatchOperator();
                if (op is null)
                {
                    Error(_pos, $"unexpected character U+{(int)c:X4}");
                    Add(TokenKind.Error, _pos, _pos + 1);
                    _pos++;
                    continue;
                }

                _pos += op.Length;
                if (op is "(" or "[" or "{")
                {
                    depth++;
                }
                else if (op is ")" or "]" or "}")
                {
                    depth = Math.Max(_expression ? 1 : 0, depth - 1);
                }

                Add(TokenKind.Op, start, _pos, op);
            }
        }

        if (!_expression && _tokens.Count > 0 && _tokens[^1].Kind is not (TokenKind.Newline or TokenKind.Indent or TokenKind.Dedent))
        {
            Add(TokenKind.Newline, _end, _end, "\n");
        }

        if (depth > (_expression ? 1 : 0))
        {
            Error(_end, "unexpected end of file inside brackets");
        }

        while (indents.Count > 1)
        {
            indents.Pop();
            Add(TokenKind.Dedent, _end, _end, "");
        }

        Add(TokenKind.EndOfFile, _end, _end, "");
    }

    private bool IsLineEnd(int p) => p >= _end || _s[p] == '\n' || _s[p] == '\r';

    private void SkipComment()
    {
        while (_pos < _s.Length && _s[_pos] != '\n' && _s[_pos] != '\r')
        {
            _pos++;
        }
    }

    private void SkipNewline()
    {
        if (_pos < _s.Length && _s[_pos] == '\r')
        {
            _pos++;
        }

        if (_pos < _s.Length && _s[_pos] == '\n')
        {
            _pos++;
        }
    }

    private string? MatchOperator()
    {
        foreach (var op in Operators3)
        {
            if (string.CompareOrdinal(_s, _pos, op, 0, op.Length) == 0)
            {
                return op;
            }
        }

        foreach (var op in Operators2)
        {
            if (string.CompareOrdinal(_s, _pos, op, 0, op.Length) == 0)
            {
                return op;
            }
        }

        return Operators1.Contains(_s[_pos], StringComparison.Ordinal) ? _s[_pos].ToString() : null;
    }

    private static bool IsIdentifierStart(char c) =>
        c == '_' || char.IsAsciiLetter(c) || (c > 127 && (char.IsLetter(c) || char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.LetterNumber));

    private static bool IsIdentifierPart(char c) =>
        IsIdentifierStart(c) || char.IsAsciiDigit(c) || (c > 127 && CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation or UnicodeCategory.Format);

    /// <summary>True when a string literal (with an optional prefix of up to two letters) starts at <paramref name="p"/>.</summary>
    private bool IsStringStart(int p, out int prefixLength)
    {
        prefixLength = 0;
        while (prefixLength < 3 && p + prefixLength < _s.Length && "rRbBuUfF".Contains(_s[p + prefixLength], StringComparison.Ordinal))
        {
            prefixLength++;
        }

        if (p + prefixLength >= _s.Length || (_s[p + prefixLength] != '"' && _s[p + prefixLength] != '\''))
        {
            return false;
        }

        if (prefixLength == 0)
        {
            return true;
        }

        var prefix = _s.Substring(p, prefixLength).ToUpperInvariant();
        // The identifier must not continue before the prefix (e.g. "xr'...'" is a name then a string... which the
        // caller never asks about, since it only calls this at a token start).
        return prefix is "R" or "B" or "U" or "F" or "RB" or "BR" or "FR" or "RF";
    }

    /// <summary>Scans a string body starting at its opening quote; leaves <see cref="_pos"/> after the closing quote.</summary>
    private void ScanString(int quoteAt)
    {
        var prefixStart = _pos;
        var prefix = _s[prefixStart..quoteAt].ToUpperInvariant();
        var raw = prefix.Contains('R', StringComparison.Ordinal);
        var isF = prefix.Contains('F', StringComparison.Ordinal);
        _pos = ScanStringBody(quoteAt, raw, isF, prefixStart);
    }

    /// <summary>Returns the offset after the closing quote of the string whose opening quote is at <paramref name="q"/>.</summary>
    private int ScanStringBody(int q, bool raw, bool isF, int tokenStart)
    {
        var quote = _s[q];
        var triple = q + 2 < _s.Length && _s[q + 1] == quote && _s[q + 2] == quote;
        var p = q + (triple ? 3 : 1);
        while (p < _s.Length)
        {
            var c = _s[p];
            if (c == '\\')
            {
                if (isF && !raw && p + 2 < _s.Length && _s[p + 1] == 'N' && _s[p + 2] == '{')
                {
                    // \N{NAME} is an escape, not a replacement field.
                    var close = _s.IndexOf('}', p);
                    p = close < 0 ? _s.Length : close + 1;
                    continue;
                }

                // A backslash never escapes the brace of a replacement field.
                p += isF && p + 1 < _s.Length && _s[p + 1] is '{' or '}' ? 1 : 2;
                continue;
            }

            if (!triple && (c == '\n' || c == '\r'))
            {
                Error(tokenStart, "unterminated string literal");
                return p;
            }

            if (c == quote && (!triple || (p + 2 < _s.Length && _s[p + 1] == quote && _s[p + 2] == quote)))
            {
                return p + (triple ? 3 : 1);
            }

            if (isF && c == '{')
            {
                if (p + 1 < _s.Length && _s[p + 1] == '{')
                {
                    p += 2;
                    continue;
                }

                p = SkipReplacementField(p + 1, tokenStart);
                continue;
            }

            p++;
        }

        Error(tokenStart, triple ? "unterminated triple-quoted string literal" : "unterminated string literal");
        return _s.Length;
    }

    /// <summary>Skips an f-string replacement field body (after '{'); returns the offset after its closing '}'.</summary>
    private int SkipReplacementField(int p, int tokenStart)
    {
        var depth = 0;
        while (p < _s.Length)
        {
            var c = _s[p];
            if (c is '(' or '[' or '{')
            {
                depth++;
            }
            else if (c is ')' or ']')
            {
                depth--;
            }
            else if (c == '}')
            {
                if (depth == 0)
                {
                    return p + 1;
                }

                depth--;
            }
            else if (c == '#' && depth >= 0)
            {
                // Comments are only allowed in multi-line replacement fields (3.12); skip to the line end.
                while (p < _s.Length && _s[p] != '\n')
                {
                    p++;
                }

                continue;
            }
            else if (c is '"' or '\'' || (IsStringStartAt(p, out _)))
            {
                IsStringStartAt(p, out var pl);
                var prefix = _s.Substring(p, pl).ToUpperInvariant();
                p = ScanStringBody(p + pl, prefix.Contains('R', StringComparison.Ordinal), prefix.Contains('F', StringComparison.Ordinal), tokenStart);
                continue;
            }
            else if (c == ':' && depth == 0)
            {
                // Format spec: literal text with nested replacement fields, up to the closing brace.
                p++;
                while (p < _s.Length && _s[p] != '}')
                {
                    if (_s[p] == '{')
                    {
                        p = SkipReplacementField(p + 1, tokenStart);
                        continue;
                    }

                    if (_s[p] is '\n' or '\r' or '"' or '\'')
                    {
                        // A quote ends the enclosing string in pre-3.12 code; let the caller find it.
                        return p;
                    }

                    p++;
                }

                return Math.Min(p + 1, _s.Length);
            }

            p++;
        }

        return p;
    }

    private bool IsStringStartAt(int p, out int prefixLength)
    {
        prefixLength = 0;
        if (p > 0 && IsIdentifierPart(_s[p - 1]))
        {
            return false;
        }

        return IsStringStart(p, out prefixLength);
    }

    private void ScanNumber()
    {
        if (_s[_pos] == '0' && _pos + 1 < _s.Length && "xXoObB".Contains(_s[_pos + 1], StringComparison.Ordinal))
        {
            _pos += 2;
            while (_pos < _s.Length && (char.IsAsciiHexDigit(_s[_pos]) || _s[_pos] == '_'))
            {
                _pos++;
            }

            return;
        }

        Digits();
        if (_pos < _s.Length && _s[_pos] == '.')
        {
            _pos++;
            Digits();
        }

        if (_pos < _s.Length && (_s[_pos] == 'e' || _s[_pos] == 'E'))
        {
            var save = _pos;
            _pos++;
            if (_pos < _s.Length && (_s[_pos] == '+' || _s[_pos] == '-'))
            {
                _pos++;
            }

            if (_pos < _s.Length && char.IsAsciiDigit(_s[_pos]))
            {
                Digits();
            }
            else
            {
                _pos = save;
            }
        }

        if (_pos < _s.Length && (_s[_pos] == 'j' || _s[_pos] == 'J' || _s[_pos] == 'l' || _s[_pos] == 'L'))
        {
            _pos++;
        }

        void Digits()
        {
            while (_pos < _s.Length && (char.IsAsciiDigit(_s[_pos]) || _s[_pos] == '_'))
            {
                _pos++;
            }
        }
    }
}

/// <summary>PEP 263 / PEP 3120: the source encoding from a byte-order mark or a coding cookie; UTF-8 otherwise.</summary>
internal static class PySourceDecoder
{
    private static readonly System.Text.RegularExpressions.Regex Cookie = new(
        @"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    static PySourceDecoder()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
    }

    /// <summary>Decodes the bytes; <paramref name="problem"/> says why the declared encoding could not be honoured.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, out string encoding, out string? problem)
    {
        problem = null;
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            encoding = "utf-8-sig";
            return Strict(Encoding.UTF8, bytes[3..], ref problem);
        }

        encoding = "utf-8";
        // The cookie may only be on line 1 or 2.
        var lines = 0;
        var start = 0;
        for (var i = 0; i <= bytes.Length && lines < 2; i++)
        {
            if (i == bytes.Length || bytes[i] == (byte)'\n')
            {
                var line = Encoding.Latin1.GetString(bytes[start..i]);
                var m = Cookie.Match(line);
                if (m.Success)
                {
                    encoding = m.Groups[1].Value.ToLowerInvariant();
                    break;
                }

                if (line.Trim().Length > 0 && !line.TrimStart().StartsWith('#'))
                {
                    break;
                }

                lines++;
                start = i + 1;
            }
        }

        var normalized = encoding.Replace('_', '-');
        if (normalized.StartsWith("utf-8", StringComparison.Ordinal) || normalized == "utf8")
        {
            return Strict(Encoding.UTF8, bytes, ref problem);
        }

        Encoding? declared;
        try
        {
            declared = normalized switch
            {
                "latin-1" or "iso-latin-1" or "latin1" or "iso-8859-1" or "l1" => Encoding.Latin1,
                "ascii" or "us-ascii" => Encoding.Latin1,
                _ => Encoding.GetEncoding(normalized),
            };
        }
        catch (ArgumentException)
        {
            declared = null;
        }

        if (declared is null)
        {
            problem = $"unknown source encoding '{encoding}'; read as Latin-1";
            return Encoding.Latin1.GetString(bytes);
        }

        return declared.GetString(bytes);
    }

    private static string Strict(Encoding encoding, ReadOnlySpan<byte> bytes, ref string? problem)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            problem = "the file is not valid UTF-8; undecodable bytes were replaced";
            return encoding.GetString(bytes);
        }
    }
}
