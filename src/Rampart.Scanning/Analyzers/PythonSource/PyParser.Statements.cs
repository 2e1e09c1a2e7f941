using System.Text;

namespace Rampart.Scanning.Analyzers.PythonSource;

// PyParser, part: Statements: simple statements, compound blocks (if/for/while/try/with/match), definitions and imports.
internal sealed partial class PyParser
{
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
                body.Add(new ErrorStmt(at, "unexpected indent", ParseBlockBody(cancellationToken)));
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
                body = ParseBlockBody(cancellationToken);
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

        return ParseSimpleLine();
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
            return ParseBlockBody(cancellationToken);
        }

        // Simple statements on the same line.
        return ParseSimpleLine();
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
        List<Expr> tests = [ParseNamedTest()];
        List<IReadOnlyList<Stmt>> bodies = [ParseSuite(cancellationToken)];
        // elif chains are read in a loop (a 10,000-branch chain is not 10,000 nested calls): one test per branch,
        // bodies in order, the else body (possibly empty) last.
        while (AtKeyword("elif"))
        {
            cancellationToken.ThrowIfCancellationRequested();
            Next();
            tests.Add(ParseNamedTest());
            bodies.Add(ParseSuite(cancellationToken));
        }

        bodies.Add(AtKeyword("else") ? ParseElse(cancellationToken) : []);
        return new BlockStmt(at, "if", tests, [], bodies);
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

    /// <summary>Simple statements separated by ';' up to the end of the line (a trailing ';' is allowed).</summary>
    private List<Stmt> ParseSimpleLine()
    {
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
}
