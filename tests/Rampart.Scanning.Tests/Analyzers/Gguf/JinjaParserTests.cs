using Rampart.Scanning.Analyzers.Gguf.Jinja;

namespace Rampart.Scanning.Tests.Analyzers.Gguf;

public sealed class JinjaParserTests
{
    private static Expr Expression(string source) => ((OutputStmt)JinjaParser.Parse("{{ " + source + " }}").Body.Single()).Value;

    [Fact]
    public void Parse_Precedence_FollowsJinja()
    {
        var e = Expression("a + b ~ c * d ** e");

        // + binds looser than ~, which binds looser than *, then **.
        var plus = e.Should().BeOfType<BinaryExpr>().Subject;
        plus.Operator.Should().Be("+");
        var concat = plus.Right.Should().BeOfType<ConcatExpr>().Subject;
        var times = concat.Items[1].Should().BeOfType<BinaryExpr>().Subject;
        times.Operator.Should().Be("*");
        times.Right.Should().BeOfType<BinaryExpr>().Which.Operator.Should().Be("**");
    }

    [Fact]
    public void Parse_UnaryMinusThenFilter_FilterTakesTheNegation()
    {
        // Jinja's parse_unary parses the operand without filters, then applies the filters to the negation.
        var e = Expression("-x|abs");

        e.Should().BeOfType<FilterExpr>().Which.Input.Should().BeOfType<UnaryExpr>();
    }

    [Fact]
    public void Parse_InlineIfAndTests()
    {
        var e = Expression("a if b is not defined and c is divisibleby 3 else d|default('x')");

        var cond = e.Should().BeOfType<CondExpr>().Subject;
        var and = cond.Test.Should().BeOfType<BinaryExpr>().Subject;
        and.Left.Should().BeOfType<TestExpr>().Which.Negated.Should().BeTrue();
        and.Right.Should().BeOfType<TestExpr>().Which.Args.Positional.Should().ContainSingle();
        cond.Otherwise.Should().BeOfType<FilterExpr>();
    }

    [Fact]
    public void Parse_LiteralsSubscriptsSlicesAndCalls()
    {
        var e = Expression("{'a': [1, 2.5, (3, 'x'), none, true]}['a'][1:-1:2].f(1, k=2, *args, **kw)");

        var call = e.Should().BeOfType<CallExpr>().Subject;
        call.Args.Positional.Should().ContainSingle();
        call.Args.Keywords.Should().ContainSingle(k => k.Name == "k");
        call.Args.DynamicArgs.Should().NotBeNull();
        call.Args.DynamicKeywords.Should().NotBeNull();
        var getattr = call.Function.Should().BeOfType<GetattrExpr>().Subject;
        getattr.Target.Should().BeOfType<GetitemExpr>().Which.Key.Should().BeOfType<SliceExpr>();
    }

    [Fact]
    public void Parse_CompareChainsAndNotIn()
    {
        var e = Expression("1 < x <= 3 and 'a' not in y");

        var and = e.Should().BeOfType<BinaryExpr>().Subject;
        and.Left.Should().BeOfType<CompareExpr>().Which.Rest.Should().HaveCount(2);
        and.Right.Should().BeOfType<CompareExpr>().Which.Rest.Single().Operator.Should().Be("notin");
    }

    [Fact]
    public void Parse_Statements_AllKinds()
    {
        const string Source = """
            {%- for a, b in items|dictsort if a recursive -%}{{ loop.index }}{% break %}{% else %}none{%- endfor %}
            {% if x %}1{% elif y %}2{% else %}3{% endif %}
            {% set n = 1 %}{% set ns.v = 2 %}{% set block | upper %}text{% endset %}
            {% macro m(a, b=2) %}{{ caller() }}{% endmacro %}{% call(x) m(1) %}body{% endcall %}
            {% filter upper|trim %}t{% endfilter %}{% raw %}{{ not parsed }}{% endraw %}
            {% include 'a' ignore missing with context %}{% import 'b' as b %}{% from 'c' import d as e, f %}
            {% block body scoped %}b{% endblock body %}{% do x.append(1) %}{% with a = 1, b = 2 %}{{ a }}{% endwith %}
            {% autoescape true %}x{% endautoescape %}{% generation %}g{% endgeneration %}{# comment #}
            """;

        var tree = JinjaParser.Parse(Source);

        var all = Flatten(tree).ToList();
        all.OfType<ForStmt>().Single().Recursive.Should().BeTrue();
        all.OfType<IfStmt>().Should().HaveCount(2);
        all.OfType<SetBlockStmt>().Single().Filter!.Name.Should().Be("upper");
        all.OfType<MacroStmt>().Single().Parameters.Should().HaveCount(2);
        all.OfType<CallBlockStmt>().Should().ContainSingle();
        all.OfType<FilterBlockStmt>().Single().Filter.Name.Should().Be("trim");
        all.OfType<TextStmt>().Should().Contain(t => t.Text == "{{ not parsed }}");
        all.OfType<LoadStmt>().Select(l => l.Tag).Should().Equal("include", "import", "from");
        all.OfType<LoadStmt>().Single(l => l.Tag == "from").Names.Should().Equal("e", "f");
        all.OfType<BlockStmt>().Should().ContainSingle();
        all.OfType<ExprStmt>().Single().Tag.Should().Be("do");
        all.OfType<WithStmt>().Single().Assignments.Should().HaveCount(2);
        all.OfType<ScopedStmt>().Select(s => s.Tag).Should().Equal("autoescape", "generation");
        all.OfType<LoopControlStmt>().Should().ContainSingle();
    }

    [Fact]
    public void Parse_NestedBracesInsideOutput_NotTakenAsEnd()
    {
        var e = Expression("{'a': {'b': 1}}");

        e.Should().BeOfType<DictExpr>().Which.Pairs.Single().Value.Should().BeOfType<DictExpr>();
    }

    [Theory]
    [InlineData("{% if x %}open", 1, 15)]
    [InlineData("line one\n{{ x + }}", 2, 8)]
    [InlineData("{% unknowntag %}", 1, 4)]
    [InlineData("{{ 'unterminated }}", 1, 4)]
    [InlineData("{# never closed", 1, 1)]
    [InlineData("{{ (a ] }}", 1, 7)]
    public void Parse_Invalid_ThrowsWithPosition(string source, int line, int column)
    {
        var act = () => JinjaParser.Parse(source);

        var error = act.Should().Throw<JinjaSyntaxException>().Which;
        error.Line.Should().Be(line);
        error.Column.Should().Be(column);
    }

    [Fact]
    public void Parse_DeepNesting_RefusedNotStackOverflow()
    {
        var source = "{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}";

        var act = () => JinjaParser.Parse(source);

        act.Should().Throw<JinjaSyntaxException>().WithMessage("*deeper*");
    }

    [Fact]
    public void Parse_StringEscapes_Decoded()
    {
        Expression("'a\\n\\x41\\u00e9\\'' \"b\"").Should().BeOfType<ConstExpr>().Which.Value.Should().Be("a\nAé'b");
    }

    private static IEnumerable<JinjaNode> Flatten(JinjaNode node) => new[] { node }.Concat(node.Children.SelectMany(Flatten));
}
