using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Rampart.Benchmarks;

/// <summary>A short job (the CI machine has 2 shared cores), memory diagnoser, and throughput columns.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(8));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(new ThroughputColumn("MB/s", input => input.Bytes.Length / 1e6));
        AddColumn(new ThroughputColumn("Mop/s", input => input.Opcodes / 1e6));
        AddColumn(new ThroughputColumn("members/s", input => input.Members));
    }
}

/// <summary>Input size divided by the mean time, in the unit the selector gives.</summary>
public sealed class ThroughputColumn(string name, Func<BenchInput, double> amount) : IColumn
{
    public string Id => "throughput-" + name;

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => $"{name}: input size divided by the mean time";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        var input = InputOf(benchmarkCase);
        if (mean is not > 0 || input is null || amount(input) <= 0)
        {
            return "-";
        }

        return (amount(input) / (mean.Value / 1e9)).ToString("N1", CultureInfo.InvariantCulture);
    }

    private static BenchInput? InputOf(BenchmarkCase benchmarkCase)
    {
        var parameter = benchmarkCase.Parameters.Items.Count > 0 ? benchmarkCase.Parameters.Items[0] : null;
        return (benchmarkCase.Descriptor.Type.Name, parameter?.Value) switch
        {
            (nameof(PickleEmulatorBenchmarks), int protocol) => BenchInputs.Pickle(protocol, 16),
            (nameof(ZipCentralDirectoryBenchmarks), int members) => BenchInputs.Zip(members),
            _ => null,
        };
    }
}
