using System.Globalization;
using System.Text;

namespace Rampart.Dependencies.Toml;

/// <summary>
/// A TOML 1.0 reader written for Rampart (no package offers one): a recursive-descent parser over the decoded text
/// that enforces the specification's rules on keys, tables and values, and reports line and column on failure.
/// Documents are untrusted: nesting depth and size are bounded.
/// </summary>
public static class TomlReader
{
    /// <summary>Deepest nesting of arrays and inline tables accepted.</summary>
    public const int MaxNesting = 128;

    /// <summary>Largest document accepted (characters).</summary>
    public const int MaxLength = 64 * 1024 * 1024;

    public static TomlTable Parse(ReadOnlySpan<byte> utf8)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(utf8);
        }
        catch (DecoderFallbackException e)
        {
            throw new TomlException($"the document is not valid UTF-8 ({e.Message})", 1, 1);
        }

        return Parse(text);
    }

    public static TomlTable Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            throw new TomlException($"the document is longer than {MaxLength:N0} characters", 1, 1);
        }

        // One byte-order mark may open the document (it is not part of it); another one anywhere is an error.
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        return new Parser(text).ParseDocument();
    }

    private sealed class Parser(string s)
    {
        private readonly HashSet<TomlArray> _staticArrays = new(ReferenceEqualityComparer.Instance);
        private readonly TomlLines _lines = new(s);
        private int _pos;
        private int _depth;

        private char Cur => _pos < s.Length ? s[_pos] : '\0';

        private bool AtEnd => _pos >= s.Length;

        private TomlException Error(string message, int? at = null)
        {
            var p = Math.Min(at ?? _pos, s.Length);
            var line = 1;
            var col = 1;
            for (var i = 0; i < p; i++)
            {
                if (s[i] == '\n')
                {
                    line++;
                    col = 1;
                }
                else
                {
                    col++;
                }
            }

            return new TomlException(message, line, col);
        }

        public TomlTable ParseDocument()
        {
            var root = new TomlTable { Origin = TableOrigin.Header, Position = 0, Lines = _lines };
            var current = root;
            while (true)
            {
                SkipWs();
                if (AtEnd)
                {
                    return root;
                }

                var c = Cur;
                if (c == '#')
                {
                    SkipComment();
                }
                else if (c is '\n' or '\r')
                {
                    Newline();
                    continue;
                }
                else if (c == '[')
                {
                    if (_pos + 1 < s.Length && s[_pos + 1] == '[')
                    {
                        _pos += 2;
                        var at = _pos;
                        var keys = ParseKey();
                        Expect(']');
                        if (Cur != ']')
                        {
                            throw Error("an array-of-tables header must end with ']]'");
                        }

                        _pos++;
                        current = AppendArrayTable(root, keys, at);
                    }
                    else
                    {
                        _pos++;
                        var at = _pos;
                        var keys = ParseKey();
                        Expect(']');
                        current = DefineTable(root, keys, at);
                    }
                }
                else
                {
                    ParseKeyValue(current);
                }

                EndOfLine();
            }
        }

        private void Expect(char c)
        {
            SkipWs();
            if (Cur != c)
            {
                throw Error(AtEnd ? $"expected '{c}' but the document ended" : $"expected '{c}' but found {Describe(Cur)}");
            }

            _pos++;
        }

        private static string Describe(char c) => c switch
        {
            '\n' => "the end of the line",
            '\r' => "a carriage return",
            '\0' => "the end of the document",
            _ when char.IsControl(c) => $"control character U+{(int)c:X4}",
            _ => $"'{c}'",
        };

        private void EndOfLine()
        {
            SkipWs();
            if (Cur == '#')
            {
                SkipComment();
            }

            if (AtEnd)
            {
                return;
            }

            if (Cur is not ('\n' or '\r'))
            {
                throw Error($"expected the end of the line but found {Describe(Cur)}");
            }

            Newline();
        }

        private void Newline()
        {
            if (Cur == '\n')
            {
                _pos++;
                return;
            }

            if (Cur == '\r' && _pos + 1 < s.Length && s[_pos + 1] == '\n')
            {
                _pos += 2;
                return;
            }

            throw Error("a carriage return must be followed by a line feed");
        }

        private void SkipWs()
        {
            while (Cur is ' ' or '\t')
            {
                _pos++;
            }
        }

        // Whitespace, newlines and comments, as allowed between array elements.
        private void SkipWsCommentsNewlines()
        {
            while (true)
            {
                SkipWs();
                if (Cur == '#')
                {
                    SkipComment();
                }
                else if (Cur is '\n' or '\r')
                {
                    Newline();
                }
                else
                {
                    return;
                }
            }
        }

        private void SkipComment()
        {
            _pos++; // '#'
            while (!AtEnd && Cur != '\n')
            {
                var c = Cur;
                if (c == '\r')
                {
                    if (_pos + 1 < s.Length && s[_pos + 1] == '\n')
                    {
                        return;
                    }

                    throw Error("a carriage return must be followed by a line feed");
                }

                if (IsForbiddenControl(c))
                {
                    throw Error($"control character U+{(int)c:X4} is not allowed in a comment");
                }

                _pos++;
            }
        }

        private static bool IsForbiddenControl(char c) => (c < 0x20 && c != '\t') || c == 0x7F;

        private List<string> ParseKey()
        {
            var parts = new List<string>();
            while (true)
            {
                SkipWs();
                parts.Add(ParseSimpleKey());
                SkipWs();
                if (Cur != '.')
                {
                    return parts;
                }

                _pos++;
            }
        }

        private string ParseSimpleKey()
        {
            var c = Cur;
            if (c == '"')
            {
                if (Peek("\"\"\""))
                {
                    throw Error("a key cannot be a multi-line string");
                }

                return ParseBasicString();
            }

            if (c == '\'')
            {
                if (Peek("'''"))
                {
                    throw Error("a key cannot be a multi-line string");
                }

                return ParseLiteralString();
            }

            var start = _pos;
            while (!AtEnd && (char.IsAsciiLetterOrDigit(Cur) || Cur is '_' or '-'))
            {
                _pos++;
            }

            if (_pos == start)
            {
                throw Error(AtEnd ? "expected a key but the document ended" : $"expected a key but found {Describe(c)}");
            }

            return s[start.._pos];
        }

        private bool Peek(string text) => string.CompareOrdinal(s, _pos, text, 0, text.Length) == 0;

        private void ParseKeyValue(TomlTable table)
        {
            var at = _pos;
            var keys = ParseKey();
            Expect('=');
            SkipWs();
            var value = ParseValue();
            var target = table;
            for (var i = 0; i < keys.Count - 1; i++)
            {
                if (target.TryGetValue(keys[i], out var existing))
                {
                    if (existing is not TomlTable t || t.Sealed || t.Origin != TableOrigin.Dotted)
                    {
                        throw Error($"cannot add keys to '{string.Join('.', keys.Take(i + 1))}': it is already defined", at);
                    }

                    target = t;
                }
                else
                {
                    var t = new TomlTable { Origin = TableOrigin.Dotted, Position = at, Lines = _lines };
                    target[keys[i]] = t;
                    (target.KeyPositions ??= new List<int>(4)).Add(at);
                    target = t;
                }
            }

            if (!target.TryAdd(keys[^1], value))
            {
                throw Error($"key '{string.Join('.', keys)}' is defined twice", at);
            }

            (target.KeyPositions ??= new List<int>(4)).Add(at);
            target.Lines = _lines;
        }

        private TomlTable Walk(TomlTable root, List<string> keys, int count, int at)
        {
            var target = root;
            for (var i = 0; i < count; i++)
            {
                if (!target.TryGetValue(keys[i], out var existing))
                {
                    var t = new TomlTable { Origin = TableOrigin.Implicit, Position = at, Lines = _lines };
                    target[keys[i]] = t;
                    (target.KeyPositions ??= new List<int>(4)).Add(at);
                    target = t;
                    continue;
                }

                target = existing switch
                {
                    TomlTable { Sealed: false } t => t,
                    TomlArray { IsArrayOfTables: true } a when !_staticArrays.Contains(a) && a.Count > 0 => (TomlTable)a[^1],
                    _ => throw Error($"'{string.Join('.', keys.Take(i + 1))}' is already defined as a value, not a table", at),
                };
            }

            return target;
        }

        private TomlTable DefineTable(TomlTable root, List<string> keys, int at)
        {
            var parent = Walk(root, keys, keys.Count - 1, at);
            var name = keys[^1];
            if (parent.TryGetValue(name, out var existing))
            {
                if (existing is TomlTable { Origin: TableOrigin.Implicit, Sealed: false } t)
                {
                    t.Origin = TableOrigin.Header;
                    t.Position = at;
                    return t;
                }

                throw Error($"table '{string.Join('.', keys)}' is defined twice", at);
            }

            var table = new TomlTable { Origin = TableOrigin.Header, Position = at, Lines = _lines };
            parent[name] = table;
            (parent.KeyPositions ??= new List<int>(4)).Add(at);
            return table;
        }

        private TomlTable AppendArrayTable(TomlTable root, List<string> keys, int at)
        {
            var parent = Walk(root, keys, keys.Count - 1, at);
            var name = keys[^1];
            var table = new TomlTable { Origin = TableOrigin.Value, Position = at, Lines = _lines };
            if (parent.TryGetValue(name, out var existing))
            {
                if (existing is TomlArray { IsArrayOfTables: true } a && !_staticArrays.Contains(a))
                {
                    a.Add(table);
                    a.ItemPositions?.Add(at);
                    return table;
                }

                throw Error($"'{string.Join('.', keys)}' is already defined and is not an array of tables", at);
            }

            parent[name] = new TomlArray { IsArrayOfTables = true, ItemPositions = [at], Lines = _lines }.With(table);
            (parent.KeyPositions ??= new List<int>(4)).Add(at);
            return table;
        }

        private object ParseValue()
        {
            var c = Cur;
            switch (c)
            {
                case '"':
                    return Peek("\"\"\"") ? ParseMultilineBasicString() : ParseBasicString();
                case '\'':
                    return Peek("'''") ? ParseMultilineLiteralString() : ParseLiteralString();
                case '[':
                    return ParseArray();
                case '{':
                    return ParseInlineTable();
                case 't' when Peek("true"):
                    _pos += 4;
                    return true;
                case 'f' when Peek("false"):
                    _pos += 5;
                    return false;
                default:
                    return ParseScalarToken();
            }
        }

        private TomlArray ParseArray()
        {
            var at = _pos;
            _pos++;
            Enter(at);
            var array = new TomlArray { ItemPositions = [], Lines = _lines };
            _staticArrays.Add(array);
            while (true)
            {
                SkipWsCommentsNewlines();
                if (Cur == ']')
                {
                    _pos++;
                    break;
                }

                if (AtEnd)
                {
                    throw Error("the array is not closed", at);
                }

                array.ItemPositions!.Add(_pos);
                array.Add(ParseValue());
                SkipWsCommentsNewlines();
                if (Cur == ',')
                {
                    _pos++;
                    continue;
                }

                if (Cur == ']')
                {
                    _pos++;
                    break;
                }

                throw Error(AtEnd ? "the array is not closed" : $"expected ',' or ']' in an array but found {Describe(Cur)}");
            }

            _depth--;
            return array;
        }

        private void Enter(int at)
        {
            if (++_depth > MaxNesting)
            {
                throw Error($"arrays and inline tables are nested more than {MaxNesting} deep", at);
            }
        }

        private TomlTable ParseInlineTable()
        {
            var at = _pos;
            _pos++;
            Enter(at);
            var table = new TomlTable { Origin = TableOrigin.Value, Position = at, Lines = _lines };
            SkipWs();
            if (Cur == '}')
            {
                _pos++;
            }
            else
            {
                while (true)
                {
                    SkipWs();
                    ParseKeyValue(table);
                    SkipWs();
                    if (Cur == ',')
                    {
                        _pos++;
                        SkipWs();
                        if (Cur == '}')
                        {
                            throw Error("an inline table cannot end with a comma");
                        }

                        continue;
                    }

                    if (Cur == '}')
                    {
                        _pos++;
                        break;
                    }

                    throw Error(AtEnd ? "the inline table is not closed" : $"expected ',' or '}}' in an inline table but found {Describe(Cur)}");
                }
            }

            SealAll(table);
            _depth--;
            return table;
        }

        private static void SealAll(TomlTable table)
        {
            table.Sealed = true;
            foreach (var v in table.Values)
            {
                if (v is TomlTable t)
                {
                    SealAll(t);
                }
            }
        }

        private string ParseBasicString()
        {
            var start = _pos;
            _pos++;
            var b = new StringBuilder();
            while (true)
            {
                if (AtEnd || Cur is '\n' or '\r')
                {
                    throw Error("the string is not closed on its line", start);
                }

                var c = Cur;
                if (c == '"')
                {
                    _pos++;
                    return b.ToString();
                }

                if (c == '\\')
                {
                    ParseEscape(b);
                    continue;
                }

                if (IsForbiddenControl(c))
                {
                    throw Error($"control character U+{(int)c:X4} must be escaped in a string");
                }

                b.Append(c);
                _pos++;
            }
        }

        private void ParseEscape(StringBuilder b)
        {
            var at = _pos;
            _pos++;
            var e = Cur;
            _pos++;
            switch (e)
            {
                case 'b': b.Append('\b'); break;
                case 't': b.Append('\t'); break;
                case 'n': b.Append('\n'); break;
                case 'f': b.Append('\f'); break;
                case 'r': b.Append('\r'); break;
                case '"': b.Append('"'); break;
                case '\\': b.Append('\\'); break;
                case 'u':
                case 'U':
                    var n = e == 'u' ? 4 : 8;
                    if (_pos + n > s.Length || HasNonHex(n))
                    {
                        throw Error($"\\{e} needs {n} hexadecimal digits", at);
                    }

                    var code = long.Parse(s.AsSpan(_pos, n), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                    if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
                    {
                        throw Error($"\\{e}{s.Substring(_pos, n)} is not a Unicode scalar value", at);
                    }

                    b.Append(char.ConvertFromUtf32((int)code));
                    _pos += n;
                    break;
                default:
                    throw Error(e == '\0' && _pos > s.Length ? "the string ends in an escape" : $"invalid escape '\\{e}'", at);
            }
        }

        private bool HasNonHex(int n)
        {
            for (var i = 0; i < n; i++)
            {
                if (!char.IsAsciiHexDigit(s[_pos + i]))
                {
                    return true;
                }
            }

            return false;
        }

        private string ParseLiteralString()
        {
            var start = _pos;
            _pos++;
            var from = _pos;
            while (true)
            {
                if (AtEnd || Cur is '\n' or '\r')
                {
                    throw Error("the string is not closed on its line", start);
                }

                var c = Cur;
                if (c == '\'')
                {
                    var value = s[from.._pos];
                    _pos++;
                    return value;
                }

                if (IsForbiddenControl(c))
                {
                    throw Error($"control character U+{(int)c:X4} is not allowed in a literal string");
                }

                _pos++;
            }
        }

        /// <summary>
        /// At a closing triple quote of <paramref name="quote"/>: up to two more quotes directly before it belong to
        /// the content, more than five in a row is an error.
        /// </summary>
        private bool TryCloseMultiline(char quote, StringBuilder b, out string value)
        {
            value = string.Empty;
            if (Cur != quote || !Peek(new string(quote, 3)))
            {
                return false;
            }

            var run = 0;
            while (_pos + run < s.Length && s[_pos + run] == quote)
            {
                run++;
            }

            if (run > 5)
            {
                throw Error("too many quotes at the end of a multi-line string");
            }

            b.Append(quote, run - 3);
            _pos += run;
            value = b.ToString();
            return true;
        }

        private string ParseMultilineBasicString()
        {
            var start = _pos;
            _pos += 3;
            SkipFirstNewline();
            var b = new StringBuilder();
            while (true)
            {
                if (AtEnd)
                {
                    throw Error("the multi-line string is not closed", start);
                }

                var c = Cur;
                if (TryCloseMultiline('"', b, out var basic))
                {
                    return basic;
                }

                if (c == '\\')
                {
                    // A line-ending backslash trims the newline and all whitespace that follows.
                    var look = _pos + 1;
                    while (look < s.Length && s[look] is ' ' or '\t')
                    {
                        look++;
                    }

                    if (look < s.Length && s[look] is '\n' or '\r')
                    {
                        _pos = look;
                        while (!AtEnd && Cur is ' ' or '\t' or '\n' or '\r')
                        {
                            if (Cur is '\n' or '\r')
                            {
                                Newline();
                            }
                            else
                            {
                                _pos++;
                            }
                        }

                        continue;
                    }

                    ParseEscape(b);
                    continue;
                }

                if (c is '\n' or '\r')
                {
                    Newline();
                    b.Append('\n');
                    continue;
                }

                if (IsForbiddenControl(c))
                {
                    throw Error($"control character U+{(int)c:X4} must be escaped in a string");
                }

                b.Append(c);
                _pos++;
            }
        }

        private void SkipFirstNewline()
        {
            if (Cur == '\n' || (Cur == '\r' && _pos + 1 < s.Length && s[_pos + 1] == '\n'))
            {
                Newline();
            }
        }

        private string ParseMultilineLiteralString()
        {
            var start = _pos;
            _pos += 3;
            SkipFirstNewline();
            var b = new StringBuilder();
            while (true)
            {
                if (AtEnd)
                {
                    throw Error("the multi-line string is not closed", start);
                }

                var c = Cur;
                if (TryCloseMultiline('\'', b, out var literal))
                {
                    return literal;
                }

                if (c is '\n' or '\r')
                {
                    Newline();
                    b.Append('\n');
                    continue;
                }

                if (IsForbiddenControl(c))
                {
                    throw Error($"control character U+{(int)c:X4} is not allowed in a literal string");
                }

                b.Append(c);
                _pos++;
            }
        }

        private object ParseScalarToken()
        {
            var start = _pos;
            while (!AtEnd && (char.IsAsciiLetterOrDigit(Cur) || Cur is '_' or '+' or '-' or '.' or ':'))
            {
                _pos++;
            }

            // A date may be followed by a space and a time.
            if (_pos - start == 10 && Cur == ' ' && _pos + 3 < s.Length && char.IsAsciiDigit(s[_pos + 1]) && char.IsAsciiDigit(s[_pos + 2]) && s[_pos + 3] == ':'
                && IsDateShape(s.AsSpan(start, 10)))
            {
                _pos++;
                while (!AtEnd && (char.IsAsciiLetterOrDigit(Cur) || Cur is '_' or '+' or '-' or '.' or ':'))
                {
                    _pos++;
                }
            }

            var token = s[start.._pos];
            if (token.Length == 0)
            {
                throw Error(AtEnd ? "expected a value but the document ended" : $"expected a value but found {Describe(Cur)}");
            }

            if (TomlScalars.TryDateTime(token, out var dt))
            {
                return dt;
            }

            if (TomlScalars.TryInteger(token, out var i))
            {
                return i;
            }

            return TomlScalars.TryFloat(token, out var f) ? f : throw Error($"'{token}' is not a valid TOML value", start);
        }

        private static bool IsDateShape(ReadOnlySpan<char> t) =>
            char.IsAsciiDigit(t[0]) && char.IsAsciiDigit(t[1]) && char.IsAsciiDigit(t[2]) && char.IsAsciiDigit(t[3]) && t[4] == '-' && t[7] == '-';
    }
}
