using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Scanning.Analyzers.Safetensors;
using Rampart.Scanning.Engine;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Safetensors;

public sealed class SafetensorsAnalyzerTests
{
    private static Task<Core.Reporting.ScanReport> Scan(byte[] bytes, string name = "model.safetensors") => ScanHelper.ScanBytesAsync(bytes, name);

    [Fact]
    public async Task Analyze_ValidFile_CleanWithFacts()
    {
        var report = await Scan(SafetensorsFixtures.Valid());

        report.Findings.Should().BeEmpty();
        report.Artifacts.Should().ContainSingle();
        var facts = report.Artifacts[0].Facts;
        facts["safetensors.tensors"].Should().Be("2");
        facts["safetensors.parameters"].Should().Be("16");
        facts["safetensors.dtypes"].Should().Be("F16,F32");
        facts["safetensors.format"].Should().Be("pt");
        facts["safetensors.metadata.format"].Should().Be("pt");
    }

    [Fact]
    public async Task Analyze_TensorsListedOutOfOffsetOrder_Clean()
    {
        var bytes = new SafetensorsBuilder().Tensor("b", "U8", [4], begin: 4, end: 8).Tensor("a", "U8", [4], begin: 0, end: 4).Build();

        (await Scan(bytes)).Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_LongMetadataValue_TruncatedTo200()
    {
        var bytes = new SafetensorsBuilder().Metadata("note", new string('x', 500)).Tensor("w", "U8", [1]).Build();

        var report = await Scan(bytes);

        report.Artifacts[0].Facts["safetensors.metadata.note"].Should().HaveLength(200);
    }

    [Fact]
    public async Task Analyze_TrailingPickle_HiddenDataChildJudgedByPickleAnalyzer()
    {
        var report = await Scan(FixtureCatalog.Get("safetensors/trailing-pickle").Build());

        report.Findings.Should().Contain(f => f.RuleId == SafetensorsAnalyzer.HiddenData && f.ArtifactPath == "model.safetensors");
        report.Artifacts.Should().Contain(a => a.Path == "model.safetensors#hidden-data");
        report.Findings.Should().Contain(f => f.ArtifactPath == "model.safetensors#hidden-data" && f.Verdict == Verdict.Malicious);
        report.Verdict.Should().Be(Verdict.Malicious);
    }

    [Fact]
    public async Task Analyze_GapBetweenTensors_HiddenData()
    {
        var report = await Scan(FixtureCatalog.Get("safetensors/gap").Build());

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == SafetensorsAnalyzer.HiddenData).Subject;
        finding.Properties!["bytes"].Should().Be("8");
    }

    [Fact]
    public async Task Analyze_DataNotStartingAtZero_HiddenData()
    {
        var bytes = new SafetensorsBuilder().Tensor("w", "U8", [4], begin: 4, end: 8).Build();

        (await Scan(bytes)).Findings.Should().ContainSingle(f => f.RuleId == SafetensorsAnalyzer.HiddenData);
    }

    [Fact]
    public async Task Analyze_DuplicateKeys_Reported()
    {
        var report = await Scan(FixtureCatalog.Get("safetensors/duplicate-keys").Build());

        report.Findings.Should().Contain(f => f.RuleId == SafetensorsAnalyzer.DuplicateKeys);
    }

    [Fact]
    public async Task Analyze_DuplicateMetadataKeyNested_Reported()
    {
        var bytes = new SafetensorsBuilder().RawHeader("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}").Build();

        (await Scan(bytes)).Findings.Should().Contain(f => f.RuleId == SafetensorsAnalyzer.DuplicateKeys);
    }

    [Fact]
    public async Task Analyze_NewlinePadding_Reported()
    {
        (await Scan(FixtureCatalog.Get("safetensors/newline-padding").Build())).Findings.Should().ContainSingle(f => f.RuleId == SafetensorsAnalyzer.HeaderPadding);
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"X9\",\"shape\":[1],\"data_offsets\":[0,1]}}", "unknown dtype")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "need 8 bytes")]
    [InlineData("{\"w\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,1]}}", "non-negative")]
    [InlineData("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,0]}}", "before begin")]
    [InlineData("{\"w\":{\"dtype\":\"U8\",\"shape\":[1]}}", "lacks")]
    [InlineData("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":1}}", "unknown field")]
    [InlineData("{\"__metadata__\":{\"a\":1}}", "not a string")]
    [InlineData("{\"__metadata__\":[]}", "not an object")]
    [InlineData("{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,1]}}", "overflows")]
    [InlineData("{\"w\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,1]}}", "whole bytes")]
    [InlineData("{\"w\":1,}", "well-formed")]
    [InlineData("{\"w\":{}} x", "well-formed")]
    public async Task Analyze_InvalidHeader_Inconclusive(string header, string reason)
    {
        var bytes = new SafetensorsBuilder().RawHeader(header).Trailing(new byte[8]).Build();

        var report = await Scan(bytes);

        report.Verdict.Should().Be(Verdict.Inconclusive);
        report.Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains(reason));
    }

    [Fact]
    public async Task Analyze_OverlappingTensors_Inconclusive()
    {
        var bytes = new SafetensorsBuilder().Tensor("a", "U8", [4], begin: 0, end: 4).Tensor("b", "U8", [4], begin: 2, end: 6).Build();

        var report = await Scan(bytes);

        report.Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains("overlapping"));
    }

    [Fact]
    public async Task Analyze_TensorPastEndOfFile_Inconclusive()
    {
        var bytes = new SafetensorsBuilder().Tensor("a", "U8", [4]).Build();

        var report = await Scan(bytes[..^2]);

        report.Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains("truncated"));
    }

    [Fact]
    public async Task Analyze_HeaderLongerThanFile_Inconclusive()
    {
        var bytes = new SafetensorsBuilder().Tensor("a", "U8", [4]).HeaderLength(4096).Build();

        (await Scan(bytes)).Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains("holds only"));
    }

    [Fact]
    public async Task Analyze_HeaderAboveReferenceLimit_Inconclusive()
    {
        var bytes = new SafetensorsBuilder().Tensor("a", "U8", [4]).HeaderLength(100_000_001).Build();

        (await Scan(bytes)).Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains("100,000,000"));
    }

    [Fact]
    public async Task Analyze_HeaderAbovePolicyLimit_LimitReached()
    {
        var bytes = new SafetensorsBuilder().Tensor("a", "U8", [4]).Build();
        var policy = ScanPolicy.Default with { Limits = ScanLimits.Default with { MaxHeaderBytes = 16 } };

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.safetensors", policy);

        report.Findings.Should().Contain(f => f.RuleId == RuleIds.LimitReached);
    }

    [Fact]
    public void CanAnalyze_OtherContent_False()
    {
        var analyzer = new SafetensorsAnalyzer();
        analyzer.CanAnalyze(ArtifactFactory.FromBytes("x", null, 0, "{\"a\": 1, \"b\": 2}"u8.ToArray())).Should().BeFalse();
        analyzer.CanAnalyze(ArtifactFactory.FromBytes("x", null, 0, new NpyBuilder().Build())).Should().BeFalse();
        analyzer.CanAnalyze(ArtifactFactory.FromBytes("x", null, 0, SafetensorsFixtures.Valid())).Should().BeTrue();
    }

    /// <summary>The fast path: a 10 GiB file whose stream throws when read past the header is judged Clean.</summary>
    [Theory]
    [InlineData(3)]
    [InlineData(5000)]
    public async Task Analyze_ValidHugeFile_NeverReadsTensorBytes(int tensors)
    {
        var builder = new SafetensorsBuilder().Metadata("format", "pt");
        for (var i = 0; i < tensors - 1; i++)
        {
            builder.Tensor($"layers.{i}.weight", "BF16", [64, 64]);
        }

        const long Huge = 10L * 1024 * 1024 * 1024;
        var claimed = builder.DataLength();
        builder.Tensor("lm_head.weight", "U8", [Huge - claimed]);
        var header = builder.HeaderOnly().Build();
        var length = header.Length + Huge;
        var head = new byte[Artifact.HeadSize];
        header.AsSpan(0, Math.Min(header.Length, head.Length)).CopyTo(head);
        var opened = 0;
        var artifact = new Artifact("huge.safetensors", null, 0, length, head, ReadOnlyMemory<byte>.Empty,
            _ =>
            {
                Interlocked.Increment(ref opened);
                return ValueTask.FromResult<Stream>(new HeaderOnlyStream(header, length));
            });

        var report = await Scanner.CreateDefault().ScanArtifactAsync(artifact, ScanPolicy.Default);

        report.Findings.Should().BeEmpty();
        report.Verdict.Should().Be(Verdict.Clean);
        report.Artifacts[0].Facts["safetensors.tensors"].Should().Be(tensors.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (header.Length <= Artifact.HeadSize)
        {
            opened.Should().Be(0, "a header inside the head needs no read at all");
        }
        else
        {
            opened.Should().Be(1);
        }
    }

    /// <summary>A seekable stream of <paramref name="length"/> bytes that serves the header and throws on any read past it.</summary>
    private sealed class HeaderOnlyStream(byte[] header, long length) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= header.Length && count > 0)
            {
                throw new InvalidOperationException($"read at {Position}, past the {header.Length}-byte header");
            }

            var n = (int)Math.Min(count, header.Length - Position);
            header.AsSpan((int)Position, n).CopyTo(buffer.AsSpan(offset));
            Position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
