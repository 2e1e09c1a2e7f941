using System.Globalization;
using System.Text;

namespace Rampart.Scanning.Analyzers.PythonSource;

/// <summary>
/// A tolerant recursive-descent parser for Python 3.8–3.13. It builds the parts of the syntax tree the code rules
/// need and reads the rest only to get past it. A statement it cannot read becomes an <see cref="ErrorStmt"/> (the
/// tokens up to the end of the logical line are skipped, an indented block after it is still parsed) and a message in
/// <see cref="PyModule.Errors"/>; it never throws. Nesting deeper than <see cref="MaxDepth"/> is an error, not a
/// stack overflow.
/// </summary>
internal sealed class PyParser
{
    /// <summary>Deepest expression/statement nesting read before giving up on a statement.</summary>
    public const int MaxDepth = 200;

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
        "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    };

    private static readonly HashSet<string> AugmentedOps = new(StringComparer.Ordinal)
    {
        "+=", "-=", "*=", "/=", "//=", "%=", "@=", "&=", "|=", "^=", ">>=", "<<=", "**=",
    };

    private readonly string _source;
    private readonly IReadOnlyList<int> _lineStarts;
    private readonly List<string> _errors = [];
    private IReadOnlyList<Token> _t;
    private int _i;
    private int _depth;

    private PyParser(string source, IReadOnlyList<int> lineStarts, IReadOnlyList<Token> tokens)
    {
        _source = source;
        _lineStarts = lineStarts;
        _t = tokens;
    }

    private sealed class ParseFailure(string message) : Exception(message);

    public static PyModule Parse(string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var (tokens, tokenErrors) = PyTokenizer.Tokenize(source);
        var parser = new PyParser(source, PyTokenizer.LineStarts(source), tokens);
        var body = parser.ParseStatements(topLevel: true, cancellationToken);
        return new PyModule(body, [.. tokenErrors, .. parser._errors], tokenErrors.Count);
    }

    private Token Cur => _t[_i];

    private Token Peek(int k = 1) => _t[Math.Min(_i + k, _t.Count - 1)];

    private bool At(string op) => Cur.Kind is TokenKind.Op or TokenKind.Name && Cur.Text == op;

    private bool AtKeyword(string keyword) => Cur.Kind == TokenKind.Name && Cur.Text == keyword;

    private Token Next()
    {
        var t = _t[_i];
        if (_i < _t.Count - 1)
        {
            _i++;
        }

        return t;
    }

    private bool Accept(string op)
    {
        if (At(op))
        {
            Next();
            return true;
        }

        return false;
    }

    private Token Expect(string op)
    {
        if (!At(op))
        {
            throw Fail($"expected '{op}'");
        }

        return Next();
    }

    private string ExpectName()
    {
        if (Cur.Kind != TokenKind.Name || (Keywords.Contains(Cur.Text) && Cur.Text is not ("match" or "case" or "type")))
        {
            throw Fail("expected a name");
        }

        return Next().Text;
    }

    private ParseFailure Fail(string message) =>
        new($"{Cur.Line}:{Cur.Column}: {message}, found {(Cur.Kind == TokenKind.Newline ? "end of line" : Cur.Kind == TokenKind.EndOfFile ? "end of file" : $"'{Cur.Text}'")}");

    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            throw Fail($"nesting deeper than {MaxDepth}");
        }
    }

    // ---- Statements ---------------------------------------------------------------------------------------------

    private List<Stmt> ParseStatements(bool topLevel, CancellationToken cancellationToken)
    {
        var body = new List<Stmt>();
        while (Cur.Kind != TokenKind.EndOfFile)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Cur.Kind == TokenKind.Dedent)
            {
                if (!topLevel)
                {
                    break;
                }

                Next();
                continue;
            }

            if (Cur.Kind == TokenKind.Newline)
            {
                Next();
                continue;
            }

            if (Cur.Kind == TokenKind.Indent)
            {
                var at = Pos.Of(Cur);
                _errors.Add($"{at.Line}:{at.Column}: unexpected indent");
                Next();
                body.Add(new ErrorStmt(at, "unexpected indent", ParseStatements(false, cancellationToken)));
                Accept(TokenKind.Dedent);
                continue;
            }

            body.AddRange(ParseStatement(cancellationToken));
        }

        return body;
    }

    private bool Accept(TokenKind kind)
    {
        if (Cur.Kind == kind)
        {
            Next();
            return true;
        }

        return false;
    }

    private List<Stmt> ParseStatement(CancellationToken cancellationToken)
    {
        var start = _i;
        var at = Pos.Of(Cur);
        var depth = _depth;
        try
        {
            return ParseStatementCore(cancellationToken);
        }
        catch (ParseFailure e)
        {
            _depth = depth;
            _errors.Add(e.Message);
            // Skip the rest of the logical line; still parse an indented block that follows.
            if (_i == start && Cur.Kind is not (TokenKind.Newline or TokenKind.EndOfFile))
            {
                Next();
            }

            while (Cur.Kind is not (TokenKind.Newline or TokenKind.EndOfFile or TokenKind.Indent or TokenKind.Dedent))
            {
                Next();
            }

            Accept(TokenKind.Newline);
            List<Stmt> body = [];
            if (Cur.Kind == TokenKind.Indent)
            {
                Next();
                body = ParseStatements(false, cancellationToken);
                Accept(TokenKind.Dedent);
            }

            return [new ErrorStmt(at, e.Message, body)];
        }
    }

    private List<Stmt> ParseStatementCore(CancellationToken cancellationToken)
    {
        var at = Pos.Of(Cur);
        if (Cur.Kind == TokenKind.Name)
        {
            switch (Cur.Text)
            {
                case "if":
                    return [ParseIf(cancellationToken)];
                case "while":
                {
                    Next();
                    var test = ParseNamedTest();
                    var body = ParseSuite(cancellationToken);
                    var orelse = AtKeyword("else") ? ParseElse(cancellationToken) : [];
                    return [new BlockStmt(at, "while", [test], [], [body, orelse])];
                }

                case "for":
                    return [ParseFor(at, cancellationToken)];
                case "try":
                    return [ParseTry(at, cancellationToken)];
                case "with":
                    return [ParseWith(at, cancellationToken)];
                case "def":
                    return [ParseDef(at, [], false, cancellationToken)];
                case "class":
                    return [ParseClass(at, [], cancellationToken)];
                case "async":
                    Next();
                    if (AtKeyword("def"))
                    {
                        return [ParseDef(at, [], true, cancellationToken)];
                    }

                    if (AtKeyword("for"))
                    {
                        return [ParseFor(at, cancellationToken)];
                    }

                    if (AtKeyword("with"))
                    {
                        return [ParseWith(at, cancellationToken)];
                    }

                    throw Fail("expected def, for or with after async");
                case "match" when Peek().Kind is not TokenKind.Newline && !Peek().Is("=") && !Peek().Is(".") && !IsAugmented(Peek()):
                {
                    var saved = _i;
                    var errors = _errors.Count;
                    try
                    {
                        return [ParseMatch(at, cancellationToken)];
                    }
                    catch (ParseFailure) when (_i <= LineEndIndex(saved))
                    {
                        _i = saved;
                        _errors.RemoveRange(errors, _errors.Count - errors);
                        break;
                    }
                }
            }
        }
        else if (At("@"))
        {
            var decorators = new List<Expr>();
            while (Accept("@"))
            {
                decorators.Add(ParseNamedTest());
                ExpectNewline();
            }

            var defAt = Pos.Of(Cur);
            if (AtKeyword("def"))
            {
                return [ParseDef(defAt, decorators, false, cancellationToken)];
            }

            if (AtKeyword("async"))
            {
                Next();
                return [ParseDef(defAt, decorators, true, cancellationToken)];
            }

            if (AtKeyword("class"))
            {
                return [ParseClass(defAt, decorators, cancellationToken)];
            }

            throw Fail("expected def or class after decorators");
        }

        var statements = new List<Stmt> { ParseSimple() };
        while (Accept(";"))
        {
            if (Cur.Kind is TokenKind.Newline or TokenKind.EndOfFile)
            {
                break;
            }

            statements.Add(ParseSimple());
        }

        ExpectNewline();
        return statements;
    }

    private static bool IsAugmented(Token t) => t.Kind == TokenKind.Op && AugmentedOps.Contains(t.Text);

    private int LineEndIndex(int from)
    {
        var i = from;
        while (i < _t.Count - 1 && _t[i].Kind is not (TokenKind.Newline or TokenKind.EndOfFile))
        {
            i++;
        }

        return i;
    }

    private void ExpectNewline()
    {
        if (Cur.Kind == TokenKind.EndOfFile)
        {
            return;
        }

        if (Cur.Kind != TokenKind.Newline)
        {
            throw Fail("expected end of statement");
        }

        Next();
    }

    private List<Stmt> ParseSuite(CancellationToken cancellationToken)
    {
        Expect(":");
        if (Cur.Kind == TokenKind.Newline)
        {
            Next();
            if (Cur.Kind != TokenKind.Indent)
            {
                throw Fail("expected an indented block");
            }

            Next();
            var body = ParseStatements(false, cancellationToken);
            Accept(TokenKind.Dedent);
            return body;
        }

        // Simple statements on the same line.
        var statements = new List<Stmt> { ParseSimple() };
        while (Accept(";"))
        {
            if (Cur.Kind is TokenKind.Newline or TokenKind.EndOfFile)
            {
                break;
            }

            statements.Add(ParseSimple());
        }

        ExpectNewline();
        return statements;
    }

    private List<Stmt> ParseElse(CancellationToken cancellationToken)
    {
        Next();
        return ParseSuite(cancellationToken);
    }

    private BlockStmt ParseIf(CancellationToken cancellationToken)
    {
        var at = Pos.Of(Cur);
        Next();
        var test = ParseNamedTest();
        var body = ParseSuite(cancellationToken);
        List<Stmt> orelse = [];
        if (AtKeyword("elif"))
        {
            orelse = [ParseIf(cancellationToken)];
        }
        else if (AtKeyword("else"))
        {
            orelse = ParseElse(cancellationToken);
        }

        return new BlockStmt(at, "if", [test], [], [body, orelse]);
    }

    private BlockStmt ParseFor(Pos at, CancellationToken cancellationToken)
    {
        Expect("for");
        var target = ParseTargetList();
        Expect("in");
        var iter = ParseTestList(allowStar: true);
        var body = ParseSuite(cancellationToken);
        var orelse = AtKeyword("else") ? ParseElse(cancellationToken) : [];
        return new BlockStmt(at, "for", [iter], [new WithItem(iter, target)], [body, orelse]);
    }

    private BlockStmt ParseTry(Pos at, CancellationToken cancellationToken)
    {
        Next();
        var bodies = new List<IReadOnlyList<Stmt>> { ParseSuite(cancellationToken) };
        var header = new List<Expr>();
        while (AtKeyword("except"))
        {
            Next();
            Accept("*");
            if (!At(":"))
            {
                header.Add(ParseTest());
                if (Accept(","))
                {
                    header.Add(ParseTest());
                }

                if (Accept("as"))
                {
                    ExpectName();
                }
            }

            bodies.Add(ParseSuite(cancellationToken));
        }

        if (AtKeyword("else"))
        {
            bodies.Add(ParseElse(cancellationToken));
        }

        if (AtKeyword("finally"))
        {
            bodies.Add(ParseElse(cancellationToken));
        }

        return new BlockStmt(at, "try", header, [], bodies);
    }

    private BlockStmt ParseWith(Pos at, CancellationToken cancellationToken)
    {
        Expect("with");
        var items = new List<WithItem>();
        if (At("("))
        {
            var saved = _i;
            try
            {
                Next();
                while (!At(")"))
                {
                    items.Add(ParseWithItem());
                    if (!Accept(","))
                    {
                        break;
                    }
                }

                Expect(")");
                if (!At(":"))
                {
                    throw Fail("expected ':'");
                }
            }
            catch (ParseFailure)
            {
                _i = saved;
                items.Clear();
            }
        }

        if (items.Count == 0)
        {
            do
            {
                items.Add(ParseWithItem());
            }
            while (Accept(","));
        }

        var body = ParseSuite(cancellationToken);
        return new BlockStmt(at, "with", [.. items.Select(i => i.Context)], items, [body]);
    }

    private WithItem ParseWithItem()
    {
        var context = ParseTest();
        Expr? target = null;
        if (Accept("as"))
        {
            target = ParseTarget();
        }

        return new WithItem(context, target);
    }

    private FunctionDef ParseDef(Pos at, IReadOnlyList<Expr> decorators, bool isAsync, CancellationToken cancellationToken)
    {
        Expect("def");
        var name = ExpectName();
        SkipTypeParams();
        Expect("(");
        var parameters = ParseParameters(")");
        Expect(")");
        Expr? returns = null;
        if (Accept("->"))
        {
            returns = ParseTest();
        }

        var body = ParseSuite(cancellationToken);
        return new FunctionDef(at, name, decorators, parameters, returns, body, isAsync);
    }

    private void SkipTypeParams()
    {
        if (!At("["))
        {
            return;
        }

        var depth = 0;
        do
        {
            if (At("["))
            {
                depth++;
            }
            else if (At("]"))
            {
                depth--;
            }

            if (Cur.Kind is TokenKind.Newline or TokenKind.EndOfFile)
            {
                throw Fail("unterminated type parameter list");
            }

            Next();
        }
        while (depth > 0);
    }

    private ClassDef ParseClass(Pos at, IReadOnlyList<Expr> decorators, CancellationToken cancellationToken)
    {
        Expect("class");
        var name = ExpectName();
        SkipTypeParams();
        IReadOnlyList<Argument> bases = [];
        if (Accept("("))
        {
            bases = ParseArguments();
            Expect(")");
        }

        var body = ParseSuite(cancellationToken);
        return new ClassDef(at, name, decorators, bases, body);
    }

    private List<Parameter> ParseParameters(string end)
    {
        var parameters = new List<Parameter>();
        while (!At(end))
        {
            if (Accept("/"))
            {
                if (!Accept(","))
                {
                    break;
                }

                continue;
            }

            var star = Accept("**") ? 2 : Accept("*") ? 1 : 0;
            if (star == 1 && (At(",") || At(end)))
            {
                if (!Accept(","))
                {
                    break;
                }

                continue;
            }

            var name = ExpectName();
            Expr? annotation = null;
            if (end == ")" && Accept(":"))
            {
                annotation = At("*") ? ParseStarExpr() : ParseTest();
            }

            Expr? value = null;
            if (Accept("="))
            {
                value = ParseTest();
            }

            parameters.Add(new Parameter(name, star, annotation, value));
            if (!Accept(","))
            {
                break;
            }
        }

        return parameters;
    }

    private BlockStmt ParseMatch(Pos at, CancellationToken cancellationToken)
    {
        Next();
        var subject = ParseTestList(allowStar: true);
        Expect(":");
        if (Cur.Kind != TokenKind.Newline)
        {
            throw Fail("expected end of line after match subject");
        }

        Next();
        if (Cur.Kind != TokenKind.Indent)
        {
            throw Fail("expected an indented block of case clauses");
        }

        Next();
        var bodies = new List<IReadOnlyList<Stmt>>();
        var header = new List<Expr> { subject };
        while (Cur.Kind != TokenKind.Dedent && Cur.Kind != TokenKind.EndOfFile)
        {
            if (Cur.Kind == TokenKind.Newline)
            {
                Next();
                continue;
            }

            if (!AtKeyword("case"))
            {
                throw Fail("expected 'case'");
            }

            Next();
            // Patterns are skipped (they bind names but call nothing); a guard is an ordinary expression.
            var depth = 0;
            while (!(depth == 0 && (At(":") || AtKeyword("if"))))
            {
                if (Cur.Kind is TokenKind.Newline or TokenKind.EndOfFile)
                {
                    throw Fail("expected ':' after case pattern");
                }

                if (At("(") || At("[") || At("{"))
                {
                    depth++;
                }
                else if (At(")") || At("]") || At("}"))
                {
                    depth--;
                }

                Next();
            }

            if (Accept("if"))
            {
                header.Add(ParseNamedTest());
            }

            bodies.Add(ParseSuite(cancellationToken));
        }

        Accept(TokenKind.Dedent);
        return new BlockStmt(at, "match", header, [], bodies);
    }

    private Stmt ParseSimple()
    {
        var at = Pos.Of(Cur);
        if (Cur.Kind == TokenKind.Name)
        {
            switch (Cur.Text)
            {
                case "pass":
                case "break":
                case "continue":
                    return new SimpleStmt(at, Next().Text, []);
                case "return":
                    Next();
                    return new ReturnStmt(at, Cur.Kind is TokenKind.Newline or TokenKind.EndOfFile || At(";") ? null : ParseTestList(allowStar: true));
                case "raise":
                {
                    Next();
                    var children = new List<Expr>();
                    if (Cur.Kind is not (TokenKind.Newline or TokenKind.EndOfFile) && !At(";"))
                    {
                        children.Add(ParseTest());
                        if (Accept("from"))
                        {
                            children.Add(ParseTest());
                        }
                    }

                    return new SimpleStmt(at, "raise", children);
                }

                case "global":
                case "nonlocal":
                {
                    var kind = Next().Text;
                    var names = new List<Expr>();
                    do
                    {
                        var p = Pos.Of(Cur);
                        names.Add(new NameExpr(p, ExpectName()));
                    }
                    while (Accept(","));
                    return new SimpleStmt(at, kind, names);
                }

                case "del":
                    Next();
                    return new SimpleStmt(at, "del", [ParseTargetList()]);
                case "assert":
                {
                    Next();
                    var children = new List<Expr> { ParseTest() };
                    if (Accept(","))
                    {
                        children.Add(ParseTest());
                    }

                    return new SimpleStmt(at, "assert", children);
                }

                case "import":
                    return ParseImport(at);
                case "from":
                    return ParseFromImport(at);
                case "type" when Peek().Kind == TokenKind.Name && (Peek(2).Is("=") || Peek(2).Is("[")):
                {
                    Next();
                    var name = new NameExpr(Pos.Of(Cur), ExpectName());
                    SkipTypeParams();
                    Expect("=");
                    return new AssignStmt(at, [name], ParseTest(), "type");
                }
            }
        }

        var first = ParseTestList(allowStar: true, allowYield: true);
        if (At("="))
        {
            var targets = new List<Expr> { first };
            Expr value = first;
            while (Accept("="))
            {
                value = ParseTestList(allowStar: true, allowYield: true);
                targets.Add(value);
            }

            targets.RemoveAt(targets.Count - 1);
            return new AssignStmt(at, targets, value, "=");
        }

        if (IsAugmented(Cur))
        {
            var op = Next().Text;
            return new AssignStmt(at, [first], ParseTestList(allowStar: true, allowYield: true), op);
        }

        if (Accept(":"))
        {
            ParseTest();
            Expr? value = null;
            if (Accept("="))
            {
                value = ParseTestList(allowStar: true, allowYield: true);
            }

            return new AssignStmt(at, [first], value, ":");
        }

        return new ExprStmt(at, first);
    }

    private ImportStmt ParseImport(Pos at)
    {
        Next();
        var names = new List<ImportAlias>();
        do
        {
            var p = Pos.Of(Cur);
            var name = DottedName();
            string? asName = null;
            if (Accept("as"))
            {
                asName = ExpectName();
            }

            names.Add(new ImportAlias(name, asName, p));
        }
        while (Accept(","));
        return new ImportStmt(at, names);
    }

    private ImportFromStmt ParseFromImport(Pos at)
    {
        Next();
        var level = 0;
        while (At(".") || At("..."))
        {
            level += Next().Text.Length;
        }

        string? module = null;
        if (!AtKeyword("import"))
        {
            module = DottedName();
        }

        Expect("import");
        var names = new List<ImportAlias>();
        var parens = Accept("(");
        do
        {
            if (parens && At(")"))
            {
                break;
            }

            var p = Pos.Of(Cur);
            if (Accept("*"))
            {
                names.Add(new ImportAlias("*", null, p));
                continue;
            }

            var name = ExpectName();
            string? asName = null;
            if (Accept("as"))
            {
                asName = ExpectName();
            }

            names.Add(new ImportAlias(name, asName, p));
        }
        while (Accept(","));
        if (parens)
        {
            Expect(")");
        }

        return new ImportFromStmt(at, module, level, names);
    }

    private string DottedName()
    {
        var sb = new StringBuilder(ExpectName());
        while (Accept("."))
        {
            sb.Append('.').Append(ExpectName());
        }

        return sb.ToString();
    }

    // ---- Expressions --------------------------------------------------------------------------------------------

    /// <summary>Comma-separated expressions; a tuple when there is a comma.</summary>
    private Expr ParseTestList(bool allowStar = false, bool allowYield = false)
    {
        var at = Pos.Of(Cur);
        if (allowYield && AtKeyword("yield"))
        {
            return ParseYield();
        }

        var first = allowStar && At("*") ? ParseStarExpr() : ParseNamedTest();
        if (!At(","))
        {
            return first;
        }

        var items = new List<Expr?> { first };
        while (Accept(","))
        {
            if (!StartsExpression())
            {
                break;
            }

            items.Add(allowStar && At("*") ? ParseStarExpr() : ParseNamedTest());
        }

        return new CollectionExpr(at, "tuple", items);
    }

    private bool StartsExpression()
    {
        var t = Cur;
        return t.Kind switch
        {
            TokenKind.Name => !Keywords.Contains(t.Text) || t.Text is "None" or "True" or "False" or "not" or "lambda" or "await",
            TokenKind.Number or TokenKind.String => true,
            TokenKind.Op => t.Text is "(" or "[" or "{" or "-" or "+" or "~" or "*" or "..." or "**",
            _ => false,
        };
    }

    private OtherExpr ParseYield()
    {
        var at = Pos.Of(Next());
        if (Accept("from"))
        {
            return new OtherExpr(at, "yield", [ParseTest()]);
        }

        if (!StartsExpression())
        {
            return new OtherExpr(at, "yield", []);
        }

        return new OtherExpr(at, "yield", [ParseTestList(allowStar: true)]);
    }

    private OtherExpr ParseStarExpr()
    {
        var at = Pos.Of(Cur);
        Expect("*");
        return new OtherExpr(at, "starred", [ParseBitOr()]);
    }

    private Expr ParseNamedTest()
    {
        if (Cur.Kind == TokenKind.Name && Peek().Is(":="))
        {
            var at = Pos.Of(Cur);
            var name = Next().Text;
            Next();
            return new NamedExpr(at, name, ParseTest());
        }

        return ParseTest();
    }

    private Expr ParseTest()
    {
        Enter();
        try
        {
            if (AtKeyword("lambda"))
            {
                var at = Pos.Of(Next());
                var parameters = ParseParameters(":");
                Expect(":");
                return new LambdaExpr(at, parameters, ParseTest());
            }

            var body = ParseOr();
            if (AtKeyword("if") )
            {
                Next();
                var test = ParseOr();
                Expect("else");
                var orelse = ParseTest();
                return new OtherExpr(body.At, "ifexp", [test, body, orelse]);
            }

            return body;
        }
        finally
        {
            _depth--;
        }
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (AtKeyword("or"))
        {
            Next();
            left = new BinaryExpr(left.At, "or", left, ParseAnd());
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (AtKeyword("and"))
        {
            Next();
            left = new BinaryExpr(left.At, "and", left, ParseNot());
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (AtKeyword("not"))
        {
            var at = Pos.Of(Next());
            Enter();
            try
            {
                return new UnaryExpr(at, "not", ParseNot());
            }
            finally
            {
                _depth--;
            }
        }

        return ParseComparison();
    }

    private Expr ParseComparison()
    {
        var left = ParseBitOr();
        while (true)
        {
            string op;
            if (Cur.Kind == TokenKind.Op && Cur.Text is "<" or ">" or "==" or ">=" or "<=" or "!=")
            {
                op = Next().Text;
            }
            else if (AtKeyword("in"))
            {
                Next();
                op = "in";
            }
            else if (AtKeyword("not") && Peek().Is("in"))
            {
                Next();
                Next();
                op = "not in";
            }
            else if (AtKeyword("is"))
            {
                Next();
                op = Accept("not") ? "is not" : "is";
            }
            else
            {
                return left;
            }

            left = new BinaryExpr(left.At, op, left, ParseBitOr());
        }
    }

    private Expr ParseBitOr() => ParseBinary(0);

    private static readonly string[][] BinaryLevels =
    [
        ["|"], ["^"], ["&"], ["<<", ">>"], ["+", "-"], ["*", "/", "//", "%", "@"],
    ];

    private Expr ParseBinary(int level)
    {
        if (level == BinaryLevels.Length)
        {
            return ParseFactor();
        }

        var left = ParseBinary(level + 1);
        while (Cur.Kind == TokenKind.Op && BinaryLevels[level].Contains(Cur.Text))
        {
            var op = Next().Text;
            left = new BinaryExpr(left.At, op, left, ParseBinary(level + 1));
        }

        return left;
    }

    private Expr ParseFactor()
    {
        if (Cur.Kind == TokenKind.Op && Cur.Text is "+" or "-" or "~")
        {
            var at = Pos.Of(Cur);
            var op = Next().Text;
            Enter();
            try
            {
                return new UnaryExpr(at, op, ParseFactor());
            }
            finally
            {
                _depth--;
            }
        }

        var basis = ParsePower();
        return basis;
    }

    private Expr ParsePower()
    {
        Expr primary;
        if (AtKeyword("await"))
        {
            var at = Pos.Of(Next());
            primary = new OtherExpr(at, "await", [ParsePrimary()]);
        }
        else
        {
            primary = ParsePrimary();
        }

        if (Accept("**"))
        {
            return new BinaryExpr(primary.At, "**", primary, ParseFactor());
        }

        return primary;
    }

    private Expr ParsePrimary()
    {
        Enter();
        try
        {
            var e = ParseAtom();
            while (true)
            {
                if (Accept("."))
                {
                    e = new AttributeExpr(e.At, e, ExpectName());
                }
                else if (At("("))
                {
                    Next();
                    var args = ParseArguments();
                    Expect(")");
                    e = new CallExpr(e.At, e, args);
                }
                else if (At("["))
                {
                    Next();
                    var index = ParseSubscriptList();
                    Expect("]");
                    e = new SubscriptExpr(e.At, e, index);
                }
                else
                {
                    return e;
                }
            }
        }
        finally
        {
            _depth--;
        }
    }

    private List<Argument> ParseArguments()
    {
        var args = new List<Argument>();
        while (!At(")"))
        {
            if (Accept("**"))
            {
                args.Add(new Argument(null, 2, ParseTest()));
            }
            else if (Accept("*"))
            {
                args.Add(new Argument(null, 1, ParseTest()));
            }
            else if (Cur.Kind == TokenKind.Name && Peek().Is("=") && !Keywords.Contains(Cur.Text))
            {
                var keyword = Next().Text;
                Next();
                args.Add(new Argument(keyword, 0, ParseTest()));
            }
            else
            {
                var value = ParseNamedTest();
                if (AtKeyword("for") || (AtKeyword("async") && Peek().Is("for")))
                {
                    value = ParseComprehension(value.At, "genexp", [value]);
                }

                args.Add(new Argument(null, 0, value));
            }

            if (!Accept(","))
            {
                break;
            }
        }

        return args;
    }

    private Expr ParseSubscriptList()
    {
        var at = Pos.Of(Cur);
        var items = new List<Expr?> { ParseSliceItem() };
        var tuple = false;
        while (Accept(","))
        {
            tuple = true;
            if (At("]"))
            {
                break;
            }

            items.Add(ParseSliceItem());
        }

        return tuple ? new CollectionExpr(at, "tuple", items) : items[0]!;
    }

    private Expr ParseSliceItem()
    {
        var at = Pos.Of(Cur);
        if (At("*"))
        {
            return ParseStarExpr();
        }

        Expr? lower = null;
        if (!At(":"))
        {
            lower = ParseNamedTest();
            if (!At(":"))
            {
                return lower;
            }
        }

        var parts = new List<Expr?> { lower };
        while (Accept(":"))
        {
            parts.Add(At(":") || At("]") || At(",") ? null : ParseTest());
        }

        return new CollectionExpr(at, "slice", parts);
    }

    private CollectionExpr ParseComprehension(Pos at, string kind, List<Expr?> items)
    {
        while (AtKeyword("for") || (AtKeyword("async") && Peek().Is("for")))
        {
            Accept("async");
            Next();
            items.Add(ParseTargetList());
            Expect("in");
            items.Add(ParseOr());
            while (AtKeyword("if"))
            {
                Next();
                items.Add(ParseOrNoCond());
            }
        }

        return new CollectionExpr(at, kind, items);
    }

    private Expr ParseOrNoCond() => AtKeyword("lambda") ? ParseTest() : ParseOr();

    private Expr ParseTargetList()
    {
        var at = Pos.Of(Cur);
        var first = ParseTarget();
        if (!At(","))
        {
            return first;
        }

        var items = new List<Expr?> { first };
        while (Accept(","))
        {
            if (AtKeyword("in") || At("=") || At(":") || Cur.Kind is TokenKind.Newline or TokenKind.EndOfFile)
            {
                break;
            }

            items.Add(ParseTarget());
        }

        return new CollectionExpr(at, "tuple", items);
    }

    private Expr ParseTarget() => At("*") ? ParseStarExpr() : ParseBitOr();

    private Expr ParseAtom()
    {
        var t = Cur;
        var at = Pos.Of(t);
        switch (t.Kind)
        {
            case TokenKind.Name:
                if (t.Text is "None" or "True" or "False")
                {
                    Next();
                    return new ConstantExpr(at, t.Text, t.Text);
                }

                if (Keywords.Contains(t.Text))
                {
                    throw Fail("unexpected keyword");
                }

                Next();
                return new NameExpr(at, t.Text);
            case TokenKind.Number:
                Next();
                return new ConstantExpr(at, NumberKind(t.Text), t.Text.Replace("_", "", StringComparison.Ordinal));
            case TokenKind.String:
                return ParseStrings();
            case TokenKind.Op:
                switch (t.Text)
                {
                    case "...":
                        Next();
                        return new ConstantExpr(at, "Ellipsis", "...");
                    case "(":
                    {
                        Next();
                        if (Accept(")"))
                        {
                            return new CollectionExpr(at, "tuple", []);
                        }

                        if (AtKeyword("yield"))
                        {
                            var y = ParseYield();
                            Expect(")");
                            return y;
                        }

                        var first = At("*") ? ParseStarExpr() : ParseNamedTest();
                        if (AtKeyword("for") || (AtKeyword("async") && Peek().Is("for")))
                        {
                            var g = ParseComprehension(at, "genexp", [first]);
                            Expect(")");
                            return g;
                        }

                        if (Accept(")"))
                        {
                            return first;
                        }

                        var items = new List<Expr?> { first };
                        ParseMoreElements(items, ")");

                        Expect(")");
                        return new CollectionExpr(at, "tuple", items);
                    }

                    case "[":
                    {
                        Next();
                        var items = new List<Expr?>();
                        if (!At("]"))
                        {
                            var first = At("*") ? ParseStarExpr() : ParseNamedTest();
                            items.Add(first);
                            if (AtKeyword("for") || (AtKeyword("async") && Peek().Is("for")))
                            {
                                var c = ParseComprehension(at, "listcomp", items);
                                Expect("]");
                                return c;
                            }

                            ParseMoreElements(items, "]");
                        }

                        Expect("]");
                        return new CollectionExpr(at, "list", items);
                    }

                    case "{":
                        return ParseBraces();
                }

                break;
        }

        throw Fail("unexpected token");
    }

    /// <summary>After the first element of a tuple or list: ", element" pairs up to the closing bracket (a trailing comma is allowed).</summary>
    private void ParseMoreElements(List<Expr?> items, string close)
    {
        while (Accept(","))
        {
            if (At(close))
            {
                break;
            }

            items.Add(At("*") ? ParseStarExpr() : ParseNamedTest());
        }
    }

    private CollectionExpr ParseBraces()
    {
        var at = Pos.Of(Next());
        var items = new List<Expr?>();
        if (Accept("}"))
        {
            return new CollectionExpr(at, "dict", items);
        }

        var isDict = false;
        if (Accept("**"))
        {
            isDict = true;
            items.Add(null);
            items.Add(ParseBitOr());
        }
        else
        {
            var first = At("*") ? ParseStarExpr() : ParseNamedTest();
            items.Add(first);
            if (Accept(":"))
            {
                isDict = true;
                items.Add(ParseTest());
            }
        }

        if (AtKeyword("for") || (AtKeyword("async") && Peek().Is("for")))
        {
            var c = ParseComprehension(at, isDict ? "dictcomp" : "setcomp", items);
            Expect("}");
            return c;
        }

        while (Accept(","))
        {
            if (At("}"))
            {
                break;
            }

            if (isDict)
            {
                if (Accept("**"))
                {
                    items.Add(null);
                    items.Add(ParseBitOr());
                }
                else
                {
                    items.Add(ParseTest());
                    Expect(":");
                    items.Add(ParseTest());
                }
            }
            else
            {
                items.Add(At("*") ? ParseStarExpr() : ParseNamedTest());
            }
        }

        Expect("}");
        return new CollectionExpr(at, isDict ? "dict" : "set", items);
    }

    private static string NumberKind(string text) =>
        text.EndsWith('j') || text.EndsWith('J') ? "complex"
        : text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || text.StartsWith("0o", StringComparison.OrdinalIgnoreCase) || text.StartsWith("0b", StringComparison.OrdinalIgnoreCase) ? "int"
        : text.Contains('.', StringComparison.Ordinal) || text.Contains('e', StringComparison.OrdinalIgnoreCase) ? "float"
        : "int";

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
