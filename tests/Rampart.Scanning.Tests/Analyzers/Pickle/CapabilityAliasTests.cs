using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Scanning.Analyzers.Pickle;
using Rampart.Scanning.Analyzers.Pickle.Capabilities;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>
/// Re-exported names: a pickle's GLOBAL names the module a callable is looked up in ("joblib dump"), so the map records
/// what modules bind to definitions elsewhere and the judge follows those aliases before asking what they reach.
/// </summary>
public sealed class CapabilityAliasTests
{
    private static readonly (string Name, bool IsPackage, string Source)[] Acme =
    [
        ("acme", true, """
            from .io import dump
            from .io import shape as dims
            import acme.impl.core as core
            run = core.run
            from os import system as shell
            from .stars import *
            from .missing import ghost
            """),
        ("acme.io", false, "def dump(obj, path):\n    return open(path, 'wb')\n\ndef shape(a):\n    return len(a)\n"),
        ("acme.impl.core", false, "import os\n\ndef run(c):\n    return os.system(c)\n"),
        ("acme.stars", false, "def starred(x):\n    return x\n"),
        ("acme.a", false, "from acme.b import loop\n"),
        ("acme.b", false, "from acme.a import loop\n"),
    ];

    private static IReadOnlyDictionary<string, CallableReach> SolveAcme()
    {
        var graph = new CapabilityGraph();
        foreach (var (name, isPackage, source) in Acme)
        {
            graph.AddModule(name, isPackage, source, CancellationToken.None);
        }

        return graph.Solve(CancellationToken.None);
    }

    private static GlobalJudgement Judge(CapabilityMap map, string full)
    {
        var dot = full.LastIndexOf('.');
        return new GlobalJudge(AnalyzerRegistry.Rules, ScanPolicy.Default, map).Judge(full[..dot], full[(dot + 1)..], full);
    }

    [Fact]
    public void Solve_RecordsEachModuleLevelBindingOfADefinitionElsewhere_AsAnAlias()
    {
        var reach = SolveAcme();

        reach["acme.dump"].AliasOf.Should().Be("acme.io.dump", "from .io import dump");
        reach["acme.dims"].AliasOf.Should().Be("acme.io.shape", "from .io import shape as dims");
        reach["acme.run"].AliasOf.Should().Be("acme.impl.core.run", "import acme.impl.core as core; run = core.run");
        reach["acme.starred"].AliasOf.Should().Be("acme.stars.starred", "from .stars import *");
        reach["acme.shell"].Chains[Capability.ProcessExecution].Should().Equal(["acme.shell", "os.system"], "bound to a sink, it is capable in itself");
        reach["acme.dump"].IsSafe.Should().BeFalse("an alias is judged by its target, never safe in itself");
        reach.Should().NotContainKey("acme.ghost", "bound to nothing the map read").And.NotContainKey("acme.a.loop", "an import cycle resolves to nothing")
            .And.NotContainKey("acme.core", "a module is no callable");
    }

    [Fact]
    public void Judge_AliasOfACapableDefinition_IsMaliciousWithTheAliasOnTheChain()
    {
        var map = CapabilityMap.Merge([("test", SolveAcme())]);

        var dump = Judge(map, "acme.dump");
        dump.RuleId.Should().Be(GlobalJudge.CapabilityRule);
        dump.Reach!.ChainText.Should().Be("acme.dump -> acme.io.dump -> builtins.open(mode=wb)");
        Judge(map, "acme.run").Reach!.ChainText.Should().Be("acme.run -> acme.impl.core.run -> os.system");
        Judge(map, "acme.shell").Reach!.ChainText.Should().Be("acme.shell -> os.system");
    }

    [Fact]
    public void Judge_AliasOfASafeDefinition_NeedsReview()
    {
        var map = CapabilityMap.Merge([("test", SolveAcme())]);

        Judge(map, "acme.dims").RuleId.Should().Be(GlobalJudge.NoCapabilityRule);
        Judge(map, "acme.starred").RuleId.Should().Be(GlobalJudge.NoCapabilityRule);
    }

    [Fact]
    public void Judge_AliasTheMapCannotResolve_StaysStrict()
    {
        var map = CapabilityMap.Merge([("test", SolveAcme())]);

        Judge(map, "acme.ghost").RuleId.Should().Be(GlobalJudge.UnknownGlobalRule);
        Judge(map, "acme.a.loop").RuleId.Should().Be(GlobalJudge.UnknownGlobalRule);

        // Written by hand (or merged from installations that disagree): a target the map does not know spoils the alias.
        var partly = new CapabilityMap(["t"], new Dictionary<string, CapableCallable>(), ["x.safe"],
            new Dictionary<string, IReadOnlyList<string>> { ["m.f"] = ["x.safe", "x.unknown"], ["m.g"] = ["x.safe"], ["m.h"] = ["x.unknown"] });
        Judge(partly, "m.f").RuleId.Should().Be(GlobalJudge.UnknownGlobalRule);
        Judge(partly, "m.h").RuleId.Should().Be(GlobalJudge.UnknownGlobalRule);
        Judge(partly, "m.g").RuleId.Should().Be(GlobalJudge.NoCapabilityRule);
    }

    [Fact]
    public void Look_AliasCycleOrChainDeeperThanTheBound_TerminatesAsNotKnown()
    {
        var aliases = new Dictionary<string, IReadOnlyList<string>>
        {
            ["a.f"] = ["b.f"],
            ["b.f"] = ["c.f"],
            ["c.f"] = ["a.f"],
            ["self.f"] = ["self.f"],
        };
        for (var i = 0; i < CapabilityMap.MaxAliasDepth + 2; i++)
        {
            aliases[$"deep{i}.f"] = [$"deep{i + 1}.f"];
        }

        var last = CapabilityMap.MaxAliasDepth + 2;
        var map = new CapabilityMap(["t"], new Dictionary<string, CapableCallable>(), [$"deep{last}.f"], aliases);

        var cycle = map.Look("a.f");
        cycle.Capable.Should().BeNull();
        cycle.Safe.Should().BeFalse();
        cycle.Targets.Should().Equal("b.f", "c.f", "a.f");
        map.Look("self.f").Safe.Should().BeFalse();
        map.Look("deep1.f").Safe.Should().BeFalse($"{last - 1} aliases are more than {CapabilityMap.MaxAliasDepth}");
        map.Look($"deep{last - CapabilityMap.MaxAliasDepth}.f").Safe.Should().BeTrue($"{CapabilityMap.MaxAliasDepth} aliases are followed");
        Judge(map, "a.f").RuleId.Should().Be(GlobalJudge.UnknownGlobalRule);
    }

    [Fact]
    public void Judge_AliasOfANameADenyRuleCovers_IsJudgedByThatRule()
    {
        var map = new CapabilityMap(["t"], new Dictionary<string, CapableCallable>(), [],
            new Dictionary<string, IReadOnlyList<string>> { ["helpers.shell"] = ["os.system"], ["helpers.load"] = ["pickle.loads"] });

        Judge(map, "helpers.shell").Should().Match<GlobalJudgement>(j => j.Class == GlobalClass.Malicious && j.RuleId == "RAMP-PKL-101" && j.Source.Contains("os.system"));
        Judge(map, "helpers.load").RuleId.Should().Be("RAMP-PKL-109");
    }

    [Fact]
    public void Judge_ReExportOfTheShippedMapWhoseDefinitionADenyRuleNames_IsThatRule()
    {
        // enum.py: "from functools import reduce"; functools.reduce is RAMP-PKL-110 by name.
        CapabilityMap.Shipped.Aliases.Should().ContainKey("enum.reduce").WhoseValue.Should().Contain("functools.reduce");

        new GlobalJudge(AnalyzerRegistry.Rules, ScanPolicy.Default).Judge("enum", "reduce", "enum.reduce").RuleId.Should().Be("RAMP-PKL-110");
    }

    [Fact]
    public void Merge_AliasOfANameAnotherInstallationDefinesUndecided_IsDropped_AndAliasesSurviveWriteAndRead()
    {
        var older = new CapabilityGraph();
        older.AddModule("m", isPackage: false, "def f(x):\n    return mystery(x)\n\ndef k(x):\n    return x\n", CancellationToken.None);
        var newer = new CapabilityGraph();
        newer.AddModule("m", isPackage: false, "from m2 import f, k\n", CancellationToken.None);
        newer.AddModule("m2", isPackage: false, "def f(x):\n    return x\n\ndef k(x):\n    return x\n", CancellationToken.None);

        var map = CapabilityMap.Merge([("old", older.Solve(CancellationToken.None)), ("new", newer.Solve(CancellationToken.None))]);
        map.Aliases.Should().NotContainKey("m.f", "m.f is undecided where it is defined").And.ContainKey("m.k");
        Judge(map, "m.f").RuleId.Should().Be(GlobalJudge.UnknownGlobalRule);
        Judge(map, "m.k").RuleId.Should().Be(GlobalJudge.NoCapabilityRule, "safe where defined, an alias of a safe name where not");

        using var buffer = new MemoryStream();
        map.Write(buffer);
        buffer.Position = 0;
        CapabilityMap.Read(buffer).Aliases.Should().BeEquivalentTo(map.Aliases);
    }

    [Theory]
    [InlineData("joblib", "dump", "joblib.numpy_pickle.dump", Capability.FileWrite)]
    // sklearn/__init__.py: "from .utils._show_versions import show_versions" (and "sklearn.*" is only a review glob).
    [InlineData("sklearn", "show_versions", "sklearn.utils._show_versions.show_versions", Capability.ProcessExecution)]
    public async Task Scan_ReExportedNameOfTheShippedMap_IsJudgedAsItsDefinition(string module, string name, string definition, string capability)
    {
        CapabilityMap.Shipped.Capable.Should().NotContainKey(module + "." + name, "the map keys definitions");
        CapabilityMap.Shipped.Aliases.Should().ContainKey(module + "." + name).WhoseValue.Should().Contain(definition);

        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle(module, name, "x"), "model.pkl");

        report.Artifacts[0].Verdict.Should().Be(Verdict.Malicious);
        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be(GlobalJudge.CapabilityRule);
        finding.Property("chain").Should().StartWith($"{module}.{name} -> {definition} -> ");
        finding.Property("capabilities").Should().Contain(capability);
    }

    [Theory]
    [InlineData("ast", "nullcontext", "contextlib.nullcontext")]
    [InlineData("bisect", "bisect", "bisect.bisect_right")]
    [InlineData("dateutil.parser", "parser", "dateutil.parser._parser.parser")]
    public async Task Scan_ReExportedNameOfASafeDefinition_NeedsReview(string module, string name, string definition)
    {
        CapabilityMap.Shipped.Aliases.Should().ContainKey(module + "." + name).WhoseValue.Should().Equal(definition);
        CapabilityMap.Shipped.Safe.Should().Contain(definition);

        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle(module, name, "x"), "model.pkl");

        report.Artifacts[0].Verdict.Should().Be(Verdict.NeedsReview);
        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be(GlobalJudge.NoCapabilityRule);
    }
}
