using Rampart.Scanning.Analyzers.PythonSource;

namespace Rampart.Scanning.Tests.Analyzers.PythonSource;

public sealed class PyParserTests
{
    private static PyModule ParseClean(string source)
    {
        var module = PyParser.Parse(source);
        module.Errors.Should().BeEmpty();
        return module;
    }

    [Fact]
    public void Tokenize_Operators_IncludeWalrusArrowAndEllipsis()
    {
        var (tokens, errors) = PyTokenizer.Tokenize("def f(x) -> int:\n    if (y := x ** 2) >= 1_000: return ...\n");
        errors.Should().BeEmpty();
        tokens.Where(t => t.Kind == TokenKind.Op).Select(t => t.Text).Should().Contain([":=", "->", "**", ">=", "..."]);
        tokens.Should().Contain(t => t.Kind == TokenKind.Number && t.Text == "1_000");
        tokens.Should().Contain(t => t.Kind == TokenKind.Indent);
    }

    [Fact]
    public void Tokenize_StringPrefixes_AllRecognised()
    {
        var (tokens, errors) = PyTokenizer.Tokenize("a = [r'\\d', b'x', rb'y', BR'z', u'w', f'{a}', Rf'{b}', fr'\\{{', '''t\n''', \"\"\"q\"\"\"]\n");
        errors.Should().BeEmpty();
        tokens.Count(t => t.Kind == TokenKind.String).Should().Be(10);
    }

    [Fact]
    public void Parse_NestedFStringWithSameQuotes_Pep701()
    {
        var module = ParseClean("x = f\"{d[\"k\"]!r:>{width}} and {f'{y}'}\"\n");
        var assign = module.Body.Single().Should().BeOfType<AssignStmt>().Subject;
        var f = assign.Value.Should().BeOfType<FStringExpr>().Subject;
        f.Parts.Where(p => p.Value is not null).Should().HaveCount(2);
        f.Parts.Should().Contain(p => p.Constant == " and ");
    }

    [Fact]
    public void Parse_FStringField_HasExactPosition()
    {
        var module = ParseClean("x = 1\ns = f'a{torch.load(p)}'\n");
        var f = ((AssignStmt)module.Body[1]).Value.Should().BeOfType<FStringExpr>().Subject;
        var call = f.Parts.Single(p => p.Value is not null).Value.Should().BeOfType<CallExpr>().Subject;
        call.At.Should().Be(new Pos(2, 9));
    }

    [Fact]
    public void Parse_ImportsWithAliasesAndRelative()
    {
        var module = ParseClean("import a.b as c, d\nfrom ..x.y import (z as w, v,)\nfrom . import q\n");
        module.Body[0].Should().BeOfType<ImportStmt>().Which.Names.Select(n => (n.Name, n.AsName)).Should().Equal(("a.b", "c"), ("d", null));
        var from = module.Body[1].Should().BeOfType<ImportFromStmt>().Subject;
        from.Level.Should().Be(2);
        from.Module.Should().Be("x.y");
        from.Names.Select(n => n.AsName ?? n.Name).Should().Equal("w", "v");
        module.Body[2].Should().BeOfType<ImportFromStmt>().Which.Level.Should().Be(1);
    }

    [Fact]
    public void Parse_CallArguments_PositionalKeywordStarAndDoubleStar()
    {
        var module = ParseClean("f(1, *a, k=2, **kw)\n");
        var call = ((ExprStmt)module.Body[0]).Value.Should().BeOfType<CallExpr>().Subject;
        call.Args.Select(a => (a.Keyword, a.Star)).Should().Equal((null, 0), (null, 1), ("k", 0), (null, 2));
    }

    [Fact]
    public void Parse_SoftKeywords_MatchCaseTypeAndPlainNames()
    {
        var source = "match = 1\nmatch.x = 2\nmatch(a)\nmatch p:\n    case {'k': [1, *rest]} if rest:\n        g()\n    case _:\n        pass\ntype Alias[T] = list[T]\ntype = 3\n";
        var module = ParseClean(source);
        module.Body.OfType<BlockStmt>().Should().ContainSingle(b => b.Kind == "match").Which.Bodies.Should().HaveCount(2);
    }

    [Fact]
    public void Parse_DecoratedAsyncDefWithParameters()
    {
        var module = ParseClean("@app.post('/p', dependencies=[Depends(auth)])\nasync def h(a, /, b: int = 1, *args, c, **kw) -> dict[str, int]:\n    return {'a': a, **kw}\n");
        var def = module.Body.Single().Should().BeOfType<FunctionDef>().Subject;
        def.IsAsync.Should().BeTrue();
        def.Decorators.Should().ContainSingle();
        def.Params.Select(p => p.Name).Should().Equal("a", "b", "args", "c", "kw");
    }

    [Fact]
    public void Parse_ParenthesizedWithItems()
    {
        var module = ParseClean("with (open(a) as f, open(b) as g):\n    pass\nwith (yield x):\n    pass\n");
        module.Body.OfType<BlockStmt>().First().Items.Should().HaveCount(2);
    }

    [Fact]
    public void Parse_BrokenStatement_SkippedAndCountedThenContinues()
    {
        var module = PyParser.Parse("print 'py2'\nif x:\n    y = = 2\n    torch.load(p)\nz = 3\n");
        module.Errors.Should().HaveCount(2);
        module.Body.OfType<AssignStmt>().Should().ContainSingle();
        var block = module.Body.OfType<BlockStmt>().Single();
        block.Bodies[0].OfType<ExprStmt>().Should().ContainSingle();
    }

    [Fact]
    public void Parse_HeaderError_StillWalksIndentedBody()
    {
        var module = PyParser.Parse("def f(x) x:\n    eval(x)\n");
        module.Errors.Should().NotBeEmpty();
        module.Body.OfType<ErrorStmt>().Single().Body.Should().ContainSingle();
    }

    [Fact]
    public void Parse_DeepNesting_ErrorNotCrash()
    {
        var source = "x = " + new string('(', 5000) + new string(')', 5000) + "\n";
        var module = PyParser.Parse(source);
        module.Errors.Should().Contain(e => e.Contains("nesting", StringComparison.Ordinal));
    }

    private const string Alphabet = "()[]{}:'\"\\\n\t #fr=.,*@xy0";

    [Fact]
    public void Parse_GarbageBytes_NeverThrows()
    {
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var chars = new char[random.Next(1, 400)];
            for (var j = 0; j < chars.Length; j++)
            {
                chars[j] = Alphabet[random.Next(Alphabet.Length)];
            }

            var act = () => PyParser.Parse(new string(chars));
            act.Should().NotThrow();
        }
    }

    [Fact]
    public void Parse_RawFStringBraceAfterBackslash_IsLiteral()
    {
        ParseClean("a = fr'\\{{'\nb = f'\\N{LEFT CURLY BRACKET}{x}'\n");
    }

    [Fact]
    public void Parse_ListOfRawStringsAfterFStringComprehension()
    {
        ParseClean("if c:\n    p = [\n        f'{drive}{prefix}' for prefix in ps]\n    p += [r'\\\\?\\C:\\foo', r'\\\\localhost\\c$\\bar']\nfor q in p:\n    pass\n");
    }

    [Fact]
    public void Decode_CodingCookie_Latin1()
    {
        var bytes = System.Text.Encoding.Latin1.GetBytes("# -*- coding: latin-1 -*-\ns = 'caf\u00e9'\n");
        var text = PySourceDecoder.Decode(bytes, out var encoding, out var problem);
        encoding.Should().Be("latin-1");
        problem.Should().BeNull();
        text.Should().Contain("caf\u00e9");
    }

    [Fact]
    public void Decode_Utf8Bom_Stripped()
    {
        var text = PySourceDecoder.Decode([0xEF, 0xBB, 0xBF, .. "x = 1\n"u8.ToArray()], out var encoding, out _);
        encoding.Should().Be("utf-8-sig");
        text.Should().Be("x = 1\n");
    }
}
