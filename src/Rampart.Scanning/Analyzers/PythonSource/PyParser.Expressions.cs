namespace Rampart.Scanning.Analyzers.PythonSource;

// PyParser, part: Expressions: precedence levels from conditional expressions down to atoms, calls, subscripts and comprehensions.
internal sealed partial class PyParser
{
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
            Enter();
            try
            {
                return new BinaryExpr(primary.At, "**", primary, ParseFactor());
            }
            finally
            {
                _depth--;
            }
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
}
