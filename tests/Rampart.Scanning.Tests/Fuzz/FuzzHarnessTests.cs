using Rampart.Core.Rules;
using Rampart.Scanning.Engine;
using Rampart.TestKit.Fuzz;

namespace Rampart.Scanning.Tests.Fuzz;

/// <summary>The fuzz harness itself: it must be deterministic and must catch the failures it claims to catch.</summary>
public sealed class FuzzHarnessTests
{
    private static readonly IReadOnlyList<FuzzSeed> Seeds = FuzzSeedCorpus.Build();

    [Fact]
    public void Create_SameMasterSeedAndIndex_GivesSameBytes()
    {
        var a = new Mutator(Seeds, 42).Create(1234);
        var b = new Mutator(Seeds, 42).Create(1234);
        b.Bytes.Should().Equal(a.Bytes);
        b.Recipe.Should().Be(a.Recipe);
    }

    [Fact]
    public void Create_ManyIndices_MutatesAndCoversManySeeds()
    {
        var mutator = new Mutator(Seeds, 7);
        var inputs = Enumerable.Range(0, 2000).Select(i => mutator.Create(i)).ToList();
        inputs.Select(i => i.Seed.Name).Distinct().Count().Should().BeGreaterThan(Seeds.Count / 2);
        inputs.Count(i => !i.Bytes.AsSpan().SequenceEqual(i.Seed.Bytes)).Should().BeGreaterThan(1800);
        inputs.Should().Contain(i => i.Recipe.Contains("huge", StringComparison.Ordinal));
        inputs.Should().Contain(i => i.Recipe.Contains("truncate-boundary", StringComparison.Ordinal));
        inputs.Should().OnlyContain(i => i.Bytes.Length <= Mutator.MaxInputBytes);
    }

    [Fact]
    public void Build_SeedCorpus_HasEveryContainerAndPickleShape()
    {
        var names = Seeds.Select(s => s.Name).ToList();
        foreach (var prefix in new[] { "pickle/", "zip/", "npy/", "gzip/", "zlib/", "tar/", "joblib/", "extreme/" })
        {
            names.Should().Contain(n => n.StartsWith(prefix, StringComparison.Ordinal), $"the corpus needs {prefix} seeds");
        }
    }

    [Fact]
    public void Of_TorchZip_FindsZipRecordsAndLengthFields()
    {
        var zip = FuzzSeedCorpus.TorchZip(FuzzSeedCorpus.StateDict(2), System.IO.Compression.CompressionLevel.NoCompression, 8);
        var map = StructureMap.Of(zip);
        map.Boundaries.Should().Contain(0);
        map.LengthFields.Should().Contain(f => f.Offset == 18 && f.Width == 4, "a local header's compressed size is at +18");
        map.LengthFields.Count.Should().BeGreaterThan(6 * 4, "six members have local and central headers");
    }

    [Fact]
    public void Of_Pickle_FindsEveryOpcodeBoundaryAndStringLength()
    {
        var pickle = new FuzzPickleWriter().Proto(4).Frame(3).Unicode4("abc").Op('N').Stop().ToArray();
        var map = StructureMap.Of(pickle);
        map.Boundaries.Should().Equal(0, 2, 11, 19, 20, 21);
        map.LengthFields.Should().Contain(new LengthField(3, 8)).And.Contain(new LengthField(12, 4));
    }

    [Fact]
    public void Run_AnalyzerThatThrows_ReportsReplayableFailure()
    {
        var scanner = new Scanner([new ThrowingAnalyzer()], AnalyzerRegistry.Rules, RampartTool.Info);
        var options = new FuzzOptions { MasterSeed = 99, Count = 300, Workers = 2 };

        var summary = new FuzzRunner(scanner, Seeds, options).Run();

        summary.Failures.Should().NotBeEmpty();
        var failure = summary.Failures[0];
        failure.Problem.Should().Contain("RAMP-GEN-004").And.Contain("boom");
        failure.Describe(99).Should().Contain("RAMPART_FUZZ_SEED=99").And.Contain($"RAMPART_FUZZ_ONLY={failure.Index}");

        var replay = new FuzzRunner(scanner, Seeds, options with { Only = failure.Index }).Run();
        replay.Inputs.Should().Be(1);
        replay.Failures.Should().ContainSingle().Which.Recipe.Should().Be(failure.Recipe);
    }

    [Fact]
    public void Run_AnalyzerThatRunsIntoTheTimeLimit_ReportsFailure()
    {
        var scanner = new Scanner([new SlowAnalyzer()], AnalyzerRegistry.Rules, RampartTool.Info);
        var options = new FuzzOptions { MasterSeed = 5, Count = 2, Workers = 1, TimePerInput = TimeSpan.FromMilliseconds(50) };

        var summary = new FuzzRunner(scanner, Seeds, options).Run();

        summary.Failures.Should().HaveCount(2).And.OnlyContain(f => f.Problem.Contains("time limit", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_WellBehavedAnalyzer_NoFailureAndCountsInputs()
    {
        var scanner = new Scanner([new SlowAnalyzer(TimeSpan.Zero)], AnalyzerRegistry.Rules, RampartTool.Info);

        var summary = new FuzzRunner(scanner, Seeds, new FuzzOptions { MasterSeed = 1, Count = 500 }).Run();

        summary.Failures.Should().BeEmpty();
        summary.Inputs.Should().Be(500);
        summary.InputsByAnalyzer.Should().ContainKey("slow").WhoseValue.Should().Be(500);
    }

    private sealed class ThrowingAnalyzer : IArtifactAnalyzer
    {
        public string Id => "throwing";

        public bool CanAnalyze(Artifact artifact) => artifact.Head.Length > 0 && artifact.Head.Span[0] == 0x80;

        public ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("boom");
    }

    private sealed class SlowAnalyzer(TimeSpan? delay = null) : IArtifactAnalyzer
    {
        public string Id => "slow";

        public bool CanAnalyze(Artifact artifact) => true;

        public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
        {
            var wait = delay ?? Timeout.InfiniteTimeSpan;
            if (wait != TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            return new AnalysisResult(Id, artifact, context);
        }
    }
}
