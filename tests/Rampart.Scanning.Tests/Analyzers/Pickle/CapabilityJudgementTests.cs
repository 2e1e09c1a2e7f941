using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Scanning.Analyzers.Pickle;
using Rampart.Scanning.Analyzers.Pickle.Capabilities;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>Globals no profile knows, judged by the shipped capability map of the real standard library.</summary>
public sealed class CapabilityJudgementTests
{
    [Theory]
    [InlineData("platform", "architecture", Capability.ProcessExecution, "subprocess.Popen")]
    [InlineData("logging", "FileHandler", Capability.FileWrite, "logging.FileHandler.__init__")]
    [InlineData("mailbox", "mbox", Capability.FileWrite, "mailbox.")]
    [InlineData("collections", "namedtuple", Capability.DynamicCode, "builtins.eval")]
    [InlineData("dataclasses", "make_dataclass", Capability.DynamicCode, "builtins.eval")]
    [InlineData("logging.handlers", "SysLogHandler", Capability.Network, "_socket.")]
    [InlineData("logging.handlers", "SocketHandler.makeSocket", Capability.Network, "socket.socket")]
    [InlineData("gzip", "open", Capability.FileWrite, "gzip.GzipFile")]
    [InlineData("py_compile", "compile", Capability.FileWrite, "py_compile.compile")]
    public async Task Scan_StdlibCallableThatCanReachACapability_IsMaliciousWithTheChain(string module, string name, string capability, string onChain)
    {
        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle(module, name, "x"), "model.pkl");

        report.Artifacts[0].Verdict.Should().Be(Verdict.Malicious);
        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be(GlobalJudge.CapabilityRule);
        finding.Property("capabilities").Should().Contain(capability);
        var chain = finding.Property("chain")!;
        chain.Should().StartWith(module + "." + name + " -> ").And.Contain(onChain);
        finding.Message.Should().Contain(chain).And.Contain(Capability.Words[capability]);
        finding.Property("decidedBy").Should().StartWith(GlobalJudge.CapabilityMapSource + " (cpython ");
    }

    [Theory]
    [InlineData("colorsys", "rgb_to_hsv")]
    [InlineData("colorsys", "hls_to_rgb")]
    [InlineData("bisect", "insort_left")]
    [InlineData("statistics", "NormalDist")]
    [InlineData("graphlib", "TopologicalSorter")]
    public async Task Scan_StdlibCallableTheMapShowsReachesNothing_NeedsReview(string module, string name)
    {
        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle(module, name, "x"), "model.pkl");

        report.Artifacts[0].Verdict.Should().Be(Verdict.NeedsReview);
        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be(GlobalJudge.NoCapabilityRule);
        finding.Property("decidedBy").Should().StartWith(GlobalJudge.CapabilityMapSource);
    }

    [Theory]
    [InlineData("mylib.payloads", "Backdoor")]
    [InlineData("copy", "deepcopy")]
    [InlineData("colorsys", "no_such_function")]
    [InlineData("platform.os", "system")]
    public async Task Scan_GlobalTheMapDoesNotKnowOrCannotResolve_StaysAsStrictAsBefore(string module, string name)
    {
        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle(module, name, "x"), "model.pkl");

        report.Artifacts[0].Verdict.Should().Be(Verdict.Malicious);
        report.Findings.Should().ContainSingle().Which.RuleId.Should().NotBe(GlobalJudge.NoCapabilityRule);
    }

    [Theory]
    [InlineData("pydoc", "pipepager", "RAMP-PKL-104")]
    [InlineData("shutil", "rmtree", "RAMP-PKL-106")]
    [InlineData("webbrowser", "UnixBrowser.open", "RAMP-PKL-107")]
    public void Judge_DenyRulesAndProfiles_StillComeBeforeTheMap(string module, string name, string rule)
    {
        var judge = new GlobalJudge(AnalyzerRegistry.Rules, ScanPolicy.Default);

        CapabilityMap.Shipped.Capable.Should().ContainKey(module + "." + name, "the map knows it too");
        judge.Judge(module, name, module + "." + name).RuleId.Should().Be(rule);
        judge.Judge("fractions", "Fraction", "fractions.Fraction").Class.Should().Be(GlobalClass.Clean, "a profile decides before the map");
    }

    [Fact]
    public void Judge_WithAMapBuiltInTheTest_FollowsIt()
    {
        var graph = new CapabilityGraph();
        graph.AddModule("acme.helpers", isPackage: false, "import os\n\ndef run(c):\n    return _go(c)\n\ndef _go(c):\n    return os.system(c)\n\ndef double(x):\n    return x * 2\n", CancellationToken.None);
        var map = CapabilityMap.Merge([("test", graph.Solve(CancellationToken.None))]);
        var judge = new GlobalJudge(AnalyzerRegistry.Rules, ScanPolicy.Default, map);

        var run = judge.Judge("acme.helpers", "run", "acme.helpers.run");
        run.RuleId.Should().Be(GlobalJudge.CapabilityRule);
        run.Reach!.ChainText.Should().Be("acme.helpers.run -> acme.helpers._go -> os.system");
        judge.Judge("acme.helpers", "double", "acme.helpers.double").RuleId.Should().Be(GlobalJudge.NoCapabilityRule);
        judge.Judge("acme.helpers", "other", "acme.helpers.other").RuleId.Should().Be(GlobalJudge.UnknownGlobalRule);
    }

    [Fact]
    public void ShippedMap_RecordsTheInstallationsItCameFrom()
    {
        var map = CapabilityMap.Shipped;

        map.Sources.Should().Contain(s => s.StartsWith("cpython 3.", StringComparison.Ordinal));
        map.Capable.Count.Should().BeGreaterThan(1000);
        map.Safe.Count.Should().BeGreaterThan(1000);
        map.Safe.Should().NotIntersectWith(map.Capable.Keys);
    }

    [CPythonSourceFact]
    public void Generator_RederivesASampleOfTheShippedMapFromOneStandardLibrary()
    {
        var graph = new CapabilityGraph();
        graph.AddTree(CPythonSourceFactAttribute.Library, null, CancellationToken.None);
        var reach = graph.Solve(CancellationToken.None);
        var shipped = CapabilityMap.Shipped;

        var capable = shipped.Capable.Where(e => e.Value.From == CPythonSourceFactAttribute.Label).OrderBy(e => e.Key, StringComparer.Ordinal)
            .Where((_, i) => i % 3 == 0).ToList();
        capable.Should().HaveCountGreaterThan(20);
        foreach (var (name, entry) in capable)
        {
            reach.Should().ContainKey(name);
            reach[name].Chains.Keys.Should().Contain(entry.Capabilities.Where(c => reach[name].Chains.ContainsKey(c)), name);
            reach[name].Chains.Values.Should().ContainEquivalentOf(entry.Chain, $"{name} re-derived gives the committed chain");
        }

        var safe = shipped.Safe.Order(StringComparer.Ordinal).Where((_, i) => i % 20 == 0).Where(reach.ContainsKey).ToList();
        safe.Should().HaveCountGreaterThan(50);
        safe.Should().OnlyContain(n => reach[n].IsSafe, "a name the map calls safe is safe in every version that defines it");
    }
}

/// <summary>A fact over the CPython 3.12.1 standard library sources of pyenv, skipped with the reason where absent.</summary>
public sealed class CPythonSourceFactAttribute : FactAttribute
{
    public const string Label = "cpython 3.12.1";

    public const string Library = "/root/.pyenv/versions/3.12.1/lib/python3.12";

    public CPythonSourceFactAttribute()
    {
        if (!Directory.Exists(Library))
        {
            Skip = $"{Library} (pyenv's CPython 3.12.1, one of the installations the shipped map was generated from) is not on this machine";
        }
    }
}
