using System.Text;
using Rampart.Scanning.Engine;
using Rampart.Scanning.Analyzers.PythonSource;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.PythonSource;

/// <summary>
/// Hostile shapes of source: every walk over the syntax tree (parser, fact collection, rendering, rules) is bounded
/// or iterative, so a scan of them ends with a report (Inconclusive where a limit stops the parser), never a stack
/// overflow that kills the process. A recursive walk fails these tests by crashing the test host.
/// </summary>
public sealed class DeepSyntaxTests
{
    private static string Repeat(string part, int count) => new StringBuilder(part.Length * count).Insert(0, part, count).ToString();

    private static string Chain(string head, string op, string term, int count)
    {
        var sb = new StringBuilder(head);
        for (var i = 0; i < count; i++)
        {
            sb.Append(op).Append(term);
        }

        return sb.ToString();
    }

    /// <summary>Shapes that are flat for the parser (loops) but build trees as deep as they are long.</summary>
    public static TheoryData<string, string> LongChains() => new()
    {
        { "string concatenation", "import os\nx = " + Chain("'a'", " + ", "'b'", 100_000) + "\nos.system(x + user)\n" },
        { "mixed concatenation", "import os\ndef f(user):\n    cmd = " + Chain("'ls '", " + ", "user", 100_000) + "\n    os.system(cmd)\n" },
        { "attribute chain", "import os\ny = os" + Repeat(".path", 100_000) + "\n" },
        { "call chain", "f = g" + Repeat("()", 100_000) + "\n" },
        { "subscript chain", "v = table" + Repeat("[0]", 100_000) + "\n" },
        { "boolean chain", "ok = " + Chain("a", " and ", "b", 50_000) + " or " + Chain("c", " or ", "d", 50_000) + "\n" },
        { "comparison chain", "ok = " + Chain("a", " < ", "b", 100_000) + "\n" },
        { "f-string of a long concatenation", "import os\ndef f(u):\n    os.system(f\"echo {" + Chain("u", " + ", "u", 50_000) + "}\")\n" },
    };

    [Theory]
    [MemberData(nameof(LongChains))]
    public async Task LongChain_ScanEndsWithAReport(string shape, string source)
    {
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(source), "chain.py");
        var artifact = report.Artifacts.Should().ContainSingle($"{shape} must be scanned, not crash").Subject;
        artifact.Facts["python.parse-errors"].Should().Be("0", shape);
        report.Findings.Should().NotContain(f => f.RuleId == RuleIds.AnalyzerFailure, shape);
    }

    [Fact]
    public async Task LongConcatenationInShellCall_StillReportedWithAShortMessage()
    {
        var source = "import os\ndef f(user):\n    os.system(" + Chain("'ls '", " + ", "'-l '", 100_000) + " + user)\n";
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(source), "cmd.py");
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-PY-007").Which.Message.Length.Should().BeLessThan(400);
    }

    /// <summary>Shapes the parser reads by recursion: past its depth limit they are Inconclusive, not a crash.</summary>
    public static TheoryData<string, string> DeepNesting() => new()
    {
        { "parentheses", "x = " + Repeat("(", 50_000) + "1" + Repeat(")", 50_000) + "\n" },
        { "brackets", "x = " + Repeat("[", 50_000) + Repeat("]", 50_000) + "\n" },
        { "braces", "x = " + Repeat("{1: ", 20_000) + "1" + Repeat("}", 20_000) + "\n" },
        { "lambdas", "f = " + Repeat("lambda: ", 50_000) + "0\n" },
        { "comprehensions", "x = " + Repeat("[y for y in ", 20_000) + "z" + Repeat("]", 20_000) + "\n" },
        { "conditional expressions", "x = " + Repeat("a if b else ", 50_000) + "c\n" },
        { "not", "x = " + Repeat("not ", 50_000) + "y\n" },
        { "unary minus", "x = " + Repeat("-", 50_000) + "1\n" },
        { "power", "x = " + Chain("2", " ** ", "2", 50_000) + "\n" },
        { "nested calls", "x = " + Repeat("f(", 50_000) + Repeat(")", 50_000) + "\n" },
        { "nested f-strings", "x = " + Repeat("f'{", 300) + "1" + Repeat("}'", 300) + "\n" },
        { "nested blocks", NestedBlocks(2_000) },
    };

    private static string NestedBlocks(int depth)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            sb.Append(' ', i).Append("if x:\n");
        }

        return sb.Append(' ', depth).Append("pass\n").Append("import os\nos.system(input())\n").ToString();
    }

    [Theory]
    [MemberData(nameof(DeepNesting))]
    public async Task DeepNesting_InconclusiveWithALimitNotACrash(string shape, string source)
    {
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(source), "deep.py");
        report.Artifacts.Should().ContainSingle(shape);
        report.Findings.Should().Contain(f => f.RuleId == RuleIds.LimitReached && f.Message.Contains("max-syntax-depth", StringComparison.Ordinal), shape);
        report.Findings.Should().NotContain(f => f.RuleId == RuleIds.AnalyzerFailure, shape);
    }

    [Fact]
    public async Task NestedBlocks_CodeAfterTheSkippedBlockIsStillReviewed()
    {
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(NestedBlocks(1_000)), "deep.py");
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-PY-007");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(5_000)]
    [InlineData(30_000)]
    public async Task LongElifChain_ParsedWithoutLimitAndEveryBranchReviewed(int branches)
    {
        var sb = new StringBuilder("import os, pickle\ndef dispatch(kind, blob, cmd):\n    if kind == 0:\n        pass\n");
        for (var i = 1; i < branches; i++)
        {
            sb.Append("    elif kind == ").Append(i).Append(":\n        pass\n");
        }

        sb.Append("    elif kind == -1:\n        pickle.loads(blob)\n    else:\n        os.system(cmd)\n");
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(sb.ToString()), "dispatch.py");
        report.Artifacts.Single().Facts["python.parse-errors"].Should().Be("0");
        report.Findings.Should().NotContain(f => f.RuleId == RuleIds.LimitReached);
        report.Findings.Select(f => f.RuleId).Should().Contain(["RAMP-PY-002", "RAMP-PY-007"]);
    }

    [Fact]
    public void ElifChain_IsOneIfBlockWithATestPerBranch()
    {
        var module = PyParser.Parse("if a:\n    x = 1\nelif b:\n    x = 2\nelif c:\n    x = 3\nelse:\n    x = 4\n");
        var block = module.Body.Should().ContainSingle().Which.Should().BeOfType<BlockStmt>().Subject;
        block.Kind.Should().Be("if");
        block.Header.Select(h => ((NameExpr)h).Id).Should().Equal("a", "b", "c");
        block.Bodies.Should().HaveCount(4);
        block.Bodies[3].Should().ContainSingle().Which.Should().BeOfType<AssignStmt>();
    }

    [Fact]
    public async Task NotebookCellWithLongConcatenation_ScanEndsWithAReport()
    {
        var bytes = new NotebookBuilder().Code("import os\ncmd = " + Chain("'a'", " + ", "'b'", 100_000) + "\nos.system(cmd + x)").Build();
        var report = await ScanHelper.ScanBytesAsync(bytes, "long.ipynb");
        report.Artifacts.Should().ContainSingle();
        report.Findings.Should().NotContain(f => f.RuleId == RuleIds.AnalyzerFailure);
    }

    [Fact]
    public async Task NotebookCellNestedTooDeep_IsInconclusive()
    {
        var bytes = new NotebookBuilder().Code("x = " + Repeat("(", 20_000) + "1" + Repeat(")", 20_000)).Build();
        var report = await ScanHelper.ScanBytesAsync(bytes, "deep.ipynb");
        report.Findings.Should().Contain(f => f.RuleId == RuleIds.LimitReached);
    }
}
