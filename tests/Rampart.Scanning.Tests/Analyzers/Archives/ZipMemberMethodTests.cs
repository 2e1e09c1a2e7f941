using System.Diagnostics;
using System.Text;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Scanning.Analyzers.Archives;
using Rampart.Scanning.Engine;
using Rampart.TestKit;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Rampart.Scanning.Tests.Analyzers.Archives;

/// <summary>
/// Compressed data for zip methods 12 (bzip2), 14 (LZMA) and 95 (xz), written by Debian's Python (bz2, zipfile's own
/// LZMA member format, lzma) in a child process, and 93 (zstd) by ZstdSharp. Tests skip where Python is absent.
/// </summary>
internal static class ZipPayloads
{
    public const string Python = "/usr/bin/python3";

    // Each method's member data exactly as zipfile writes it: bzip2 and xz streams whole, LZMA with its 4-byte
    // version/properties-size header, the 5 property bytes and a raw LZMA1 stream ending with an end marker.
    private const string Script = """
        import bz2, lzma, struct, sys
        data = open(sys.argv[1], 'rb').read()
        kind = sys.argv[2]
        if kind == 'bzip2':
            out = bz2.compress(data)
        elif kind == 'xz':
            out = lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64)
        else:
            props = lzma._encode_filter_properties({'id': lzma.FILTER_LZMA1})
            raw = lzma.LZMACompressor(lzma.FORMAT_RAW, filters=[lzma._decode_filter_properties(lzma.FILTER_LZMA1, props)])
            out = struct.pack('<BBH', 9, 4, len(props)) + props + raw.compress(data) + raw.flush()
        open(sys.argv[3], 'wb').write(out)
        """;

    public static string? Missing { get; } = File.Exists(Python) ? null : $"{Python} is not installed";

    /// <summary>The member data of <paramref name="content"/> compressed with zip method <paramref name="method"/>.</summary>
    public static byte[] Compress(ushort method, byte[] content)
    {
        if (method == 93)
        {
            using var compressor = new Compressor(3);
            return compressor.Wrap(content).ToArray();
        }

        using var temp = new TempDirectory();
        File.WriteAllBytes(temp.File("in"), content);
        File.WriteAllText(temp.File("compress.py"), Script);
        var kind = method switch { 12 => "bzip2", 14 => "lzma", 95 => "xz", _ => throw new ArgumentOutOfRangeException(nameof(method)) };
        using var process = Process.Start(new ProcessStartInfo(Python) { ArgumentList = { temp.File("compress.py"), temp.File("in"), kind, temp.File("out") }, RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, error);
        return File.ReadAllBytes(temp.File("out"));
    }

    /// <summary>A one-member zip whose member is <paramref name="content"/> compressed with <paramref name="method"/>.</summary>
    public static ZipMember Member(string name, ushort method, byte[] content) =>
        new(name, content) { Payload = Compress(method, content), MethodOverride = method, ExtraFlags = (ushort)(method == 14 ? 0x0002 : 0) };
}

/// <summary>A fact skipped, with the reason, where Debian's Python is absent.</summary>
public sealed class ZipPayloadTheoryAttribute : TheoryAttribute
{
    public ZipPayloadTheoryAttribute()
    {
        if (ZipPayloads.Missing is { } reason)
        {
            Skip = reason;
        }
    }
}

public sealed class ZipMemberMethodTests
{
    private static readonly byte[] Payload = PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-marker");

    private static Task<Core.Reporting.ScanReport> Scan(byte[] bytes, string name = "archive.zip", ScanLimits? limits = null) =>
        ScanHelper.ScanBytesAsync(bytes, name, limits is null ? null : ScanPolicy.Default with { Limits = limits });

    [ZipPayloadTheory]
    [InlineData(12)]
    [InlineData(14)]
    [InlineData(93)]
    [InlineData(95)]
    public async Task Analyze_MethodRoundTrip_MemberDecodedWithItsLength(ushort method)
    {
        var content = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 3000).Select(i => $"row {i % 97}\n")));

        var report = await Scan(new ZipBuilder().Add(ZipPayloads.Member("notes.txt", method, content)).Build());

        report.Findings.Should().BeEmpty();
        report.Artifacts.Single(a => a.Path == "archive.zip!/notes.txt").Length.Should().Be(content.Length);
    }

    [ZipPayloadTheory]
    [InlineData(12)]
    [InlineData(14)]
    [InlineData(93)]
    [InlineData(95)]
    public async Task Analyze_MaliciousPickleInCompressedMember_Malicious(ushort method)
    {
        var report = await Scan(new ZipBuilder().Add(ZipPayloads.Member("archive/data.pkl", method, Payload)).Build());

        report.Verdict.Should().Be(Verdict.Malicious);
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-PKL-101" && f.ArtifactPath == "archive.zip!/archive/data.pkl");
    }

    [ZipPayloadTheory]
    [InlineData(12)]
    [InlineData(14)]
    [InlineData(93)]
    [InlineData(95)]
    public async Task Analyze_CrcMismatchInCompressedMember_ReportsIntegrityMismatch(ushort method)
    {
        var member = ZipPayloads.Member("a.txt", method, Encoding.ASCII.GetBytes("hello, world")) with { CrcOverride = 7 };

        var report = await Scan(new ZipBuilder().Add(member).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.IntegrityMismatch).Which.Message.Should().Contain("CRC-32");
    }

    [ZipPayloadTheory]
    [InlineData(8)]
    [InlineData(12)]
    [InlineData(14)]
    [InlineData(93)]
    [InlineData(95)]
    public async Task Analyze_BombLyingAboutItsSize_StoppedWhileDecoding(ushort method)
    {
        var zeros = new byte[256 * 1024];
        var member = method == 8
            ? new ZipMember("a.bin", zeros) { Deflate = true, DeclaredSize = 100 }
            : ZipPayloads.Member("a.bin", method, zeros) with { DeclaredSize = 100 };

        var report = await Scan(new ZipBuilder().Add(member).Build(), limits: ScanLimits.Default with { MaxDecompressedBytes = 64 * 1024 });

        report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.CompressionBomb).Which.Property("limit").Should().Be("max-decompressed-bytes");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [ZipPayloadTheory]
    [InlineData(12)]
    [InlineData(14)]
    [InlineData(93)]
    [InlineData(95)]
    public async Task Analyze_RatioBombLyingAboutItsSize_StoppedByTheRatio(ushort method)
    {
        // 40 MiB of zeros compresses far past 1000:1; past the 16 MiB grace the ratio stops it.
        var zeros = new byte[40 * 1024 * 1024];
        var member = ZipPayloads.Member("a.bin", method, zeros) with { DeclaredSize = 100 };

        var report = await Scan(new ZipBuilder().Add(member).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.CompressionBomb).Which.Property("limit").Should().Be("max-compression-ratio");
    }

    [Fact]
    public async Task Analyze_ZstdFrameAskingForAHugeWindow_InconclusiveNotDecoded()
    {
        var content = Encoding.ASCII.GetBytes(new string('z', 10_000));
        byte[] frame;
        using (var output = new MemoryStream())
        {
            using (var zstd = new CompressionStream(output, 3, leaveOpen: true))
            {
                zstd.SetParameter(ZSTD_cParameter.ZSTD_c_windowLog, ZipMemberReader.MaxZstdWindowLog + 3);
                zstd.Write(content);
            }

            frame = output.ToArray();
        }

        var report = await Scan(new ZipBuilder().Add(new ZipMember("a.txt", content) { Payload = frame, MethodOverride = 93 }).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.ParseError).Which.Message.Should().Contain("zstandard");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [ZipPayloadTheory]
    [InlineData(12)]
    [InlineData(14)]
    [InlineData(95)]
    public async Task Analyze_CorruptCompressedMember_InconclusiveNotACrash(ushort method)
    {
        var payload = ZipPayloads.Compress(method, Encoding.ASCII.GetBytes(new string('q', 5000)));
        payload[payload.Length / 2] ^= 0x55;
        payload[(payload.Length / 2) + 1] ^= 0xAA;

        var report = await Scan(new ZipBuilder().Add(new ZipMember("a.txt", new byte[5000]) { Payload = payload, MethodOverride = method }).Build());

        report.Verdict.Should().NotBe(Verdict.Clean);
        report.Findings.Should().NotContain(f => f.RuleId == RuleIds.AnalyzerFailure);
    }

    [Fact]
    public async Task Analyze_Deflate64_StillUnsupportedAndInconclusive()
    {
        var report = await Scan(new ZipBuilder().Add(new ZipMember("a.txt", Encoding.ASCII.GetBytes("x")) { MethodOverride = 9 }).Build());

        report.Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains("deflate64"));
    }
}
