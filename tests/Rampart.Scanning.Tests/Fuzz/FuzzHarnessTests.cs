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

        summary.Failures.Should().HaveCount(2).And.OnlyContain(f => f.Problem.Contains("wall-clock ceiling", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_AnalyzerThatBurnsCpuPastTheBudget_ReportsFailure()
    {
        // The analyzer computes until its thread has used 300 ms of CPU: past a 50 ms budget however loaded the machine
        // is (waiting for a core does not count), and well under the wall-clock ceiling.
        var scanner = new Scanner([new CpuBurningAnalyzer(TimeSpan.FromMilliseconds(300))], AnalyzerRegistry.Rules, RampartTool.Info);
        var options = new FuzzOptions { MasterSeed = 5, Count = 2, Workers = 1, CpuTimePerInput = TimeSpan.FromMilliseconds(50) };

        var summary = new FuzzRunner(scanner, Seeds, options).Run();

        summary.Failures.Should().HaveCount(2).And.OnlyContain(f => f.Problem.Contains("CPU budget exceeded", StringComparison.Ordinal));
        summary.MaxCpuTime.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Run_AnalyzerWithinTheCpuBudget_NoFailureAndRecordsItsCpuTime()
    {
        var scanner = new Scanner([new CpuBurningAnalyzer(TimeSpan.FromMilliseconds(20))], AnalyzerRegistry.Rules, RampartTool.Info);
        var options = new FuzzOptions { MasterSeed = 5, Count = 3, Workers = 1, CpuTimePerInput = TimeSpan.FromSeconds(5) };

        var summary = new FuzzRunner(scanner, Seeds, options).Run();

        summary.Failures.Should().BeEmpty();
        summary.MaxCpuTime.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(20)).And.BeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void ThreadCpuClock_OnLinux_CountsThisThreadsCpuTime()
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.WriteLine("skipped: the thread CPU clock is read through Linux's clock_gettime");
            return;
        }

        ThreadCpuClock.IsThreadCpuTime.Should().BeTrue();
        var before = ThreadCpuClock.Now();
        Thread.Sleep(200);
        var slept = ThreadCpuClock.Now() - before;
        CpuBurningAnalyzer.Burn(TimeSpan.FromMilliseconds(50));
        var burnt = ThreadCpuClock.Now() - before - slept;

        slept.Should().BeLessThan(TimeSpan.FromMilliseconds(100), "a sleeping thread uses no CPU");
        burnt.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(50));
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

    private sealed class CpuBurningAnalyzer(TimeSpan cpu) : IArtifactAnalyzer
    {
        public string Id => "cpu-burning";

        public bool CanAnalyze(Artifact artifact) => true;

        public ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
        {
            Burn(cpu);
            return ValueTask.FromResult(new AnalysisResult(Id, artifact, context));
        }

        /// <summary>Computes until the calling thread has used <paramref name="amount"/> of CPU time.</summary>
        public static void Burn(TimeSpan amount)
        {
            var until = ThreadCpuClock.Now() + amount;
            var x = 1UL;
            while (ThreadCpuClock.Now() < until)
            {
                for (var i = 0; i < 10_000; i++)
                {
                    x = (x * 6364136223846793005UL) + 1442695040888963407UL;
                }
            }

            GC.KeepAlive(x);
        }
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
