using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Scanning.Analyzers.Pickle;
using Rampart.Scanning.Engine;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>
/// The head of a pickle is emulated once: the analyzer takes over the sniffer's machine and goes on with the rest of
/// the file. Its report must be exactly what a fresh emulation from byte 0 gives, for every way a sniff can stop.
/// </summary>
public sealed class PickleHeadTakeOverTests
{
    public static TheoryData<string> Shapes =>
    [
        "payload-in-head",
        "payload-after-budget-in-head",
        "payload-after-budget-past-head",
        "benign-past-head",
        "second-pickle-payload",
        "second-pickle-payload-past-head",
        "truncated-past-head",
        "memo-reference-across-head",
    ];

    private static byte[] Make(string shape)
    {
        switch (shape)
        {
            case "payload-in-head":
                return PickleBuilder.CallPickle("os", "system", "touch marker");
            case "payload-after-budget-in-head":
                // 3,000 two-byte ints: past the sniff's opcode budget, still inside the 64 KiB head.
                return Ints(3000).Pop().Call("os", "system", "touch marker").Stop().ToArray();
            case "payload-after-budget-past-head":
                // 30,000 five-byte ints: the payload sits past the head.
                return Ints(30_000, wide: true).Pop().Call("subprocess", "Popen", "touch marker").Stop().ToArray();
            case "benign-past-head":
                return Ints(30_000, wide: true).Stop().ToArray();
            case "second-pickle-payload":
                return [.. PickleBuilder.CallPickle("collections", "OrderedDict", "x"), .. PickleBuilder.CallPickle("builtins", "eval", "1")];
            case "second-pickle-payload-past-head":
                return [.. Ints(30_000, wide: true).Stop().ToArray(), .. PickleBuilder.CallPickle("builtins", "exec", "1")];
            case "truncated-past-head":
                return Ints(30_000, wide: true).ToArray();
            default:
                // A global memoised inside the head and fetched from the memo after it: the state crosses the boundary.
                var b = new PickleBuilder().Proto(4).StackGlobal("os", "system").Memoize().Pop();
                Ints(30_000, wide: true, b).Pop();
                return b.BinGet(0).Mark().BinUnicode("id").Tuple().Reduce().Stop().ToArray();
        }
    }

    private static PickleBuilder Ints(int count, bool wide = false, PickleBuilder? into = null)
    {
        var b = into ?? new PickleBuilder().Proto(4);
        b.EmptyList().Mark();
        for (var i = 0; i < count; i++)
        {
            _ = wide ? b.BinInt(i) : b.BinInt1((byte)i);
        }

        return b.Appends();
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Analyze_AfterTheSniff_ReportsExactlyWhatAFreshEmulationReports(string shape)
    {
        var bytes = Make(shape);
        var analyzer = new PickleAnalyzer();
        var context = new AnalysisContext(AnalyzerRegistry.Rules, ScanPolicy.Default);

        var freshArtifact = ArtifactOver(bytes, out var freshReads);
        var fresh = await analyzer.AnalyzeAsync(freshArtifact, context, CancellationToken.None);
        var sniffedArtifact = ArtifactOver(bytes, out var sniffedReads);
        analyzer.CanAnalyze(sniffedArtifact).Should().BeTrue();
        var taken = await analyzer.AnalyzeAsync(sniffedArtifact, context, CancellationToken.None);

        Describe(taken).Should().Equal(Describe(fresh));
        taken.Facts.Should().BeEquivalentTo(fresh.Facts);
        if (shape != "benign-past-head")
        {
            fresh.Findings.Should().NotBeEmpty("every other shape is malicious or broken");
        }

        freshReads.FirstReadAt.Should().Be(0, "a fresh emulation reads from the first byte");
        if (bytes.Length <= Artifact.HeadSize)
        {
            sniffedReads.Opened.Should().Be(0, "the sniff read the whole file already");
        }
        else
        {
            sniffedReads.FirstReadAt.Should().Be(Artifact.HeadSize, "the analyzer goes on after the head the sniff emulated");
        }
    }

    [Fact]
    public async Task Analyze_WithLimitsTighterThanTheSniffs_EmulatesAgainFromTheStart()
    {
        // A 3,000-byte UNICODE line: within the sniff's limits, past the policy's 1,000 bytes.
        var bytes = new PickleBuilder().Proto(2).Unicode(new string('a', 3000)).Pop().Call("os", "system", "x").Stop().ToArray();
        var analyzer = new PickleAnalyzer();
        var context = new AnalysisContext(AnalyzerRegistry.Rules, ScanPolicy.Default with { Limits = ScanLimits.Default with { MaxPickleStringBytes = 1000 } });
        var artifact = ArtifactOver(bytes, out var reads);

        analyzer.CanAnalyze(artifact).Should().BeTrue();
        var result = await analyzer.AnalyzeAsync(artifact, context, CancellationToken.None);

        reads.FirstReadAt.Should().Be(0);
        result.Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains("longer than 1000 bytes"),
            "the policy's string limit applies to the head too");
    }

    private static List<string> Describe(AnalysisResult result) =>
        [.. result.Findings.Select(f => $"{f.RuleId} @{f.Location.Offset} {f.Message}")];

    private static Artifact ArtifactOver(byte[] bytes, out ReadLog log)
    {
        var reads = new ReadLog();
        log = reads;
        var head = bytes.AsMemory(0, Math.Min(bytes.Length, Artifact.HeadSize));
        return new Artifact("model.pkl", null, 0, bytes.Length, head, ReadOnlyMemory<byte>.Empty, _ =>
        {
            reads.Opened++;
            return ValueTask.FromResult<Stream>(new LoggingStream(bytes, reads));
        });
    }

    private sealed class ReadLog
    {
        public int Opened { get; set; }

        public long? FirstReadAt { get; set; }
    }

    private sealed class LoggingStream(byte[] bytes, ReadLog log) : MemoryStream(bytes, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            log.FirstReadAt ??= Position;
            return base.Read(buffer, offset, count);
        }

        public override int Read(Span<byte> buffer)
        {
            log.FirstReadAt ??= Position;
            return base.Read(buffer);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            log.FirstReadAt ??= Position;
            return base.ReadAsync(buffer, cancellationToken);
        }
    }
}
