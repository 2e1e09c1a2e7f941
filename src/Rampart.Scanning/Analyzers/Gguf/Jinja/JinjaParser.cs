namespace Rampart.Scanning.Analyzers.Gguf.Jinja;

/// <summary>
/// A recursive-descent parser for Jinja2 templates that follows Jinja's own grammar and operator precedence
/// (inline if, or, and, not, comparisons, + -, ~, * / // %, **, unary, then postfix, filters and tests). It builds a
/// syntax tree and never evaluates anything. Errors carry the line and column of the offending token.
/// </summary>
internal sealed class JinjaParser
{
    /// <summary>Deepest nesting of expressions and statements.</summary>
    public const int MaxDepth = 200;

    private static readonly HashSet<string> CompareOperators = ["==", "!=", "<", "<=", ">", ">="];

    private readonly List<JinjaToken> _tokens;
    private int _index;
    private int _depth;

    private JinjaParser(List<JinjaToken> tokens)
    {
        _tokens = tokens;
    }

    public static TemplateNode Parse(string source, CancellationToken cancellationToken = default)
    {
        var parser = new JinjaParser(JinjaLexer.Tokenize(source, cancellationToken));
        var body = parser.Subparse([]);
        if (parser.Current.Kind != JinjaTokenKind.End)
        {
            throw parser.Error($"unexpected {parser.Current}");
        }

        return new TemplateNode(body);
    }

    private JinjaToken Current => _tokens[_index];

    private JinjaToken Peek(int ahead = 1) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

    private JinjaToken Next()
    {
        var token = _tokens[_index];
        if (_index < _tokens.Count - 1)
        {
            _index++;
        }

        return token;
    }

    private JinjaSyntaxException Error(string message, JinjaToken? at = null) =>
        new(message, (at ?? Current).Line, (at ?? Current).Column);

    private bool SkipOp(string op)
    {
        if (Current.IsOp(op))
        {
            Next();
            return true;
        }

        return false;
    }

    private bool SkipName(string name)
    {
        if (Current.IsName(name))
        {
            Next();
            return true;
        }

        return false;
    }

    private JinjaToken ExpectOp(string op) => Current.IsOp(op) ? Next() : throw Error($"expected '{op}', found {Current}");

    private void ExpectName(string name)
    {
        if (!SkipName(name))
        {
            throw Error($"expected '{name}', found {Current}");
        }
    }

    private string ExpectIdentifier() => Current.Kind == JinjaTokenKind.Name ? Next().Text : throw Error($"expected a name, found {Current}");

    private void ExpectBlockEnd()
    {
        if (Current.Kind != JinjaTokenKind.BlockEnd)
        {
            throw Error($"expected the end of the tag '%}}', found {Current}");
        }

        Next();
    }

    private DepthScope Deeper()
    {
        if (++_depth > MaxDepth)
        {
            throw Error($"the template nests deeper than {MaxDepth} levels");
        }

        return new DepthScope(this);
    }

    private sealed class DepthScope(JinjaParser parser) : IDisposable
    {
        public void Dispose() => parser._depth--;
    }

    // ---- statements -------------------------------------------------------------------------------------------

    /// <summary>Parses until a block tag whose name is in <paramref name="endTags"/>; leaves the parser on that name.</summary>
    private List<Stmt> Subparse(string[] endTags)
    {
        using var scope = Deeper();
        var body = new List<Stmt>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case JinjaTokenKind.Data:
                    Next();
                    body.Add(new TextStmt(token.Text, token.Line, token.Column));
                    break;
                case JinjaTokenKind.VariableBegin:
                    Next();
                    var value = ParseTuple(withCondExpr: true);
                    if (Current.Kind != JinjaTokenKind.VariableEnd)
                    {
                        throw Error($"expected the end of the print statement '}}}}', found {Current}");
                    }

                    Next();
                    body.Add(new OutputStmt(value, token.Line, token.Column));
                    break;
                case JinjaTokenKind.BlockBegin:
                    Next();
                    if (Current.Kind == JinjaTokenKind.Name && endTags.Contains(Current.Text, StringComparer.Ordinal))
                    {
                        return body;
                    }

                    body.Add(ParseStatement());
                    break;
                case JinjaTokenKind.End:
                    if (endTags.Length > 0)
                    {
                        throw Error($"unexpected end of template: a block is still open, expected {string.Join(" or ", endTags.Select(t => "'" + t + "'"))}");
                    }

                    return body;
                default:
                    throw Error($"unexpected {token}");
            }
        }
    }

    /// <summary>Parses a body up to one of the end tags and returns which one ended it (consumed, tag still open).</summary>
    private (List<Stmt> Body, string End) Body(params string[] endTags)
    {
        var body = Subparse(endTags);
        var end = Next().Text;
        return (body, end);
    }

    private Stmt ParseStatement()
    {
        var token = Current;
        if (token.Kind != JinjaTokenKind.Name)
        {
            throw Error($"expected a tag name, found {token}");
        }

        using var scope = Deeper();
        Next();
        Stmt result = token.Text switch
        {
            "if" => ParseIf(token),
            "for" => ParseFor(token),
            "set" => ParseSet(token),
            "macro" => ParseMacro(token),
            "call" => ParseCallBlock(token),
            "filter" => ParseFilterBlock(token),
            "include" => ParseInclude(token),
            "import" => ParseImport(token),
            "from" => ParseFrom(token),
            "extends" => new LoadStmt("extends", ParseExpression(), [], token.Line, token.Column),
            "block" => ParseBlock(token),
            "do" or "print" => new ExprStmt(token.Text, ParseTuple(withCondExpr: true), token.Line, token.Column),
            "with" => ParseWith(token),
            "autoescape" => ParseScoped(token, "endautoescape", ParseExpression()),
            "generation" => ParseScoped(token, "endgeneration", null),
            "break" or "continue" => new LoopControlStmt(token.Text, token.Line, token.Column),
            _ => throw Error($"unknown tag '{token.Text}'", token),
        };
        if (result is not IfStmt and not ForStmt and not SetBlockStmt and not MacroStmt and not CallBlockStmt and not FilterBlockStmt and not BlockStmt and not WithStmt and not ScopedStmt)
        {
            ExpectBlockEnd();
        }

        return result;
    }

    private IfStmt ParseIf(JinjaToken token)
    {
        var test = ParseTuple(withCondExpr: false);
        ExpectBlockEnd();
        var (body, end) = Body("elif", "else", "endif");
        IReadOnlyList<Stmt> otherwise = [];
        if (end == "elif")
        {
            otherwise = [ParseIf(_tokens[_index - 1])];
            return new IfStmt(test, body, otherwise, token.Line, token.Column);
        }

        if (end == "else")
        {
            ExpectBlockEnd();
            (otherwise, _) = Body("endif");
        }

        ExpectBlockEnd();
        return new IfStmt(test, body, otherwise, token.Line, token.Column);
    }

    private ForStmt ParseFor(JinjaToken token)
    {
        var target = ParseAssignTarget(allowNamespace: false, "in");
        ExpectName("in");
        var iterable = ParseTuple(withCondExpr: false, "recursive");
        Expr? filter = null;
        if (SkipName("if"))
        {
            filter = ParseExpression();
        }

        var recursive = SkipName("recursive");
        ExpectBlockEnd();
        var (body, end) = Body("endfor", "else");
        IReadOnlyList<Stmt> otherwise = [];
        if (end == "else")
        {
            ExpectBlockEnd();
            (otherwise, _) = Body("endfor");
        }

        ExpectBlockEnd();
        return new ForStmt(target, iterable, filter, recursive, body, otherwise, token.Line, token.Column);
    }

    private Stmt ParseSet(JinjaToken token)
    {
        var target = ParseAssignTarget(allowNamespace: true);
        if (SkipOp("="))
        {
            return new SetStmt(target, ParseTuple(withCondExpr: true), token.Line, token.Column);
        }

        var filter = ParseFilterChain(null);
        ExpectBlockEnd();
        var (body, _) = Body("endset");
        ExpectBlockEnd();
        return new SetBlockStmt(target, filter, body, token.Line, token.Column);
    }

    private MacroStmt ParseMacro(JinjaToken token)
    {
        var name = ExpectIdentifier();
        var parameters = ParseSignature();
        ExpectBlockEnd();
        var (body, _) = Body("endmacro");
        if (Current.Kind == JinjaTokenKind.Name)
        {
            Next();
        }

        ExpectBlockEnd();
        return new MacroStmt(name, parameters, body, token.Line, token.Column);
    }

    private List<(string, Expr?)> ParseSignature()
    {
        var parameters = new List<(string, Expr?)>();
        ExpectOp("(");
        while (!Current.IsOp(")"))
        {
            if (parameters.Count > 0)
            {
                ExpectOp(",");
                if (Current.IsOp(")"))
                {
                    break;
                }
            }

            var name = ExpectIdentifier();
            parameters.Add((name, SkipOp("=") ? ParseExpression() : null));
        }

        Next();
        return parameters;
    }

    private CallBlockStmt ParseCallBlock(JinjaToken token)
    {
        var parameters = Current.IsOp("(") ? ParseSignature() : [];
        var call = ParseExpression() as CallExpr ?? throw Error("expected a call after 'call'", token);
        ExpectBlockEnd();
        var (body, _) = Body("endcall");
        ExpectBlockEnd();
        return new CallBlockStmt(call, parameters, body, token.Line, token.Column);
    }

    private FilterBlockStmt ParseFilterBlock(JinjaToken token)
    {
        var filter = ParseFilterChain(null, requireFirstBar: false) ?? throw Error("expected a filter name", token);
        ExpectBlockEnd();
        var (body, _) = Body("endfilter");
        ExpectBlockEnd();
        return new FilterBlockStmt(filter, body, token.Line, token.Column);
    }

    private LoadStmt ParseInclude(JinjaToken token)
    {
        var template = ParseExpression();
        if (Current.IsName("ignore") && Peek().IsName("missing"))
        {
            Next();
            Next();
        }

        SkipContext();
        return new LoadStmt("include", template, [], token.Line, token.Column);
    }

    private LoadStmt ParseImport(JinjaToken token)
    {
        var template = ParseExpression();
        ExpectName("as");
        var alias = ExpectIdentifier();
        SkipContext();
        return new LoadStmt("import", template, [alias], token.Line, token.Column);
    }

    private LoadStmt ParseFrom(JinjaToken token)
    {
        var template = ParseExpression();
        ExpectName("import");
        var names = new List<string>();
        while (true)
        {
            if (names.Count > 0 && !SkipOp(","))
            {
                break;
            }

            if (Current.Kind != JinjaTokenKind.Name || ((Current.Text is "with" or "without") && Peek().IsName("context")))
            {
                break;
            }

            var name = ExpectIdentifier();
            names.Add(SkipName("as") ? ExpectIdentifier() : name);
        }

        SkipContext();
        return new LoadStmt("from", template, names, token.Line, token.Column);
    }

    private void SkipContext()
    {
        if ((Current.IsName("with") || Current.IsName("without")) && Peek().IsName("context"))
        {
            Next();
            Next();
        }
    }

    private BlockStmt ParseBlock(JinjaToken token)
    {
        var name = ExpectIdentifier();
        SkipName("scoped");
        SkipName("required");
        ExpectBlockEnd();
        var (body, _) = Body("endblock");
        if (Current.Kind == JinjaTokenKind.Name)
        {
            Next();
        }

        ExpectBlockEnd();
        return new BlockStmt(name, body, token.Line, token.Column);
    }

    private WithStmt ParseWith(JinjaToken token)
    {
        var assignments = new List<(Expr, Expr)>();
        while (Current.Kind != JinjaTokenKind.BlockEnd)
        {
            if (assignments.Count > 0)
            {
                ExpectOp(",");
            }

            var target = ParseAssignTarget(allowNamespace: false);
            ExpectOp("=");
            assignments.Add((target, ParseExpression()));
        }

        ExpectBlockEnd();
        var (body, _) = Body("endwith");
        ExpectBlockEnd();
        return new WithStmt(assignments, body, token.Line, token.Column);
    }

    private ScopedStmt ParseScoped(JinjaToken token, string end, Expr? argument)
    {
        ExpectBlockEnd();
        var (body, _) = Body(end);
        ExpectBlockEnd();
        return new ScopedStmt(token.Text, argument, body, token.Line, token.Column);
    }

    /// <summary>A name, <c>ns.attr</c> (for set) or a tuple of names.</summary>
    private Expr ParseAssignTarget(bool allowNamespace, params string[] extraEnd)
    {
        var start = Current;
        var items = new List<Expr>();
        var parens = SkipOp("(");
        while (true)
        {
            var name = Current;
            var identifier = ExpectIdentifier();
            Expr item = new NameExpr(identifier, name.Line, name.Column);
            if (allowNamespace && Current.IsOp("."))
            {
                Next();
                item = new GetattrExpr(item, ExpectIdentifier(), name.Line, name.Column);
            }

            items.Add(item);
            if (!SkipOp(","))
            {
                break;
            }

            if (Current.Kind != JinjaTokenKind.Name || extraEnd.Contains(Current.Text))
            {
                break;
            }
        }

        if (parens)
        {
            ExpectOp(")");
        }

        return items.Count == 1 && !parens ? items[0] : new TupleExpr(items, start.Line, start.Column);
    }

    // ---- expressions ------------------------------------------------------------------------------------------

    private bool IsTupleEnd(string[] extraEnd) =>
        Current.Kind is JinjaTokenKind.VariableEnd or JinjaTokenKind.BlockEnd or JinjaTokenKind.End
        || Current.IsOp(")") || Current.IsOp("=")
        || (Current.Kind == JinjaTokenKind.Name && extraEnd.Contains(Current.Text));

    private Expr ParseTuple(bool withCondExpr, params string[] extraEnd)
    {
        var start = Current;
        var items = new List<Expr>();
        var sawComma = false;
        while (true)
        {
            if (items.Count > 0)
            {
                if (!SkipOp(","))
                {
                    break;
                }

                sawComma = true;
            }

            if (IsTupleEnd(extraEnd))
            {
                break;
            }

            items.Add(withCondExpr ? ParseExpression() : ParseOr());
        }

        if (!sawComma)
        {
            return items.Count == 1 ? items[0] : throw Error($"expected an expression, found {Current}", start);
        }

        return new TupleExpr(items, start.Line, start.Column);
    }

    private Expr ParseExpression()
    {
        using var scope = Deeper();
        return ParseCondExpr();
    }

    private Expr ParseCondExpr()
    {
        var start = Current;
        var expr = ParseOr();
        while (SkipName("if"))
        {
            var test = ParseOr();
            var otherwise = SkipName("else") ? ParseCondExpr() : null;
            expr = new CondExpr(test, expr, otherwise, start.Line, start.Column);
        }

        return expr;
    }

    private Expr ParseOr()
    {
        var start = Current;
        var left = ParseAnd();
        while (SkipName("or"))
        {
            left = new BinaryExpr("or", left, ParseAnd(), start.Line, start.Column);
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var start = Current;
        var left = ParseNot();
        while (SkipName("and"))
        {
            left = new BinaryExpr("and", left, ParseNot(), start.Line, start.Column);
        }

        return left;
    }

    private Expr ParseNot()
    {
        var start = Current;
        if (SkipName("not"))
        {
            using var scope = Deeper();
            return new UnaryExpr("not", ParseNot(), start.Line, start.Column);
        }

        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var start = Current;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == JinjaTokenKind.Operator && CompareOperators.Contains(Current.Text))
            {
                var op = Next().Text;
                rest.Add((op, ParseMath1()));
            }
            else if (SkipName("in"))
            {
                rest.Add(("in", ParseMath1()));
            }
            else if (Current.IsName("not") && Peek().IsName("in"))
            {
                Next();
                Next();
                rest.Add(("notin", ParseMath1()));
            }
            else
            {
                break;
            }
        }

        return rest.Count == 0 ? first : new CompareExpr(first, rest, start.Line, start.Column);
    }

    private Expr ParseMath1()
    {
        var start = Current;
        var left = ParseConcat();
        while (Current.IsOp("+") || Current.IsOp("-"))
        {
            var op = Next().Text;
            left = new BinaryExpr(op, left, ParseConcat(), start.Line, start.Column);
        }

        return left;
    }

    private Expr ParseConcat()
    {
        var start = Current;
        var items = new List<Expr> { ParseMath2() };
        while (SkipOp("~"))
        {
            items.Add(ParseMath2());
        }

        return items.Count == 1 ? items[0] : new ConcatExpr(items, start.Line, start.Column);
    }

    private Expr ParseMath2()
    {
        var start = Current;
        var left = ParsePow();
        while (Current.IsOp("*") || Current.IsOp("/") || Current.IsOp("//") || Current.IsOp("%"))
        {
            var op = Next().Text;
            left = new BinaryExpr(op, left, ParsePow(), start.Line, start.Column);
        }

        return left;
    }

    private Expr ParsePow()
    {
        var start = Current;
        var left = ParseUnary(withFilter: true);
        while (SkipOp("**"))
        {
            left = new BinaryExpr("**", left, ParseUnary(withFilter: true), start.Line, start.Column);
        }

        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        using var scope = Deeper();
        var start = Current;
        Expr node;
        if (SkipOp("-"))
        {
            node = new UnaryExpr("-", ParseUnary(withFilter: false), start.Line, start.Column);
        }
        else if (SkipOp("+"))
        {
            node = new UnaryExpr("+", ParseUnary(withFilter: false), start.Line, start.Column);
        }
        else
        {
            node = ParsePostfix(ParsePrimary());
        }

        return withFilter ? ParseFilterExpr(node) : node;
    }

    private Expr ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case JinjaTokenKind.Name:
                Next();
                return token.Text switch
                {
                    "true" or "True" => new ConstExpr(true, token.Line, token.Column),
                    "false" or "False" => new ConstExpr(false, token.Line, token.Column),
                    "none" or "None" => new ConstExpr(null, token.Line, token.Column),
                    _ => new NameExpr(token.Text, token.Line, token.Column),
                };
            case JinjaTokenKind.String:
                var text = Next().Text;
                while (Current.Kind == JinjaTokenKind.String)
                {
                    text += Next().Text;
                }

                return new ConstExpr(text, token.Line, token.Column);
            case JinjaTokenKind.Integer:
                Next();
                return new ConstExpr(token.Integer, token.Line, token.Column);
            case JinjaTokenKind.Float:
                Next();
                return new ConstExpr(token.Number, token.Line, token.Column);
            case JinjaTokenKind.Operator when token.Text == "(":
                Next();
                var inner = Current.IsOp(")") ? new TupleExpr([], token.Line, token.Column) : ParseTuple(withCondExpr: true);
                ExpectOp(")");
                return inner;
            case JinjaTokenKind.Operator when token.Text == "[":
                Next();
                var items = new List<Expr>();
                while (!Current.IsOp("]"))
                {
                    if (items.Count > 0)
                    {
                        ExpectOp(",");
                        if (Current.IsOp("]"))
                        {
                            break;
                        }
                    }

                    items.Add(ParseExpression());
                }

                Next();
                return new ListExpr(items, token.Line, token.Column);
            case JinjaTokenKind.Operator when token.Text == "{":
                Next();
                var pairs = new List<(Expr, Expr)>();
                while (!Current.IsOp("}"))
                {
                    if (pairs.Count > 0)
                    {
                        ExpectOp(",");
                        if (Current.IsOp("}"))
                        {
                            break;
                        }
                    }

                    var key = ParseExpression();
                    ExpectOp(":");
                    pairs.Add((key, ParseExpression()));
                }

                Next();
                return new DictExpr(pairs, token.Line, token.Column);
            default:
                throw Error($"unexpected {token}");
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOp(".") || token.IsOp("["))
            {
                node = ParseSubscript(node);
            }
            else if (token.IsOp("("))
            {
                node = new CallExpr(node, ParseCallArguments(), token.Line, token.Column);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOp("|"))
            {
                node = ParseFilterChain(node)!;
            }
            else if (token.IsName("is"))
            {
                node = ParseTest(node);
            }
            else if (token.IsOp("("))
            {
                node = new CallExpr(node, ParseCallArguments(), token.Line, token.Column);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(Expr node)
    {
        var token = Next();
        if (token.IsOp("."))
        {
            var attribute = Current;
            if (attribute.Kind == JinjaTokenKind.Name)
            {
                Next();
                return new GetattrExpr(node, attribute.Text, token.Line, token.Column);
            }

            if (attribute.Kind == JinjaTokenKind.Integer)
            {
                Next();
                return new GetitemExpr(node, new ConstExpr(attribute.Integer, attribute.Line, attribute.Column), token.Line, token.Column);
            }

            throw Error($"expected a name after '.', found {attribute}");
        }

        var keys = new List<Expr>();
        while (!Current.IsOp("]"))
        {
            if (keys.Count > 0)
            {
                ExpectOp(",");
                if (Current.IsOp("]"))
                {
                    break;
                }
            }

            keys.Add(ParseSubscribed());
        }

        Next();
        if (keys.Count == 0)
        {
            throw Error("expected a subscript inside '[]'", token);
        }

        return new GetitemExpr(node, keys.Count == 1 ? keys[0] : new TupleExpr(keys, token.Line, token.Column), token.Line, token.Column);
    }

    private Expr ParseSubscribed()
    {
        var start = Current;
        Expr? first = null;
        if (!Current.IsOp(":"))
        {
            first = ParseExpression();
            if (!Current.IsOp(":"))
            {
                return first;
            }
        }

        Next();
        Expr? stop = null;
        Expr? step = null;
        if (!Current.IsOp("]") && !Current.IsOp(",") && !Current.IsOp(":"))
        {
            stop = ParseExpression();
        }

        if (SkipOp(":") && !Current.IsOp("]") && !Current.IsOp(","))
        {
            step = ParseExpression();
        }

        return new SliceExpr(first, stop, step, start.Line, start.Column);
    }

    private Arguments ParseCallArguments()
    {
        ExpectOp("(");
        var positional = new List<Expr>();
        var keywords = new List<(string, Expr)>();
        Expr? dynArgs = null;
        Expr? dynKeywords = null;
        var first = true;
        while (!Current.IsOp(")"))
        {
            if (!first)
            {
                ExpectOp(",");
                if (Current.IsOp(")"))
                {
                    break;
                }
            }

            first = false;
            if (SkipOp("*"))
            {
                dynArgs = ParseExpression();
            }
            else if (SkipOp("**"))
            {
                dynKeywords = ParseExpression();
            }
            else if (Current.Kind == JinjaTokenKind.Name && Peek().IsOp("="))
            {
                var name = Next().Text;
                Next();
                keywords.Add((name, ParseExpression()));
            }
            else
            {
                positional.Add(ParseExpression());
            }
        }

        Next();
        return new Arguments(positional, keywords, dynArgs, dynKeywords);
    }

    /// <summary>Parses <c>| name(args) | name ...</c>; with a null input (filter blocks), the first bar is optional.</summary>
    private FilterExpr? ParseFilterChain(Expr? input, bool requireFirstBar = true)
    {
        FilterExpr? node = null;
        var first = true;
        while (Current.IsOp("|") || (first && !requireFirstBar && Current.Kind == JinjaTokenKind.Name))
        {
            var token = Current;
            if (token.IsOp("|"))
            {
                Next();
            }

            first = false;
            var name = ExpectIdentifier();
            while (Current.IsOp(".") && Peek().Kind == JinjaTokenKind.Name)
            {
                Next();
                name += "." + Next().Text;
            }

            var args = Current.IsOp("(") ? ParseCallArguments() : Arguments.None;
            node = new FilterExpr(node ?? input, name, args, token.Line, token.Column);
        }

        return node;
    }

    private TestExpr ParseTest(Expr node)
    {
        var token = Next();
        var negated = SkipName("not");
        var name = ExpectIdentifier();
        while (Current.IsOp(".") && Peek().Kind == JinjaTokenKind.Name)
        {
            Next();
            name += "." + Next().Text;
        }

        Arguments args = Arguments.None;
        if (Current.IsOp("("))
        {
            args = ParseCallArguments();
        }
        else if ((Current.Kind is JinjaTokenKind.Name or JinjaTokenKind.String or JinjaTokenKind.Integer or JinjaTokenKind.Float
                  || Current.IsOp("(") || Current.IsOp("[") || Current.IsOp("{"))
                 && !(Current.Kind == JinjaTokenKind.Name && Current.Text is "else" or "or" or "and" or "if" or "in" or "not" or "is" or "recursive"))
        {
            args = new Arguments([ParsePostfix(ParsePrimary())], [], null, null);
        }

        return new TestExpr(node, name, args, negated, token.Line, token.Column);
    }
}
