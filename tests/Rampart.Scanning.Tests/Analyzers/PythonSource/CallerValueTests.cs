using System.Text;
using Rampart.Core;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.PythonSource;

/// <summary>
/// Values followed into functions from their callers (issue 18, PyCallers): a helper that every caller in sight gives
/// the program's own constants is quiet; one caller with input anywhere is reported, with the call that carries it;
/// a function that can be called from out of sight (importable, passed as a value, decorated, called with *args)
/// keeps its parameters unknown input.
/// </summary>
public sealed class CallerValueTests
{
    private static async Task<IReadOnlyList<Finding>> Scan(string source, string rule, string name = "tool.py")
    {
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(source.ReplaceLineEndings("\n")), name);
        return [.. report.Findings.Where(f => f.RuleId == rule)];
    }

    private static async Task<IReadOnlyList<Finding>> ScanNotebook(string rule, params string[] cells)
    {
        var builder = new NotebookBuilder();
        foreach (var cell in cells)
        {
            builder.Code(cell.ReplaceLineEndings("\n"));
        }

        var report = await ScanHelper.ScanBytesAsync(builder.Build(), "analysis.ipynb");
        return [.. report.Findings.Where(f => f.RuleId == rule)];
    }

    [Theory]
    [InlineData("""
        import subprocess

        def _run(cmd):
            return subprocess.run(cmd, shell=True, check=True)

        _run("git submodule update --init")
        _run("make -C csrc")
        """)]
    [InlineData("""
        import os

        def main():
            def sh(command, quiet=False):
                os.system(f"{command} > /dev/null" if quiet else command)
            sh("nvidia-smi", quiet=True)
            sh(f"pip install -r {'requirements.txt'}")

        if __name__ == "__main__":
            main()
        """)]
    [InlineData("""
        import subprocess

        def _git(args="describe --tags --always"):
            return subprocess.check_output(f"git {args}", shell=True).decode()

        VERSION = _git()
        BRANCH = _git("rev-parse --abbrev-ref HEAD")
        """)]
    [InlineData("""
        class _Builder:
            def __init__(self, expr):
                self.expr = expr

            def build(self):
                return eval(self.expr)

        relu = _Builder("torch.nn.ReLU()").build()
        gelu = _Builder(expr="torch.nn.GELU()").build()
        """)]
    public async Task HelperGivenOnlyConstantsByEveryCaller_IsQuiet(string source)
    {
        var rule = source.Contains("eval(", StringComparison.Ordinal) ? "RAMP-PY-006" : "RAMP-PY-007";
        (await Scan(source, rule)).Should().BeEmpty();
    }

    [Fact]
    public async Task NotebookDisplayHelper_EvalOfNamesEveryCellPassesAsConstants_IsQuiet()
    {
        // The pandas notebooks' helper: a class defined in one cell, eval() over the names other cells give it.
        var findings = await ScanNotebook("RAMP-PY-006",
            """
            class display(object):
                template = "<p>{0}</p>{1}"
                def __init__(self, *args):
                    self.args = args

                def _repr_html_(self):
                    return '\n'.join(self.template.format(a, eval(a)._repr_html_())
                                     for a in self.args)

                def __repr__(self):
                    return '\n\n'.join(a + '\n' + repr(eval(a))
                                       for a in self.args)
            """,
            "df1 = make_df('AB', [1, 2])\ndf2 = make_df('AB', [3, 4])\ndisplay('df1', 'df2', 'pd.concat([df1, df2])')",
            "display('x', 'y', \"pd.concat([x, y], keys=['x', 'y'])\")");
        findings.Should().BeEmpty();
    }

    [Fact]
    public async Task NotebookDisplayHelper_OneCellPassesInput_IsReportedWithTheCall()
    {
        var findings = await ScanNotebook("RAMP-PY-006",
            """
            class display(object):
                def __init__(self, *args):
                    self.args = args

                def __repr__(self):
                    return '\n\n'.join(a + '\n' + repr(eval(a)) for a in self.args)
            """,
            "display('df1', 'df2')",
            "display('df1', input('expression: '))");
        var finding = findings.Should().ContainSingle().Subject;
        finding.Message.Should().Contain("external input (input)").And.Contain("passed as 'args' to display() at line 1");
    }

    [Fact]
    public async Task WrapperCalledOnceWithCommandLineInput_IsReportedWithTheCallSite()
    {
        var findings = await Scan("""
            import subprocess, sys

            def _run(cmd):
                subprocess.run(cmd, shell=True)

            _run("make clean")
            _run("make all")
            _run("make " + sys.argv[1])
            """, "RAMP-PY-007");
        var finding = findings.Should().ContainSingle().Subject;
        finding.Location.Line.Should().Be(4);
        finding.Message.Should().Contain("passed as 'cmd' to _run() at line 8");
    }

    [Fact]
    public async Task ChainOfWrappers_InputAtTheOuterCaller_IsReported()
    {
        var findings = await Scan("""
            import os

            def _shell(line):
                os.system(line)

            def _install(package):
                _shell(f"pip install {package}")

            _install("numpy")
            _install(os.environ["EXTRA_PACKAGE"])
            """, "RAMP-PY-007");
        findings.Should().ContainSingle().Which.Location.Line.Should().Be(4);
    }

    [Theory]
    [InlineData("""
        import subprocess

        def run_cmd(cmd):
            subprocess.run(cmd, shell=True)

        run_cmd("ls")
        """)]
    [InlineData("""
        import subprocess

        def _run(cmd):
            subprocess.run(cmd, shell=True)

        _run("ls")
        HOOKS = {"list": _run}
        """)]
    [InlineData("""
        import subprocess

        def _run(cmd):
            subprocess.run(cmd, shell=True)

        _run("ls")
        _run(*COMMANDS)
        """)]
    [InlineData("""
        import subprocess, functools

        @functools.lru_cache
        def _run(cmd):
            subprocess.run(cmd, shell=True)

        _run("ls")
        """)]
    [InlineData("""
        import subprocess

        class _Runner:
            def run(self, cmd):
                subprocess.run(cmd, shell=True)

            def setup(self):
                self.run("make")

        runner = get_runner()
        runner.run(user_command)
        """)]
    public async Task FunctionCallableFromOutOfSight_KeepsItsParameterUnknown(string source) =>
        (await Scan(source, "RAMP-PY-007")).Should().ContainSingle();

    [Fact]
    public async Task RecursiveAndMutuallyRecursiveHelpers_AreBoundedAndJudged()
    {
        var source = new StringBuilder("import os\n");
        for (var i = 0; i < 300; i++)
        {
            source.Append($"def _f{i}(x):\n    return _f{i + 1}(x)\n");
        }

        source.Append("def _f300(x):\n    os.system(x)\n    return _f0(x)\n_f0('ls')\n_f0(f'ls {input()}')\n");
        var findings = await Scan(source.ToString(), "RAMP-PY-007");
        // The chain is deeper than values are followed: the parameter stays unknown input, never a crash or a "clean".
        findings.Should().ContainSingle();
    }
}
