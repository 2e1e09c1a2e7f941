using System.Globalization;
using System.Text;
using Rampart.Scanning.Engine;
using Rampart.TestKit.Fuzz;
using Xunit.Abstractions;

namespace Rampart.Scanning.Tests.Fuzz;

/// <summary>
/// The seeded mutation fuzz run over every registered analyzer, on every CI run. Replay a failure with the printed
/// RAMPART_FUZZ_SEED and RAMPART_FUZZ_ONLY; change the amount with RAMPART_FUZZ_COUNT; RAMPART_FUZZ_DUMP=dir writes
/// failing inputs to dir.
/// </summary>
public sealed class MutationFuzzTests(ITestOutputHelper output)
{
    private const long MemoryCeilingBytes = 2L * 1024 * 1024 * 1024;

    [Fact]
    public void Fuzz_MutatedInputsOfEveryFormat_NoAnalyzerFailureTimeoutOrMemoryBlowup()
    {
        var options = FuzzOptions.FromEnvironment();
        var scanner = Scanner.CreateDefault();
        var seeds = FuzzSeedCorpus.Build();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fuzz: master seed {options.MasterSeed}, {(options.Only is { } only ? $"only input #{only}" : $"{options.Count:N0} inputs")}, {seeds.Count} seeds, {options.Workers} workers, analyzers: {string.Join(", ", scanner.Analyzers.Select(a => a.Id))}"));

        var summary = new FuzzRunner(scanner, seeds, options).Run();

        output.WriteLine(Describe(summary));
        var failures = string.Join(Environment.NewLine, summary.Failures.Select(f => f.Describe(summary.MasterSeed)));
        summary.Failures.Should().BeEmpty($"no input may crash an analyzer, reach the time limit or allocate without bound; failing inputs:{Environment.NewLine}{failures}");
        summary.Inputs.Should().Be(options.Only is null ? options.Count : 1);
        summary.PeakWorkingSetBytes.Should().BeLessThan(MemoryCeilingBytes, "the fuzz run's peak working set must stay bounded");
        summary.PeakManagedBytes.Should().BeLessThan(MemoryCeilingBytes);
        if (options.Only is null)
        {
            var unreached = scanner.Analyzers.Select(a => a.Id).Where(id => !summary.InputsByAnalyzer.ContainsKey(id)).ToList();
            unreached.Should().BeEmpty("every registered analyzer must be reached by the seed corpus; add a TestKit fixture of its format");
        }
    }

    private static string Describe(FuzzSummary summary)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"fuzz: {summary.Inputs:N0} inputs in {summary.Elapsed.TotalSeconds:0.0} s ({summary.Inputs / Math.Max(0.001, summary.Elapsed.TotalSeconds):N0}/s), ");
        text.Append(CultureInfo.InvariantCulture, $"{summary.Failures.Count} failures, peak working set {summary.PeakWorkingSetBytes / 1048576.0:N0} MiB, peak managed heap {summary.PeakManagedBytes / 1048576.0:N0} MiB, ");
        text.AppendLine(CultureInfo.InvariantCulture, $"largest allocation by one input {summary.MaxAllocatedBytes / 1048576.0:N1} MiB (#{summary.MaxAllocatedIndex}), "
            + $"most CPU time by one input {summary.MaxCpuTime.TotalMilliseconds:N0} ms (#{summary.MaxCpuTimeIndex}; {(ThreadCpuClock.IsThreadCpuTime ? "thread CPU time" : "wall-clock stand-in")})");
        text.AppendLine("inputs understood, by analyzer: " + string.Join(", ", summary.InputsByAnalyzer.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")));
        text.AppendLine("findings by rule: " + string.Join(", ", summary.FindingsByRule.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")));
        foreach (var (index, seed, recipe, elapsed) in summary.Slowest)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"slow: #{index} {elapsed.TotalMilliseconds:0} ms seed '{seed}' {recipe}");
        }

        return text.ToString();
    }
}
