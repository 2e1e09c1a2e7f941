using System.Globalization;
using System.Text;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Gguf.Jinja;

/// <summary>A template that Jinja itself would refuse to compile, with the position of the problem.</summary>
internal sealed class JinjaSyntaxException(string message, int line, int column) : MalformedContentException(message)
{
    public int Line { get; } = line;

    public int Column { get; } = column;
}

internal enum JinjaTokenKind
{
    Data,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

/// <summary>One token. <see cref="Text"/> is the name, operator or decoded string value; <see cref="Number"/> holds numbers.</summary>
internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Text, int Line, int Column, double Number = 0, long Integer = 0)
{
    public bool Is(JinjaTokenKind kind, string text) => Kind == kind && Text == text;

    public bool IsName(string name) => Kind == JinjaTokenKind.Name && Text == name;

    public bool IsOp(string op) => Kind == JinjaTokenKind.Operator && Text == op;

    public override string ToString() => Kind switch
    {
        JinjaTokenKind.End => "end of template",
        JinjaTokenKind.VariableEnd => "'}}'",
        JinjaTokenKind.BlockEnd => "'%}'",
        JinjaTokenKind.String => "string",
        _ => $"'{Text}'",
    };
}

/// <summary>
/// Splits a template into tokens with Jinja2's default delimiters: <c>{{ }}</c>, <c>{% %}</c>, <c>{# #}</c>, the
/// <c>-</c>/<c>+</c> whitespace-control marks and <c>{% raw %}</c> sections. Like Jinja, an end delimiter only closes
/// a tag when the brackets inside it are balanced.
/// </summary>
internal static class JinjaLexer
{
    /// <summary>Longest template accepted, in characters.</summary>
    public const int MaxTemplateChars = 4 * 1024 * 1024;

    /// <summary>Most tokens produced for one template.</summary>
    public const int MaxTokens = 2_000_000;

    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", ".", ",", ":", "|", "(", ")", "[", "]", "{", "}", ";"];

    public static List<JinjaToken> Tokenize(string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Length > MaxTemplateChars)
        {
            throw new JinjaSyntaxException($"the template has {source.Length:N0} characters (limit {MaxTemplateChars:N0})", 1, 1);
        }

        var tokens = new List<JinjaToken>();
        var lexer = new State(source);
        while (lexer.Pos < source.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (tokens.Count > MaxTokens)
            {
                throw new JinjaSyntaxException($"the template has more than {MaxTokens:N0} tokens", lexer.Line, lexer.Column);
            }

            var next = FindTagStart(source, lexer.Pos);
            if (next < 0)
            {
                tokens.Add(lexer.Token(JinjaTokenKind.Data, source[lexer.Pos..]));
                lexer.Advance(source.Length - lexer.Pos);
                break;
            }

            if (next > lexer.Pos)
            {
                tokens.Add(lexer.Token(JinjaTokenKind.Data, source[lexer.Pos..next]));
                lexer.Advance(next - lexer.Pos);
            }

            var kind = source[lexer.Pos + 1];
            if (kind == '#')
            {
                var end = source.IndexOf("#}", lexer.Pos + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw lexer.Error("a comment '{#' is never closed");
                }

                lexer.Advance(end + 2 - lexer.Pos);
                continue;
            }

            if (kind == '%' && TryRaw(source, lexer, tokens))
            {
                continue;
            }

            var (line, column) = (lexer.Line, lexer.Column);
            lexer.Advance(2);
            if (lexer.Pos < source.Length && source[lexer.Pos] is '-' or '+')
            {
                lexer.Advance(1);
            }

            tokens.Add(new JinjaToken(kind == '{' ? JinjaTokenKind.VariableBegin : JinjaTokenKind.BlockBegin, kind == '{' ? "{{" : "{%", line, column));
            LexTag(source, lexer, tokens, kind == '{' ? "}}" : "%}", cancellationToken);
        }

        tokens.Add(lexer.Token(JinjaTokenKind.End, ""));
        return tokens;
    }

    private static int FindTagStart(string source, int from)
    {
        for (var i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
        {
            if (source[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Handles <c>{% raw %}...{% endraw %}</c>: everything between is text.</summary>
    private static bool TryRaw(string source, State lexer, List<JinjaToken> tokens)
    {
        var p = lexer.Pos + 2;
        if (p < source.Length && source[p] is '-' or '+')
        {
            p++;
        }

        while (p < source.Length && char.IsWhiteSpace(source[p]))
        {
            p++;
        }

        if (string.CompareOrdinal(source, p, "raw", 0, 3) != 0)
        {
            return false;
        }

        p += 3;
        while (p < source.Length && char.IsWhiteSpace(source[p]))
        {
            p++;
        }

        if (p < source.Length && source[p] == '-')
        {
            p++;
        }

        if (string.CompareOrdinal(source, p, "%}", 0, 2) != 0)
        {
            return false;
        }

        var bodyStart = p + 2;
        for (var search = bodyStart; ;)
        {
            var open = source.IndexOf("{%", search, StringComparison.Ordinal);
            if (open < 0)
            {
                throw lexer.Error("'{% raw %}' is never closed by '{% endraw %}'");
            }

            var q = open + 2;
            if (q < source.Length && source[q] is '-' or '+')
            {
                q++;
            }

            while (q < source.Length && char.IsWhiteSpace(source[q]))
            {
                q++;
            }

            if (string.CompareOrdinal(source, q, "endraw", 0, 6) == 0)
            {
                q += 6;
                while (q < source.Length && char.IsWhiteSpace(source[q]))
                {
                    q++;
                }

                if (q < source.Length && source[q] == '-')
                {
                    q++;
                }

                if (string.CompareOrdinal(source, q, "%}", 0, 2) == 0)
                {
                    lexer.Advance(bodyStart - lexer.Pos);
                    tokens.Add(lexer.Token(JinjaTokenKind.Data, source[bodyStart..open]));
                    lexer.Advance(q + 2 - lexer.Pos);
                    return true;
                }
            }

            search = open + 2;
        }
    }

    private static void LexTag(string source, State lexer, List<JinjaToken> tokens, string end, CancellationToken cancellationToken)
    {
        var balance = new Stack<char>();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            while (lexer.Pos < source.Length && char.IsWhiteSpace(source[lexer.Pos]))
            {
                lexer.Advance(1);
            }

            if (lexer.Pos >= source.Length)
            {
                throw lexer.Error($"the tag is never closed by '{end}'");
            }

            if (balance.Count == 0)
            {
                var p = lexer.Pos;
                if (source[p] is '-' or '+' && string.CompareOrdinal(source, p + 1, end, 0, 2) == 0)
                {
                    p++;
                }

                if (string.CompareOrdinal(source, p, end, 0, 2) == 0)
                {
                    tokens.Add(lexer.Token(end == "}}" ? JinjaTokenKind.VariableEnd : JinjaTokenKind.BlockEnd, end));
                    lexer.Advance(p + 2 - lexer.Pos);
                    return;
                }
            }

            var c = source[lexer.Pos];
            if (char.IsLetter(c) || c == '_')
            {
                var start = lexer.Pos;
                var q = start;
                while (q < source.Length && (char.IsLetterOrDigit(source[q]) || source[q] == '_'))
                {
                    q++;
                }

                tokens.Add(lexer.Token(JinjaTokenKind.Name, source[start..q]));
                lexer.Advance(q - start);
            }
            else if (char.IsAsciiDigit(c))
            {
                LexNumber(source, lexer, tokens);
            }
            else if (c is '\'' or '"')
            {
                LexString(source, lexer, tokens);
            }
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(source, lexer.Pos, o, 0, o.Length) == 0)
                    ?? throw lexer.Error($"unexpected character '{c}'");
                if (op is "(" or "[" or "{")
                {
                    balance.Push(op[0]);
                }
                else if (op is ")" or "]" or "}")
                {
                    var expected = op switch { ")" => '(', "]" => '[', _ => '{' };
                    if (balance.Count == 0 || balance.Pop() != expected)
                    {
                        throw lexer.Error($"unexpected '{op}'");
                    }
                }

                tokens.Add(lexer.Token(JinjaTokenKind.Operator, op));
                lexer.Advance(op.Length);
            }
        }
    }

    private static void LexNumber(string source, State lexer, List<JinjaToken> tokens)
    {
        var start = lexer.Pos;
        var q = start;
        if (source[q] == '0' && q + 1 < source.Length && source[q + 1] is 'x' or 'X' or 'o' or 'O' or 'b' or 'B')
        {
            var radix = char.ToLowerInvariant(source[q + 1]) switch { 'x' => 16, 'o' => 8, _ => 2 };
            q += 2;
            var digitsStart = q;
            while (q < source.Length && (Uri.IsHexDigit(source[q]) || source[q] == '_'))
            {
                q++;
            }

            var digits = source[digitsStart..q].Replace("_", "", StringComparison.Ordinal);
            long value;
            try
            {
                value = digits.Length == 0 ? throw lexer.Error("a number has no digits") : Convert.ToInt64(digits, radix);
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                throw lexer.Error($"invalid number '{source[start..q]}'");
            }

            tokens.Add(lexer.Token(JinjaTokenKind.Integer, source[start..q]) with { Integer = value, Number = value });
            lexer.Advance(q - start);
            return;
        }

        while (q < source.Length && (char.IsAsciiDigit(source[q]) || source[q] == '_'))
        {
            q++;
        }

        var isFloat = false;
        if (q + 1 < source.Length && source[q] == '.' && char.IsAsciiDigit(source[q + 1]))
        {
            isFloat = true;
            q++;
            while (q < source.Length && (char.IsAsciiDigit(source[q]) || source[q] == '_'))
            {
                q++;
            }
        }

        if (q < source.Length && source[q] is 'e' or 'E')
        {
            var e = q + 1;
            if (e < source.Length && source[e] is '+' or '-')
            {
                e++;
            }

            if (e < source.Length && char.IsAsciiDigit(source[e]))
            {
                isFloat = true;
                q = e;
                while (q < source.Length && char.IsAsciiDigit(source[q]))
                {
                    q++;
                }
            }
        }

        var text = source[start..q].Replace("_", "", StringComparison.Ordinal);
        if (isFloat)
        {
            tokens.Add(lexer.Token(JinjaTokenKind.Float, source[start..q]) with { Number = double.Parse(text, CultureInfo.InvariantCulture) });
        }
        else
        {
            var value = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : long.MaxValue;
            tokens.Add(lexer.Token(JinjaTokenKind.Integer, source[start..q]) with { Integer = value, Number = value });
        }

        lexer.Advance(q - start);
    }

    private static void LexString(string source, State lexer, List<JinjaToken> tokens)
    {
        var quote = source[lexer.Pos];
        var q = lexer.Pos + 1;
        var value = new StringBuilder();
        while (true)
        {
            if (q >= source.Length)
            {
                throw lexer.Error("a string is never closed");
            }

            var c = source[q];
            if (c == quote)
            {
                q++;
                break;
            }

            if (c != '\\' || q + 1 >= source.Length)
            {
                value.Append(c);
                q++;
                continue;
            }

            var e = source[q + 1];
            q += 2;
            switch (e)
            {
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case '0': value.Append('\0'); break;
                case 'a': value.Append('\a'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case 'v': value.Append('\v'); break;
                case '\\': value.Append('\\'); break;
                case '\'': value.Append('\''); break;
                case '"': value.Append('"'); break;
                case '\n': break;
                case 'x' or 'u' or 'U':
                    var width = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (q + width > source.Length || !int.TryParse(source.AsSpan(q, width), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code) || code > 0x10FFFF)
                    {
                        throw lexer.Error($"invalid \\{e} escape in a string");
                    }

                    value.Append(char.ConvertFromUtf32(code is >= 0xD800 and <= 0xDFFF ? 0xFFFD : code));
                    q += width;
                    break;
                default:
                    value.Append('\\').Append(e);
                    break;
            }
        }

        tokens.Add(lexer.Token(JinjaTokenKind.String, value.ToString()));
        lexer.Advance(q - lexer.Pos);
    }

    /// <summary>Position tracking (1-based line and column).</summary>
    private sealed class State(string source)
    {
        public int Pos { get; private set; }

        public int Line { get; private set; } = 1;

        public int Column { get; private set; } = 1;

        public void Advance(int count)
        {
            for (var i = 0; i < count; i++)
            {
                if (source[Pos + i] == '\n')
                {
                    Line++;
                    Column = 1;
                }
                else
                {
                    Column++;
                }
            }

            Pos += count;
        }

        public JinjaToken Token(JinjaTokenKind kind, string text) => new(kind, text, Line, Column);

        public JinjaSyntaxException Error(string message) => new(message, Line, Column);
    }
}
