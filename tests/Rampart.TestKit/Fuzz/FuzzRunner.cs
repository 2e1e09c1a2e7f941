using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Scanning.Engine;

namespace Rampart.TestKit.Fuzz;

/// <summary>Settings of one fuzz run; <see cref="FromEnvironment"/> reads RAMPART_FUZZ_SEED / _COUNT / _ONLY / _DUMP.</summary>
public sealed record FuzzOptions
{
    /// <summary>The master seed used when RAMPART_FUZZ_SEED is not set: every CI run replays the same inputs.</summary>
    public const long DefaultMasterSeed = 20_261_122;

    public const long DefaultCount = 100_000;

    public long MasterSeed { get; init; } = DefaultMasterSeed;

    public long Count { get; init; } = DefaultCount;

    /// <summary>Run only this input index (replaying one failure).</summary>
    public long? Only { get; init; }

    /// <summary>Folder where failing inputs are written (optional).</summary>
    public string? DumpDirectory { get; init; }

    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// The budget of one input: CPU time of the worker thread that scans it (<see cref="ThreadCpuClock"/>), which does
    /// not grow while the thread waits for a core, so the same input passes or fails the same way on a loaded machine.
    /// Exceeding it is a failure.
    /// </summary>
    public TimeSpan CpuTimePerInput { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The engine's wall-clock limit per input, a ceiling far above the CPU budget (a scan that waits instead of
    /// computing); reaching it is a failure too.
    /// </summary>
    public TimeSpan TimePerInput { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>If a scan has not returned after this long, the analyzer ignores cancellation: a hang.</summary>
    public TimeSpan HangAfter { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Most bytes one input's scan may allocate (on its worker thread).</summary>
    public long MaxAllocatedBytesPerInput { get; init; } = 512L * 1024 * 1024;

    /// <summary>Stop early after this many failures (they are all alike by then).</summary>
    public int MaxFailures { get; init; } = 25;

    public static FuzzOptions FromEnvironment()
    {
        var options = new FuzzOptions();
        if (Parse("RAMPART_FUZZ_SEED") is { } seed)
        {
            options = options with { MasterSeed = seed };
        }

        if (Parse("RAMPART_FUZZ_COUNT") is { } count)
        {
            options = options with { Count = count };
        }

        if (Parse("RAMPART_FUZZ_ONLY") is { } only)
        {
            options = options with { Only = only };
        }

        if (Environment.GetEnvironmentVariable("RAMPART_FUZZ_DUMP") is { Length: > 0 } dump)
        {
            options = options with { DumpDirectory = dump };
        }

        return options;
    }

    /// <summary>The tight limits every fuzz input is scanned with, so that each input is cheap.</summary>
    public ScanPolicy Policy => ScanPolicy.Default with
    {
        Limits = ScanLimits.Default with
        {
            TimePerFile = TimePerInput,
            MaxFileBytes = 64L * 1024 * 1024,
            MaxDecompressedBytes = 4L * 1024 * 1024,
            MaxCompressionRatio = 1000,
            MaxDepth = 8,
            MaxMembers = 1000,
            MaxArtifactsPerFile = 2000,
            MaxPickleOpcodes = 1_000_000,
            MaxPickleStack = 100_000,
            MaxPickleStringBytes = 1024 * 1024,
            MaxPicklesPerStream = 16,
            MaxHeaderBytes = 1024 * 1024,
            MaxInMemoryMemberBytes = 16L * 1024 * 1024,
        },
        Source = "fuzz",
    };

    private static long? Parse(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text ? long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) : null;
}

/// <summary>Why one input failed.</summary>
public sealed record FuzzFailure(long Index, string SeedName, string Recipe, int Length, string Problem)
{
    public string Describe(long masterSeed) =>
        string.Create(CultureInfo.InvariantCulture,
            $"input #{Index} (replay: RAMPART_FUZZ_SEED={masterSeed} RAMPART_FUZZ_ONLY={Index}) seed '{SeedName}', {Length} bytes, {Recipe}: {Problem}");
}

/// <summary>What a fuzz run saw.</summary>
public sealed record FuzzSummary(
    long MasterSeed,
    long Inputs,
    TimeSpan Elapsed,
    IReadOnlyList<FuzzFailure> Failures,
    IReadOnlyDictionary<string, long> InputsByAnalyzer,
    IReadOnlyDictionary<string, long> FindingsByRule,
    IReadOnlyList<(long Index, string SeedName, string Recipe, TimeSpan Elapsed)> Slowest,
    TimeSpan MaxCpuTime,
    long MaxCpuTimeIndex,
    long PeakManagedBytes,
    long PeakWorkingSetBytes,
    long MaxAllocatedBytes,
    long MaxAllocatedIndex);

/// <summary>
/// Runs mutated inputs through a scanner's full dispatch on dedicated worker threads and records every input that
/// makes an analyzer throw (RAMP-GEN-004), lets an exception escape, reaches the time limit, hangs past it, or
/// allocates beyond the per-input ceiling, or uses more than its CPU budget. A watchdog samples memory and spots hangs.
/// </summary>
public sealed class FuzzRunner(Scanner scanner, IReadOnlyList<FuzzSeed> seeds, FuzzOptions options)
{
    private const string AnalyzerFailure = "RAMP-GEN-004";
    private const string LimitReached = "RAMP-GEN-002";

    public FuzzSummary Run()
    {
        ArgumentNullException.ThrowIfNull(scanner);
        var mutator = new Mutator(seeds, options.MasterSeed);
        var policy = options.Policy;
        var failures = new ConcurrentBag<FuzzFailure>();
        var byAnalyzer = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var byRule = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var slowest = new ConcurrentBag<(long, string, string, TimeSpan)>();
        var total = options.Only is null ? options.Count : 1;
        long next = -1;
        long done = 0;
        long maxAllocated = 0;
        long maxAllocatedIndex = -1;
        var maxCpu = TimeSpan.Zero;
        long maxCpuIndex = -1;
        var workers = options.Only is null ? options.Workers : 1;
        var current = new (long Index, long StartTicks)[workers];
        var stopwatch = Stopwatch.StartNew();

        void Work(int slot)
        {
            var localSlow = new List<(long, string, string, TimeSpan)>();
            while (failures.Count < options.MaxFailures)
            {
                var position = Interlocked.Increment(ref next);
                if (position >= total)
                {
                    break;
                }

                var index = options.Only ?? position;

                var input = mutator.Create(index);
                Volatile.Write(ref current[slot].StartTicks, Stopwatch.GetTimestamp());
                Volatile.Write(ref current[slot].Index, index);
                var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                var started = Stopwatch.GetTimestamp();
                var cpuBefore = ThreadCpuClock.Now();
                try
                {
                    var artifact = ArtifactFactory.FromBytes(input.Seed.FileName, null, 0, input.Bytes, input.Seed.FileName);
                    var report = scanner.ScanArtifactAsync(artifact, policy).GetAwaiter().GetResult();
                    foreach (var artifactReport in report.Artifacts)
                    {
                        foreach (var format in artifactReport.Formats)
                        {
                            byAnalyzer.AddOrUpdate(format, 1, (_, n) => n + 1);
                        }
                    }

                    foreach (var finding in report.Findings)
                    {
                        byRule.AddOrUpdate(finding.RuleId, 1, (_, n) => n + 1);
                        if (finding.RuleId == AnalyzerFailure)
                        {
                            Fail(input, $"{AnalyzerFailure} at {finding.ArtifactPath}: {finding.Message}");
                        }
                        else if (finding.RuleId == LimitReached && finding.Message.Contains("'time-per-file'", StringComparison.Ordinal))
                        {
                            Fail(input, $"wall-clock ceiling reached ({options.TimePerInput.TotalSeconds:0} s): {finding.Message}");
                        }
                    }
                }
                catch (Exception e)
                {
                    Fail(input, $"exception escaped the scanner: {e}");
                }

                var cpu = ThreadCpuClock.Now() - cpuBefore;
                var elapsed = Stopwatch.GetElapsedTime(started);
                var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                if (allocated > options.MaxAllocatedBytesPerInput)
                {
                    Fail(input, $"allocated {allocated:N0} bytes (ceiling {options.MaxAllocatedBytesPerInput:N0})");
                }

                if (cpu > options.CpuTimePerInput)
                {
                    Fail(input, string.Create(CultureInfo.InvariantCulture,
                        $"CPU budget exceeded: {cpu.TotalMilliseconds:N0} ms of {(ThreadCpuClock.IsThreadCpuTime ? "thread CPU time" : "wall-clock time (no thread CPU clock here)")} (budget {options.CpuTimePerInput.TotalMilliseconds:N0} ms)"));
                }

                lock (failures)
                {
                    if (allocated > maxAllocated)
                    {
                        maxAllocated = allocated;
                        maxAllocatedIndex = index;
                    }

                    if (cpu > maxCpu)
                    {
                        maxCpu = cpu;
                        maxCpuIndex = index;
                    }
                }

                Volatile.Write(ref current[slot].Index, -1);
                localSlow.Add((index, input.Seed.Name, input.Recipe, elapsed));
                if (localSlow.Count > 64)
                {
                    localSlow.Sort((a, b) => b.Item4.CompareTo(a.Item4));
                    localSlow.RemoveRange(8, localSlow.Count - 8);
                }

                Interlocked.Increment(ref done);
            }

            foreach (var s in localSlow)
            {
                slowest.Add(s);
            }
        }

        void Fail(FuzzInput input, string problem)
        {
            failures.Add(new FuzzFailure(input.Index, input.Seed.Name, input.Recipe, input.Bytes.Length, problem));
            if (options.DumpDirectory is { } dump)
            {
                Directory.CreateDirectory(dump);
                File.WriteAllBytes(Path.Combine(dump, string.Create(CultureInfo.InvariantCulture, $"{options.MasterSeed}-{input.Index}-{input.Seed.FileName.Replace('/', '_')}")), input.Bytes);
            }
        }

        for (var i = 0; i < current.Length; i++)
        {
            current[i] = (-1, 0);
        }

        var threads = Enumerable.Range(0, workers).Select(slot => new Thread(() => Work(slot)) { IsBackground = true, Name = $"fuzz-{slot}" }).ToList();
        threads.ForEach(t => t.Start());
        long peakManaged = 0;
        var hung = false;
        while (!hung && threads.Any(t => t.IsAlive))
        {
            threads.First(t => t.IsAlive).Join(250);
            peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
            for (var slot = 0; slot < current.Length; slot++)
            {
                var index = Volatile.Read(ref current[slot].Index);
                var start = Volatile.Read(ref current[slot].StartTicks);
                if (index >= 0 && Stopwatch.GetElapsedTime(start) > options.HangAfter)
                {
                    var input = mutator.Create(index);
                    Fail(input, $"hang: the scan did not return within {options.HangAfter.TotalSeconds:0} s (an analyzer ignores cancellation)");
                    hung = true;
                }
            }
        }

        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return new FuzzSummary(
            options.MasterSeed,
            Interlocked.Read(ref done),
            stopwatch.Elapsed,
            [.. failures.OrderBy(f => f.Index)],
            byAnalyzer,
            byRule,
            [.. slowest.OrderByDescending(s => s.Item4).Take(5)],
            maxCpu,
            maxCpuIndex,
            peakManaged,
            process.PeakWorkingSet64,
            maxAllocated,
            maxAllocatedIndex);
    }
}
