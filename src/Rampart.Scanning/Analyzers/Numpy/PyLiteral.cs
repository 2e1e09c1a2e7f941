using System.Globalization;
using System.Text;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Numpy;

/// <summary>
/// A parser for the tiny subset of Python literals that .npy headers use (what <c>ast.literal_eval</c> would accept
/// there): strings, integers, True/False/None, tuples, lists and dicts. Never evaluates anything.
/// Values: string, long, bool, null, <see cref="PyTuple"/>, <see cref="PyList"/>, <see cref="PyDict"/>.
/// </summary>
internal sealed class PyLiteral
{
    private const int MaxDepth = 32;
    private readonly string _text;
    private int _position;

    private PyLiteral(string text) => _text = text;

    public static object? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new PyLiteral(text);
        var value = parser.Value(0);
        parser.SkipSpace();
        return parser._position == text.Length ? value : throw parser.Error("unexpected text after the literal");
    }

    private object? Value(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Error("literal nested too deeply");
        }

        SkipSpace();
        if (_position >= _text.Length)
        {
            throw Error("unexpected end of the literal");
        }

        var c = _text[_position];
        switch (c)
        {
            case '\'' or '"':
                return String();
            case '(':
                _position++;
                var (tupleItems, trailingComma) = Sequence(')', depth);
                // "(x)" is just x in Python; "(x,)" is a one-element tuple.
                return tupleItems.Count == 1 && !trailingComma ? tupleItems[0] : new PyTuple(tupleItems);
            case '[':
                _position++;
                return new PyList(Sequence(']', depth).Items);
            case '{':
                _position++;
                return Dict(depth);
            default:
                if (c is '-' or '+' || char.IsAsciiDigit(c))
                {
                    return Integer();
                }

                var word = Word();
                return word switch
                {
                    "True" => true,
                    "False" => false,
                    "None" => null,
                    _ => throw Error($"unsupported literal '{word}'"),
                };
        }
    }

    private (List<object?> Items, bool TrailingComma) Sequence(char close, int depth)
    {
        var items = new List<object?>();
        var trailingComma = false;
        while (true)
        {
            SkipSpace();
            if (Peek() == close)
            {
                _position++;
                return (items, trailingComma);
            }

            items.Add(Value(depth + 1));
            SkipSpace();
            trailingComma = false;
            if (Peek() == ',')
            {
                _position++;
                trailingComma = true;
            }
            else if (Peek() != close)
            {
                throw Error($"expected ',' or '{close}'");
            }
        }
    }

    private PyDict Dict(int depth)
    {
        var dict = new PyDict();
        while (true)
        {
            SkipSpace();
            if (Peek() == '}')
            {
                _position++;
                return dict;
            }

            var key = Value(depth + 1) as string ?? throw Error("only string keys are supported in a header dict");
            SkipSpace();
            if (Peek() != ':')
            {
                throw Error("expected ':'");
            }

            _position++;
            dict[key] = Value(depth + 1);
            SkipSpace();
            if (Peek() == ',')
            {
                _position++;
            }
            else if (Peek() != '}')
            {
                throw Error("expected ',' or '}'");
            }
        }
    }

    private string String()
    {
        var quote = _text[_position++];
        var result = new StringBuilder();
        while (_position < _text.Length)
        {
            var c = _text[_position++];
            if (c == quote)
            {
                return result.ToString();
            }

            if (c == '\\')
            {
                if (_position >= _text.Length)
                {
                    break;
                }

                var e = _text[_position++];
                result.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', _ => e });
                continue;
            }

            if (c == '\n')
            {
                break;
            }

            result.Append(c);
        }

        throw Error("unterminated string");
    }

    private long Integer()
    {
        var start = _position;
        if (_text[_position] is '-' or '+')
        {
            _position++;
        }

        while (_position < _text.Length && char.IsAsciiDigit(_text[_position]))
        {
            _position++;
        }

        var digits = _text[start.._position];
        // Python 2 wrote long integers with an 'L' suffix; numpy still accepts them in version 1.0 headers.
        if (Peek() is 'L' or 'l')
        {
            _position++;
        }

        return long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error($"integer '{digits}' is out of range");
    }

    private string Word()
    {
        var start = _position;
        while (_position < _text.Length && char.IsAsciiLetter(_text[_position]))
        {
            _position++;
        }

        return _text[start.._position];
    }

    private char Peek() => _position < _text.Length ? _text[_position] : '\0';

    private void SkipSpace()
    {
        while (_position < _text.Length && _text[_position] is ' ' or '\t' or '\n' or '\r')
        {
            _position++;
        }
    }

    private MalformedContentException Error(string what) => new($"bad .npy header literal: {what} at character {_position}");
}

internal sealed class PyTuple(List<object?> items) : List<object?>(items);

internal sealed class PyList(List<object?> items) : List<object?>(items);

internal sealed class PyDict() : Dictionary<string, object?>(StringComparer.Ordinal);
