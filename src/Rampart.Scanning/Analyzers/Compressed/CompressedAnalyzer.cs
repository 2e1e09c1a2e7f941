using System.Globalization;
using Rampart.Core;
using Rampart.Scanning.Compression;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Compressed;

/// <summary>The compressed-stream formats this analyzer recognises.</summary>
internal enum CompressionFormat
{
    None,
    Gzip,
    Zlib,
    Bzip2,
    Xz,
    LzmaAlone,

    /// <summary>joblib's pre-0.10 "ZF" file: "ZF", the inflated length as "0x..." padded to 19 bytes, then a zlib stream.</summary>
    JoblibZfile,
}

/// <summary>
/// gzip, zlib, bzip2, xz and .lzma streams (joblib's compress= options, .tar.gz/.tar.bz2/.tar.xz, gzipped pickles).
/// Decompresses the whole stream with Rampart's own checked decoders, bounded by the decompressed-size and
/// compression-ratio limits, and hands the content back to the dispatch as one child, <c>path#decompressed</c>.
/// Corruption, truncation and unsupported features make the artifact Inconclusive; bytes after the last complete
/// stream are reported (RAMP-CMP-001) and analysed as their own child, <c>path#trailing-data</c>.
/// </summary>
internal sealed class CompressedAnalyzer : IArtifactAnalyzer
{
    public const string TrailingDataRule = "RAMP-CMP-001";
    public const string UnsupportedRule = "RAMP-CMP-002";

    /// <summary>How much a zlib candidate must inflate cleanly (or end) before it is believed.</summary>
    private const int ZlibProbeBytes = 4096;

    private const int ReadChunkBytes = 1 << 20;

    private static readonly byte[] XzMagic = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00];
    private static readonly byte[] Bzip2BlockMagic = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
    private static readonly byte[] Bzip2EndMagic = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

    public string Id => "compressed";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return Detect(artifact.Head.Span) != CompressionFormat.None;
    }

    /// <summary>
    /// Length of joblib's "ZF" header: the prefix and the inflated length in hex ("0x..."), space-padded to the length
    /// of hex(2**64). joblib.load still reads such files (its compatibility loader), so they are unpacked like any zlib.
    /// </summary>
    private const int ZfileHeaderBytes = 2 + 19;

    private static readonly System.Buffers.SearchValues<byte> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF"u8);

    /// <summary>Identifies the format from the first bytes (content only, never the name).</summary>
    public static CompressionFormat Detect(ReadOnlySpan<byte> head)
    {
        if (IsJoblibZfile(head))
        {
            return CompressionFormat.JoblibZfile;
        }

        if (head.Length >= 10 && head[0] == 0x1F && head[1] == 0x8B && head[2] == 8)
        {
            return CompressionFormat.Gzip;
        }

        if (head.StartsWith(XzMagic))
        {
            return CompressionFormat.Xz;
        }

        if (head.Length >= 10 && head.StartsWith("BZh"u8) && head[3] is >= (byte)'1' and <= (byte)'9'
            && (head[4..].StartsWith(Bzip2BlockMagic) || head[4..].StartsWith(Bzip2EndMagic)))
        {
            return CompressionFormat.Bzip2;
        }

        if (head.Length >= 2 && ZlibDecoderStream.IsValidHeader(head[0], head[1]) && InflatesCleanly(head))
        {
            return CompressionFormat.Zlib;
        }

        return LzmaAloneDecoderStream.LooksLikeHeader(head) ? CompressionFormat.LzmaAlone : CompressionFormat.None;
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var format = Detect(artifact.Head.Span);
        result.SetFact("format", FormatName(format));
        var limits = context.Limits;
        var childName = ChildName(artifact.Name);
        var childPath = artifact.Path + "#decompressed";

        var (decoder, bounded) = await OpenAsync(artifact, format, limits, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[64 * 1024];
        var filled = 0;
        var complete = false;
        var failed = true;
        try
        {
            await using (bounded.ConfigureAwait(false))
            {
                // Keep up to the materialisation size for the child; past it, keep decoding only to verify the whole stream.
                var scratch = new byte[64 * 1024];
                while (true)
                {
                    Memory<byte> target;
                    if (filled < ArtifactFactory.MaterializeBytes)
                    {
                        if (filled == buffer.Length)
                        {
                            Array.Resize(ref buffer, Math.Min(ArtifactFactory.MaterializeBytes, buffer.Length * 2));
                        }

                        // Bounded reads, so that cancellation (the per-file time limit) is seen often.
                        target = buffer.AsMemory(filled, Math.Min(ReadChunkBytes, buffer.Length - filled));
                    }
                    else
                    {
                        target = scratch;
                    }

                    var read = await bounded.ReadAsync(target, cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    if (filled < ArtifactFactory.MaterializeBytes)
                    {
                        filled += read;
                    }
                }

                complete = bounded.Produced <= ArtifactFactory.MaterializeBytes;
                failed = false;
                ReportStreamFacts(result, decoder, bounded.Produced);
                await ReportTrailingDataAsync(result, artifact, decoder, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (UnsupportedCompressionException e)
        {
            result.Report(UnsupportedRule, $"{FormatName(format)} stream uses a feature Rampart cannot decode: {e.Message}",
                FindingLocation.AtOffset(e.Offset), [new("feature", e.Feature)]);
        }
        catch (MalformedContentException e)
        {
            result.Inconclusive($"{FormatName(format)} stream is corrupt or truncated: {e.Message}", e.Offset is { } o ? FindingLocation.AtOffset(o) : null);
        }
        catch (LimitExceededException e)
        {
            result.LimitReached(e.LimitName, e.Message);
        }

        result.SetFact("complete", failed ? "false" : "true");
        if (failed)
        {
            // What was decoded before the failure is still analysed: a payload in it is worth knowing about.
            if (filled > 0)
            {
                result.AddChild(ArtifactFactory.FromBytes(childPath, artifact, buffer.AsMemory(0, filled).ToArray(), childName));
            }
        }
        else if (complete)
        {
            result.AddChild(ArtifactFactory.FromBytes(childPath, artifact, buffer.AsMemory(0, filled), childName));
        }
        else
        {
            // Too large to keep: analysers re-decode on demand (the stream was verified end to end above).
            async ValueTask<Stream> Reopen(CancellationToken ct) => (await OpenAsync(artifact, format, limits, ct).ConfigureAwait(false)).Bounded;
            result.AddChild(new Artifact(childPath, artifact.Path, artifact.Depth + 1, null, buffer.AsMemory(0, Artifact.HeadSize),
                ReadOnlyMemory<byte>.Empty, Reopen, childName));
        }

        return result;
    }

    private static async ValueTask<(DecompressingStream Decoder, BoundedReadStream Bounded)> OpenAsync(
        Artifact artifact, CompressionFormat format, ScanLimits limits, CancellationToken cancellationToken)
    {
        var raw = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        DecompressingStream decoder = format switch
        {
            CompressionFormat.Gzip => new GzipDecoderStream(raw, limits.MaxHeaderBytes),
            CompressionFormat.Zlib => new ZlibDecoderStream(raw),
            CompressionFormat.JoblibZfile => new ZlibDecoderStream(new SubStream(raw, ZfileHeaderBytes, long.MaxValue)),
            CompressionFormat.Bzip2 => new Bzip2DecoderStream(raw),
            CompressionFormat.Xz => new XzDecoderStream(raw, limits.MaxHeaderBytes),
            CompressionFormat.LzmaAlone => new LzmaAloneDecoderStream(raw, limits.MaxHeaderBytes),
            _ => throw new InvalidOperationException("not a compressed stream"),
        };
        var bounded = new BoundedReadStream(decoder, limits.MaxDecompressedBytes, $"the {FormatName(format)} stream in {artifact.Path}",
            limits.MaxCompressionRatio, () => decoder.CompressedPosition);
        return (decoder, bounded);
    }

    private static void ReportStreamFacts(AnalysisResult result, DecompressingStream decoder, long produced)
    {
        result.SetFact("streams", decoder.StreamCount);
        result.SetFact("input-bytes", decoder.TrailingDataOffset ?? decoder.CompressedPosition);
        result.SetFact("output-bytes", produced);
        switch (decoder)
        {
            case GzipDecoderStream { OriginalName: { } name }:
                result.SetFact("gzip.name", name);
                break;
            case XzDecoderStream xz:
                result.SetFact("xz.check", xz.CheckType switch { 0 => "none", 1 => "crc32", 4 => "crc64", _ => "sha256" });
                result.SetFact("xz.blocks", xz.BlockCount);
                break;
            case Bzip2DecoderStream bz:
                result.SetFact("bzip2.block-size", bz.BlockSizeDigit * 100_000L);
                break;
            default:
                break;
        }
    }

    private static async ValueTask ReportTrailingDataAsync(AnalysisResult result, Artifact artifact, DecompressingStream decoder, CancellationToken cancellationToken)
    {
        if (decoder.TrailingDataOffset is not { } offset)
        {
            return;
        }

        var length = artifact.Length is { } total ? total - offset : (long?)null;
        var size = length is { } l ? l.ToString("N0", CultureInfo.InvariantCulture) + " bytes" : "bytes";
        result.Report(TrailingDataRule,
            $"{size} after the end of the last compressed stream at offset {offset}: decompressors ignore or reject them, so they may hide content",
            FindingLocation.AtOffset(offset),
            [new("offset", offset.ToString(CultureInfo.InvariantCulture))]);
        if (length is > 0)
        {
            try
            {
                result.AddChild(await ArtifactFactory.FromSliceAsync(artifact.Path + "#trailing-data", artifact, offset, length.Value, cancellationToken).ConfigureAwait(false));
            }
            catch (InvalidOperationException)
            {
                // The parent cannot be sliced (itself a decompressed stream): the finding above stands on its own.
            }
        }
    }

    /// <summary>
    /// Two bytes pass the zlib header check by chance in about one of 500 random files (and "x^" in text), so a
    /// candidate must also decode: produce <see cref="ZlibProbeBytes"/> bytes, or end with a correct Adler-32.
    /// </summary>
    private static bool InflatesCleanly(ReadOnlySpan<byte> head)
    {
        using var zlib = new ZlibDecoderStream(new ReadOnlyMemoryStream(head.ToArray()));
        Span<byte> output = stackalloc byte[ZlibProbeBytes];
        var total = 0;
        try
        {
            while (total < output.Length)
            {
                var n = zlib.Read(output[total..]);
                if (n == 0)
                {
                    return true;
                }

                total += n;
            }

            return true;
        }
        catch (Exception e) when (e is MalformedContentException or UnsupportedCompressionException)
        {
            return false;
        }
    }

    private static string ChildName(string name)
    {
        foreach (var extension in (string[])[".gz", ".gzip", ".tgz", ".z", ".zlib", ".bz2", ".tbz2", ".xz", ".txz", ".lzma"])
        {
            if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase) && name.Length > extension.Length)
            {
                var stem = name[..^extension.Length];
                return extension.StartsWith(".t", StringComparison.Ordinal) ? stem + ".tar" : stem;
            }
        }

        return name;
    }

    /// <summary>"ZF0x" + hex digits + spaces up to the 21st byte, then a valid zlib header.</summary>
    private static bool IsJoblibZfile(ReadOnlySpan<byte> head)
    {
        if (head.Length < ZfileHeaderBytes + 2 || !head.StartsWith("ZF0x"u8) || !ZlibDecoderStream.IsValidHeader(head[ZfileHeaderBytes], head[ZfileHeaderBytes + 1]))
        {
            return false;
        }

        var length = head[4..ZfileHeaderBytes];
        var digits = length.IndexOf((byte)' ');
        digits = digits < 0 ? length.Length : digits;
        return digits > 0 && !length[..digits].ContainsAnyExcept(HexDigits) && !length[digits..].ContainsAnyExcept((byte)' ');
    }

    private static string FormatName(CompressionFormat format) => format switch
    {
        CompressionFormat.Gzip => "gzip",
        CompressionFormat.Zlib => "zlib",
        CompressionFormat.Bzip2 => "bzip2",
        CompressionFormat.Xz => "xz",
        CompressionFormat.LzmaAlone => "lzma",
        CompressionFormat.JoblibZfile => "joblib-zfile",
        _ => "none",
    };
}
