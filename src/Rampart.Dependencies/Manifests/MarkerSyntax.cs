namespace Rampart.Dependencies.Manifests;

/// <summary>
/// Checks the grammar of a PEP 508 environment marker ("python_version &lt; '3.8' and sys_platform == 'linux'"),
/// with the variables today's packaging (and so pip) accepts. Markers are not evaluated: Rampart audits a pin
/// whatever platform it is for, but a marker pip would reject makes the whole line unreadable, so it is reported
/// rather than audited as if it applied. Hand-written: a tokenizer of a few dozen lines over a short string, no
/// library reads PEP 508 markers in .NET.
/// </summary>
internal static class MarkerSyntax
{
    /// <summary>Longest marker read; a longer one is refused (markers are a few dozen characters).</summary>
    public const int MaxLength = 4096;

    private const int MaxDepth = 32;

    private static readonly HashSet<string> Variables = new(StringComparer.Ordinal)
    {
        "python_version", "python_full_version", "os_name", "os.name", "sys_platform", "sys.platform",
        "platform_release", "platform_system", "platform_version", "platform.version", "platform_machine",
        "platform.machine", "platform_python_implementation", "platform.python_implementation", "python_implementation",
        "implementation_name", "implementation_version", "extra", "extras", "dependency_groups",
    };

    private static readonly string[] Operators = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"];

    public static bool TryValidate(string marker, out string error)
    {
        ArgumentNullException.ThrowIfNull(marker);
        if (marker.Length > MaxLength)
        {
            error = $"longer than {MaxLength} characters";
            return false;
        }

        var parser = new Parser(marker);
        try
        {
            parser.Or(0);
            parser.SkipSpace();
            if (!parser.AtEnd)
            {
                throw new FormatException($"unexpected '{parser.Rest}'");
            }

            error = "";
            return true;
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }
    }

    private sealed class Parser(string text)
    {
        private int _at;

        public bool AtEnd => _at >= text.Length;

        public string Rest => text[_at..].Length > 40 ? text[_at..(_at + 40)] + "..." : text[_at..];

        public void SkipSpace()
        {
            while (_at < text.Length && text[_at] is ' ' or '\t')
            {
                _at++;
            }
        }

        public void Or(int depth)
        {
            And(depth);
            while (Keyword("or"))
            {
                And(depth);
            }
        }

        private void And(int depth)
        {
            Expression(depth);
            while (Keyword("and"))
            {
                Expression(depth);
            }
        }

        private void Expression(int depth)
        {
            SkipSpace();
            if (_at < text.Length && text[_at] == '(')
            {
                if (depth >= MaxDepth)
                {
                    throw new FormatException($"parentheses nested more than {MaxDepth} deep");
                }

                _at++;
                Or(depth + 1);
                SkipSpace();
                if (_at >= text.Length || text[_at] != ')')
                {
                    throw new FormatException("a '(' is not closed");
                }

                _at++;
                return;
            }

            Operand();
            Operator();
            Operand();
        }

        private void Operand()
        {
            SkipSpace();
            if (_at >= text.Length)
            {
                throw new FormatException("the marker ends where a variable or a quoted string should be");
            }

            var quote = text[_at];
            if (quote is '\'' or '"')
            {
                var end = text.IndexOf(quote, _at + 1);
                if (end < 0)
                {
                    throw new FormatException("a quoted string is not closed");
                }

                _at = end + 1;
                return;
            }

            var start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] is '_' or '.'))
            {
                _at++;
            }

            var name = text[start.._at];
            if (!Variables.Contains(name))
            {
                throw new FormatException(name.Length == 0 ? $"expected a variable or a quoted string at '{Rest}'" : $"'{name}' is not a marker variable");
            }
        }

        private void Operator()
        {
            SkipSpace();
            foreach (var op in Operators)
            {
                if (string.CompareOrdinal(text, _at, op, 0, op.Length) == 0)
                {
                    _at += op.Length;
                    return;
                }
            }

            if (Keyword("in"))
            {
                return;
            }

            if (Keyword("not"))
            {
                if (Keyword("in"))
                {
                    return;
                }

                throw new FormatException("'not' must be followed by 'in'");
            }

            throw new FormatException(AtEnd ? "the marker ends where a comparison operator should be" : $"expected a comparison operator at '{Rest}'");
        }

        // A keyword followed by a space, a quote or a parenthesis (so "orange" is not "or").
        private bool Keyword(string word)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _at, word, 0, word.Length) != 0)
            {
                return false;
            }

            var after = _at + word.Length;
            if (after < text.Length && (char.IsAsciiLetterOrDigit(text[after]) || text[after] is '_' or '.'))
            {
                return false;
            }

            _at = after;
            return true;
        }
    }
}
