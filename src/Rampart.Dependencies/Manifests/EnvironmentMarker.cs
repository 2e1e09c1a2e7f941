using System.Collections.Immutable;
using System.Globalization;
using Rampart.Core.Policy;
using Rampart.Dependencies.Pep440;

namespace Rampart.Dependencies.Manifests;

/// <summary>
/// A PEP 508 environment marker ("python_version &lt; '3.8' and sys_platform == 'linux'"), parsed with the variables
/// today's packaging (and so pip) accepts, and evaluated against a <see cref="MarkerEnvironment"/> in three values:
/// true (the requirement applies), false (it does not), or undecided (a variable the target does not fix, or a
/// comparison packaging itself cannot make). Hand-written: a tokenizer of a few dozen lines over a short string, no
/// library reads PEP 508 markers in .NET. The one marker implementation of Rampart: requirements files, pyproject and
/// every lockfile reader validate with it, and the audit evaluates with it.
/// </summary>
public sealed class EnvironmentMarker
{
    /// <summary>Longest marker read; a longer one is refused (markers are a few dozen characters).</summary>
    public const int MaxLength = 4096;

    private const int MaxDepth = 32;

    // The dotted and old names packaging still accepts, by the name they stand for.
    private static readonly ImmutableDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["os.name"] = "os_name",
        ["sys.platform"] = "sys_platform",
        ["platform.version"] = "platform_version",
        ["platform.machine"] = "platform_machine",
        ["platform.python_implementation"] = "platform_python_implementation",
        ["python_implementation"] = "platform_python_implementation",
    }.ToImmutableDictionary(StringComparer.Ordinal);

    private static readonly string[] Operators = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"];

    private readonly Node _root;

    private EnvironmentMarker(string text, Node root)
    {
        Text = text;
        _root = root;
    }

    /// <summary>The marker as written.</summary>
    public string Text { get; }

    /// <summary>Parses a marker; on failure <paramref name="error"/> says what is wrong, in words.</summary>
    public static bool TryParse(string marker, out EnvironmentMarker parsed, out string error)
    {
        ArgumentNullException.ThrowIfNull(marker);
        parsed = null!;
        if (marker.Length > MaxLength)
        {
            error = $"longer than {MaxLength} characters";
            return false;
        }

        var parser = new Parser(marker);
        try
        {
            var root = parser.Or(0);
            parser.SkipSpace();
            if (!parser.AtEnd)
            {
                throw new FormatException($"unexpected '{parser.Rest}'");
            }

            parsed = new EnvironmentMarker(marker, root);
            error = "";
            return true;
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>Checks the grammar only.</summary>
    public static bool TryValidate(string marker, out string error) => TryParse(marker, out _, out error);

    /// <summary>
    /// True or false when <paramref name="environment"/> decides the marker; null when it does not (a variable it
    /// leaves open and on which the outcome depends, or a comparison packaging cannot make, such as '~=' on a value
    /// that is no version). "and"/"or" follow three-valued logic: false and anything is false, true or anything is true.
    /// </summary>
    public bool? Evaluate(MarkerEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return Evaluate(_root, environment);
    }

    /// <summary>The canonical variable name ("sys.platform" is "sys_platform"); null for a name that is no marker variable.</summary>
    public static string? CanonicalVariable(string name) =>
        Aliases.TryGetValue(name, out var canonical) ? canonical : ScanPolicy.MarkerVariables.Contains(name) ? name : null;

    private static bool? Evaluate(Node node, MarkerEnvironment environment)
    {
        switch (node)
        {
            case Junction junction:
                // "and": one false part decides false; "or": one true part decides true. Otherwise the junction is the
                // other value only when every part is; an undecided part leaves it undecided.
                var deciding = !junction.IsAnd;
                var allOther = true;
                foreach (var part in junction.Parts)
                {
                    var value = Evaluate(part, environment);
                    if (value == deciding)
                    {
                        return deciding;
                    }

                    allOther &= value == !deciding;
                }

                return allOther ? !deciding : null;
            case Comparison c:
                var left = c.Left.Variable is { } lv ? environment.Get(lv) : c.Left.Literal;
                var right = c.Right.Variable is { } rv ? environment.Get(rv) : c.Right.Literal;
                if (left is null || right is null)
                {
                    return null;
                }

                if (c.Left.Variable == "extra" || c.Right.Variable == "extra")
                {
                    // packaging compares extra names normalized (PEP 685).
                    left = PackageName.Normalize(left);
                    right = PackageName.Normalize(right);
                }

                return Compare(left, c.Operator, right);
            default:
                return null;
        }
    }

    /// <summary>As packaging's _eval_op: a version comparison where "op right" is a PEP 440 clause, else strings.</summary>
    private static bool? Compare(string left, string op, string right)
    {
        if (op is not ("in" or "not in") && VersionSpecifier.TryParse(op + right, out var clause))
        {
            // packaging: Specifier(op + rhs).contains(lhs, prereleases=True); a left side that is no version cannot be compared.
            return op == "===" || PythonVersion.TryParse(left, out _) ? clause.Contains(left) : null;
        }

        return op switch
        {
            "in" => right.Contains(left, StringComparison.Ordinal),
            "not in" => !right.Contains(left, StringComparison.Ordinal),
            "==" => string.Equals(left, right, StringComparison.Ordinal),
            "!=" => !string.Equals(left, right, StringComparison.Ordinal),
            "<" => string.CompareOrdinal(left, right) < 0,
            "<=" => string.CompareOrdinal(left, right) <= 0,
            ">" => string.CompareOrdinal(left, right) > 0,
            ">=" => string.CompareOrdinal(left, right) >= 0,
            _ => null, // '~=' or '===' between strings that are no versions: packaging raises UndefinedComparison.
        };
    }

    private abstract record Node;

    private sealed record Junction(bool IsAnd, IReadOnlyList<Node> Parts) : Node;

    private sealed record Comparison(Operand Left, string Operator, Operand Right) : Node;

    private sealed record Operand(string? Variable, string? Literal);

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

        public Node Or(int depth)
        {
            var parts = new List<Node> { And(depth) };
            while (Keyword("or"))
            {
                parts.Add(And(depth));
            }

            return parts.Count == 1 ? parts[0] : new Junction(false, parts);
        }

        private Node And(int depth)
        {
            var parts = new List<Node> { Expression(depth) };
            while (Keyword("and"))
            {
                parts.Add(Expression(depth));
            }

            return parts.Count == 1 ? parts[0] : new Junction(true, parts);
        }

        private Node Expression(int depth)
        {
            SkipSpace();
            if (_at < text.Length && text[_at] == '(')
            {
                if (depth >= MaxDepth)
                {
                    throw new FormatException($"parentheses nested more than {MaxDepth} deep");
                }

                _at++;
                var inner = Or(depth + 1);
                SkipSpace();
                if (_at >= text.Length || text[_at] != ')')
                {
                    throw new FormatException("a '(' is not closed");
                }

                _at++;
                return inner;
            }

            var left = Operand();
            var op = Operator();
            var right = Operand();
            return new Comparison(left, op, right);
        }

        private Operand Operand()
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

                var literal = text[(_at + 1)..end];
                _at = end + 1;
                return new Operand(null, literal);
            }

            var start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] is '_' or '.'))
            {
                _at++;
            }

            var name = text[start.._at];
            return CanonicalVariable(name) is { } variable
                ? new Operand(variable, null)
                : throw new FormatException(name.Length == 0 ? $"expected a variable or a quoted string at '{Rest}'" : $"'{name}' is not a marker variable");
        }

        private string Operator()
        {
            SkipSpace();
            foreach (var op in Operators)
            {
                if (string.CompareOrdinal(text, _at, op, 0, op.Length) == 0)
                {
                    _at += op.Length;
                    return op;
                }
            }

            if (Keyword("in"))
            {
                return "in";
            }

            if (Keyword("not"))
            {
                if (Keyword("in"))
                {
                    return "not in";
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

/// <summary>
/// The environment markers are evaluated against: the variables the audit's target fixes (policy
/// dependencies.target). A variable it leaves out is open, so a marker that
/// depends on it is undecided and its requirement is audited. python_version is derived from python_full_version.
/// </summary>
public sealed class MarkerEnvironment
{
    private readonly ImmutableDictionary<string, string> _values;

    private MarkerEnvironment(ImmutableDictionary<string, string> values) => _values = values;

    /// <summary>Fixes nothing: every marker that names a variable is undecided.</summary>
    public static MarkerEnvironment Open { get; } = new(ImmutableDictionary<string, string>.Empty);

    /// <summary>True when no variable is fixed.</summary>
    public bool IsOpen => _values.IsEmpty;

    /// <summary>The fixed variables, by canonical name.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>From variable names (canonical or dotted aliases) to values; a name that is no marker variable is refused.</summary>
    public static MarkerEnvironment From(IEnumerable<KeyValuePair<string, string>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var builder = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            var canonical = EnvironmentMarker.CanonicalVariable(name)
                ?? throw new ArgumentException($"'{name}' is not a PEP 508 marker variable", nameof(values));
            builder[canonical] = value;
        }

        if (builder.TryGetValue("python_full_version", out var full) && !builder.ContainsKey("python_version")
            && PythonVersion.TryParse(full, out var parsed) && parsed.Release.Length >= 2)
        {
            builder["python_version"] = string.Create(CultureInfo.InvariantCulture, $"{parsed.Release[0]}.{parsed.Release[1]}");
        }

        return new MarkerEnvironment(builder.ToImmutable());
    }

    /// <summary>The marker variables whose values are versions (checked as PEP 440 versions when given on the command line).</summary>
    private static readonly string[] VersionVariables = ["python_version", "python_full_version", "implementation_version"];

    /// <summary>
    /// Reads a target written on the command line (rampart audit --target): "name=value" assignments separated by commas,
    /// in one or several texts ("python_version=3.11,sys_platform=linux"). The names are those of the policy's
    /// dependencies.target (packaging's canonical marker variables); a version variable must hold a PEP 440 version.
    /// False with a message naming the first bad assignment: no "=", an unknown variable, an empty value, a version that
    /// does not parse, or one variable given two different values.
    /// </summary>
    public static bool TryParseAssignments(IEnumerable<string> texts, out ImmutableDictionary<string, string> values, out string error)
    {
        ArgumentNullException.ThrowIfNull(texts);
        values = ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);
        var builder = values.ToBuilder();
        foreach (var text in texts)
        {
            foreach (var raw in text.Split(','))
            {
                var assignment = raw.Trim();
                var equals = assignment.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    error = assignment.Length == 0
                        ? $"empty assignment in '{text}' (expected NAME=VALUE[,NAME=VALUE...], e.g. python_version=3.11,sys_platform=linux)"
                        : $"'{assignment}' is not NAME=VALUE (e.g. python_version=3.11)";
                    return false;
                }

                var name = assignment[..equals].Trim();
                var value = assignment[(equals + 1)..].Trim();
                if (!ScanPolicy.MarkerVariables.Contains(name))
                {
                    error = $"'{name}' is not a PEP 508 marker variable (one of {string.Join(", ", ScanPolicy.MarkerVariables.Order(StringComparer.Ordinal))})";
                    return false;
                }

                if (value.Length == 0)
                {
                    error = $"'{name}' has no value";
                    return false;
                }

                if (VersionVariables.Contains(name) && !PythonVersion.TryParse(value, out _))
                {
                    error = $"{name}={value}: '{value}' is not a version";
                    return false;
                }

                if (builder.TryGetValue(name, out var before) && before != value)
                {
                    error = $"{name} is given twice ({before} and {value})";
                    return false;
                }

                builder[name] = value;
            }
        }

        values = builder.ToImmutable();
        error = string.Empty;
        return true;
    }

    /// <summary>The value of a variable, or null when the target leaves it open.</summary>
    public string? Get(string variable) => _values.GetValueOrDefault(variable);

    public override string ToString() => IsOpen ? "no target environment" : string.Join(", ", _values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}
