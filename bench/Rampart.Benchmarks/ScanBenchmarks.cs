using BenchmarkDotNet.Attributes;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Scanning.Engine;

namespace Rampart.Benchmarks;

/// <summary>
/// In-process pickle emulator throughput: a ~16 MB pickle (protocols 2 and 4) scanned in memory through the real
/// dispatch (every registered analyzer that recognises it). The MB/s and Mop/s columns divide the input by the mean.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class PickleEmulatorBenchmarks
{
    private Scanner _scanner = null!;
    private Artifact _artifact = null!;

    [Params(2, 4)]
    public int Protocol { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _scanner = Scanner.CreateDefault();
        _artifact = ArtifactFactory.FromBytes("bench.pkl", null, 0, BenchInputs.Pickle(Protocol, 16).Bytes, "bench.pkl");
    }

    [Benchmark]
    public Task<ScanReport> ScanPickle() => _scanner.ScanArtifactAsync(_artifact, ScanPolicy.Default);
}

/// <summary>
/// Zip central directory parse: a stored, PyTorch-shaped zip with many small members scanned in memory through the
/// real dispatch (zip analyzer, then each member through the dispatch). The members/s column divides by the mean.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class ZipCentralDirectoryBenchmarks
{
    private Scanner _scanner = null!;
    private Artifact _artifact = null!;

    [Params(1_000, 10_000)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _scanner = Scanner.CreateDefault();
        _artifact = ArtifactFactory.FromBytes("bench.pt", null, 0, BenchInputs.Zip(Members).Bytes, "bench.pt");
    }

    [Benchmark]
    public Task<ScanReport> ScanZip() => _scanner.ScanArtifactAsync(_artifact, ScanPolicy.Default);
}
