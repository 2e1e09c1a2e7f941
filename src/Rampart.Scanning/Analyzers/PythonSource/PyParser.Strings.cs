using System.Globalization;
using System.Text;

namespace Rampart.Scanning.Analyzers.PythonSource;

// PyParser, part: String literals: implicit concatenation, f-string replacement fields (parsed with the same parser) and escape sequences.
internal sealed partial class PyParser
{
    /// <summary>One or more adjacent string literals (implicit concatenation).</summary>
    private Expr ParseStrings()
    {
        var at = Pos.Of(Cur);
        var parts = new List<FStringPart>();
        var anyF = false;
        var bytes = false;
        while (Cur.Kind == TokenKind.String)
        {
            var t = Next();
            var text = t.Text;
            var prefixLength = 0;
            while (prefixLength < text.Length && text[prefixLength] is not ('"' or '\''))
            {
                prefixLength++;
            }

            var prefix = text[..prefixLength].ToUpperInvariant();
            var raw = prefix.Contains('R', StringComparison.Ordinal);
            bytes |= prefix.Contains('B', StringComparison.Ordinal);
            var quote = text[prefixLength];
            var triple = text.Length >= prefixLength + 6 && text[prefixLength + 1] == quote && text[prefixLength + 2] == quote;
            var q = triple ? 3 : 1;
            var bodyStart = prefixLength + q;
            var bodyEnd = text.Length - q;
            if (bodyEnd < bodyStart || text.Length < prefixLength + (2 * q) || text[^1] != quote)
            {
                throw Fail("unterminated string");
            }

            if (prefix.Contains('F', StringComparison.Ordinal))
            {
                anyF = true;
                foreach (var (start, end, isExpression) in PyTokenizer.SplitFString(_source, t.Start + bodyStart, t.Start + bodyEnd, raw))
                {
                    if (isExpression)
                    {
                        parts.Add(new FStringPart(null, ParseEmbedded(start, end)));
                    }
                    else
                    {
                        parts.Add(new FStringPart(Unescape(_source[start..end].Replace("{{", "{", StringComparison.Ordinal).Replace("}}", "}", StringComparison.Ordinal), raw), null));
                    }
                }
            }
            else
            {
                parts.Add(new FStringPart(Unescape(text[bodyStart..bodyEnd], raw), null));
            }
        }

        if (!anyF)
        {
            return new ConstantExpr(at, bytes ? "bytes" : "str", string.Concat(parts.Select(p => p.Constant)));
        }

        return new FStringExpr(at, parts);
    }

    /// <summary>Parses the expression of an f-string replacement field with the same parser.</summary>
    private Expr ParseEmbedded(int start, int end)
    {
        var (tokens, errors) = PyTokenizer.TokenizeExpression(_source, _lineStarts, start, end);
        if (errors.Count > 0)
        {
            throw new ParseFailure(errors[0]);
        }

        var savedTokens = _t;
        var savedIndex = _i;
        _t = tokens;
        _i = 0;
        try
        {
            var e = ParseTestList(allowStar: true, allowYield: true);
            if (Cur.Kind != TokenKind.EndOfFile)
            {
                throw Fail("unexpected text in f-string replacement field");
            }

            return e;
        }
        finally
        {
            _t = savedTokens;
            _i = savedIndex;
        }
    }

    /// <summary>The value of a string body: escapes resolved unless raw (unknown escapes stay as written).</summary>
    internal static string Unescape(string body, bool raw)
    {
        if (raw || !body.Contains('\\', StringComparison.Ordinal))
        {
            return body;
        }

        var sb = new StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c != '\\' || i + 1 >= body.Length)
            {
                sb.Append(c);
                continue;
            }

            var e = body[++i];
            switch (e)
            {
                case '\n':
                    break;
                case '\r':
                    if (i + 1 < body.Length && body[i + 1] == '\n')
                    {
                        i++;
                    }

                    break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '0' or '1' or '2' or '3' or '4' or '5' or '6' or '7':
                {
                    var n = 0;
                    var k = 0;
                    while (k < 3 && i + k < body.Length && body[i + k] is >= '0' and <= '7')
                    {
                        n = (n * 8) + (body[i + k] - '0');
                        k++;
                    }

                    sb.Append((char)n);
                    i += k - 1;
                    break;
                }

                case 'x' when i + 2 < body.Length && int.TryParse(body.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var x):
                    sb.Append((char)x);
                    i += 2;
                    break;
                case 'u' when i + 4 < body.Length && int.TryParse(body.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var u):
                    sb.Append((char)u);
                    i += 4;
                    break;
                case 'U' when i + 8 < body.Length && int.TryParse(body.AsSpan(i + 1, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var u8) && u8 <= 0x10FFFF:
                    sb.Append(char.ConvertFromUtf32(u8 is >= 0xD800 and <= 0xDFFF ? 0xFFFD : u8));
                    i += 8;
                    break;
                case '\\' or '\'' or '"':
                    sb.Append(e);
                    break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                default:
                    sb.Append('\\').Append(e);
                    break;
            }
        }

        return sb.ToString();
    }
}
