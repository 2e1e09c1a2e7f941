using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Rules;
using Rampart.Scanning.Analyzers.Pickle;
using Rampart.Scanning.Analyzers.Pickle.Capabilities;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>
/// A capability chain the map proves is not downgraded by a glob or a review entry: only an exact clean name of a
/// profile, or an exact name in the user's policy, decides otherwise (GlobalJudge's documented precedence).
/// </summary>
public sealed class CapabilityPrecedenceTests
{
    private static GlobalJudgement Judge(string full, ScanPolicy? policy = null)
    {
        var dot = full.LastIndexOf('.');
        return new GlobalJudge(AnalyzerRegistry.Rules, policy ?? ScanPolicy.Default).Judge(full[..dot], full[(dot + 1)..], full);
    }

    [Theory]
    // ml-libraries.json reviews "sklearn.*"; the map shows show_versions runs a process.
    [InlineData("sklearn.utils._show_versions.show_versions", Capability.ProcessExecution, "subprocess.Popen")]
    // A generated profile lists these exactly, but for review: that says code runs on load, not that it is harmless.
    [InlineData("joblib.logger.PrintTime", Capability.FileWrite, "builtins.open(mode=w)")]
    [InlineData("joblib.numpy_pickle_compat.ZipNumpyUnpickler", Capability.Deserialization, "pickle._Unpickler")]
    // python-stdlib.json reviews "typing.*"; NamedTuple builds its class through collections.namedtuple's eval.
    [InlineData("typing.NamedTuple", Capability.DynamicCode, "builtins.eval")]
    public async Task Scan_NameAProfileOnlyReviewsOrCoversByAGlob_ThatTheMapProvesCapable_IsMaliciousWithTheChain(string full, string capability, string onChain)
    {
        CapabilityMap.Shipped.Capable.Should().ContainKey(full, "the shipped map proves it");
        var dot = full.LastIndexOf('.');

        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle(full[..dot], full[(dot + 1)..], "x"), "model.pkl");

        report.Artifacts[0].Verdict.Should().Be(Verdict.Malicious);
        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be(GlobalJudge.CapabilityRule);
        finding.Property("capabilities").Should().Contain(capability);
        finding.Property("chain").Should().StartWith(full + " -> ").And.Contain(onChain);
        finding.Message.Should().Contain(finding.Property("chain"));
        finding.Property("decidedBy").Should().StartWith(GlobalJudge.CapabilityMapSource).And.Contain("does not override the chain");
    }

    [Fact]
    public void Judge_EveryCapableNameAProfileCoversByAGlobOrReviews_IsMalicious()
    {
        // Every real map entry that a profile's glob (clean or review) or exact review entry covers, not a sample.
        var covered = new List<string>();
        foreach (var profile in GlobalJudge.Profiles)
        {
            var patterns = profile.Clean.Concat(profile.Review).Where(n => n.Contains('*', StringComparison.Ordinal)).Select(n => new NamePattern(n)).ToList();
            var exactReview = profile.Review.Where(n => !n.Contains('*', StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
            covered.AddRange(CapabilityMap.Shipped.Capable.Keys.Where(name => !GlobalJudge.Profiles.Any(p => p.Clean.Contains(name))
                && (exactReview.Contains(name) || patterns.Any(p => p.IsMatch(name)))));
        }

        covered.Should().HaveCountGreaterThan(500, "sklearn.* alone covers hundreds of capable names");
        covered.Should().Contain("sklearn.utils._show_versions.show_versions");
        var judge = new GlobalJudge(AnalyzerRegistry.Rules, ScanPolicy.Default);
        var denyRules = AnalyzerRegistry.Rules.Rules.Where(r => r.Tags.Contains(GlobalJudge.DenyTag)).Select(r => r.Id).ToList();
        foreach (var full in covered.Distinct())
        {
            var dot = full.LastIndexOf('.');
            var judgement = judge.Judge(full[..dot], full[(dot + 1)..], full);
            judgement.Class.Should().Be(GlobalClass.Malicious, full);
            judgement.RuleId.Should().BeOneOf([GlobalJudge.CapabilityRule, .. denyRules], full);
        }
    }

    [Theory]
    [InlineData("platform.*", "platform.architecture")]
    [InlineData("logging.*", "logging.FileHandler")]
    [InlineData("collections.*", "collections.namedtuple")]
    public void Judge_PolicyReviewGlob_DoesNotDowngradeACapableName(string glob, string full)
    {
        CapabilityMap.Shipped.Capable.Should().ContainKey(full);

        var judgement = Judge(full, ScanPolicy.Default with { ReviewGlobals = [glob] });

        judgement.Class.Should().Be(GlobalClass.Malicious);
        judgement.RuleId.Should().Be(GlobalJudge.CapabilityRule);
        judgement.Source.Should().Contain("policy reviewGlobals");
        Judge("colorsys.rgb_to_hsv", ScanPolicy.Default with { ReviewGlobals = ["colorsys.*"] }).RuleId
            .Should().Be(GlobalJudge.ReviewGlobalRule, "a name the map shows reaches nothing is still reviewed as the glob says");
    }

    [Theory]
    [InlineData("platform.*", "platform.architecture")]
    [InlineData("gzip.*", "gzip.open")]
    [InlineData("py_compile.*", "py_compile.compile")]
    public void Judge_CleanGlob_DoesNotCleanACapableName(string glob, string full)
    {
        CapabilityMap.Shipped.Capable.Should().ContainKey(full);

        var judgement = Judge(full, ScanPolicy.Default with { AllowedGlobals = [glob] });

        judgement.Class.Should().Be(GlobalClass.Malicious);
        judgement.RuleId.Should().Be(GlobalJudge.CapabilityRule);
        Judge("colorsys.rgb_to_hsv", ScanPolicy.Default with { AllowedGlobals = ["colorsys.*"] }).Class.Should().Be(GlobalClass.Clean);
    }

    [Theory]
    [InlineData("platform.architecture")]
    [InlineData("sklearn.utils._show_versions.show_versions")]
    [InlineData("joblib.logger.PrintTime")]
    public async Task Scan_ExactNameInThePolicy_StaysTheUsersDecision(string full)
    {
        CapabilityMap.Shipped.Capable.Should().ContainKey(full);
        var dot = full.LastIndexOf('.');
        var pickle = PickleBuilder.CallPickle(full[..dot], full[(dot + 1)..], "x");

        var allowed = await ScanHelper.ScanBytesAsync(pickle, "model.pkl", ScanPolicy.Default with { AllowedGlobals = [full] });
        var reviewed = await ScanHelper.ScanBytesAsync(pickle, "model.pkl", ScanPolicy.Default with { ReviewGlobals = [full] });

        allowed.Artifacts[0].Verdict.Should().Be(Verdict.Clean);
        reviewed.Artifacts[0].Verdict.Should().Be(Verdict.NeedsReview);
        reviewed.Findings.Should().ContainSingle().Which.RuleId.Should().Be(GlobalJudge.ReviewGlobalRule);
    }

    [Fact]
    public void Judge_ExactCleanNameOfAProfile_WinsOverTheMap()
    {
        // No exact clean name of the shipped profiles is capable in the shipped map, so the map is built here: a
        // "collections" whose OrderedDict could write a file. python-stdlib.json lists collections.OrderedDict exactly.
        var graph = new CapabilityGraph();
        graph.AddModule("collections", isPackage: true, "import os\n\nclass OrderedDict:\n    def __init__(self, p):\n        os.remove(p)\n\nclass Other:\n    def __init__(self, p):\n        os.remove(p)\n", CancellationToken.None);
        var map = CapabilityMap.Merge([("test", graph.Solve(CancellationToken.None))]);
        map.Capable.Should().ContainKeys("collections.OrderedDict", "collections.Other");
        var judge = new GlobalJudge(AnalyzerRegistry.Rules, ScanPolicy.Default, map);

        judge.Judge("collections", "OrderedDict", "collections.OrderedDict").Class.Should().Be(GlobalClass.Clean);
        judge.Judge("collections", "Other", "collections.Other").RuleId.Should().Be(GlobalJudge.CapabilityRule);
    }
}
