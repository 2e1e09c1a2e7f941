using System.IO.Compression;
using Rampart.Core;
using Rampart.Scanning.Compression;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Rampart.Scanning.Analyzers.Archives;

/// <summary>
/// The one way every zip reader in Rampart (the zip, Keras and PyTorch analyzers) opens a member: the member's bytes
/// in the archive, the decoder its compression method names, a bound on output size and compression ratio, and the
/// CRC-32 and size check once the content has been read to its end. Methods: 0 stored, 8 deflate, 12 bzip2,
/// 14 LZMA, 93 zstd (window limited), 95 xz: the methods Python's zipfile reads (3.14 adds zstd) plus xz.
/// </summary>
internal static class ZipMemberReader
{
    /// <summary>zstd frames asking for a larger window than 2^27 bytes (128 MiB, zstd's own default cap) are refused.</summary>
    public const int MaxZstdWindowLog = 27;

    /// <summary>True for the compression methods <see cref="OpenAsync"/> decodes.</summary>
    public static bool CanDecode(ushort method) => method is 0 or 8 or 12 or 14 or 93 or 95;

    public static string MethodName(ushort method) => method switch
    {
        0 => "stored",
        1 => "shrink",
        6 => "implode",
        8 => "deflate",
        9 => "deflate64",
        12 => "bzip2",
        14 => "lzma",
        93 => "zstandard",
        95 => "xz",
        99 => "AES encryption",
        _ => "unknown",
    };

    /// <summary>Why the sizes a member declares make it a compression bomb before a byte is decoded, or null.</summary>
    public static string? DeclaredBomb(ZipEntry entry, ScanLimits limits)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(limits);
        if (entry.Method == 0)
        {
            return null;
        }

        if (entry.UncompressedSize > limits.MaxDecompressedBytes)
        {
            return $"declares {entry.UncompressedSize:N0} uncompressed bytes, more than the {limits.MaxDecompressedBytes:N0} allowed";
        }

        var ratio = entry.UncompressedSize / Math.Max(1, entry.CompressedSize);
        return entry.UncompressedSize > BoundedReadStream.RatioGraceBytes && ratio > limits.MaxCompressionRatio
            ? $"declares a compression ratio of {ratio:N0}:1 (more than {limits.MaxCompressionRatio:N0}:1), a compression bomb"
            : null;
    }

    /// <summary>
    /// Opens the decoded content of <paramref name="entry"/> from a fresh stream of <paramref name="archive"/>. The
    /// stream throws <see cref="LimitExceededException"/> past the limits and <see cref="MalformedContentException"/>
    /// (or <see cref="InvalidDataException"/> for deflate) for corrupt data; once read to the end,
    /// <see cref="IntegrityProblem(ZipEntry, CrcStream)"/> says whether its size and CRC-32 are the ones declared.
    /// </summary>
    public static async ValueTask<CrcStream> OpenAsync(Artifact archive, ZipEntry entry, ScanLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(limits);
        if (!CanDecode(entry.Method))
        {
            throw new MalformedContentException($"member '{entry.Name}' uses compression method {entry.Method} ({MethodName(entry.Method)}), which Rampart does not decompress");
        }

        var parent = await archive.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var compressed = new SubStream(parent, entry.DataOffset, entry.CompressedSize);
            Stream decoded = entry.Method switch
            {
                0 => compressed,
                8 => new DeflateStream(compressed, CompressionMode.Decompress),
                12 => new Bzip2DecoderStream(compressed),
                14 => new ZipLzmaDecoderStream(compressed, limits.MaxHeaderBytes, endMarker: (entry.Flags & 0x0002) != 0, entry.UncompressedSize),
                93 => OpenZstd(compressed),
                _ => new XzDecoderStream(compressed, limits.MaxHeaderBytes),
            };
            var bounded = new BoundedReadStream(decoded, limits.MaxDecompressedBytes, $"zip member '{entry.Name}'", limits.MaxCompressionRatio, () => compressed.Position);
            return new CrcStream(bounded);
        }
        catch
        {
            await parent.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static ZstdMemberStream OpenZstd(Stream compressed)
    {
        // zstd frames declare their window (the history a decoder must keep); a hostile frame declaring 2 GiB would
        // make the decoder allocate it. Frames asking for more than the cap fail to decode (Inconclusive).
        var zstd = new DecompressionStream(compressed, leaveOpen: false);
        zstd.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, MaxZstdWindowLog);
        return new ZstdMemberStream(zstd);
    }

    /// <summary>ZstdSharp reports corrupt frames with its own exception; here they are malformed content like any other.</summary>
    private sealed class ZstdMemberStream(DecompressionStream inner) : ReadOnlyStream
    {
        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (ZstdException e)
            {
                throw new MalformedContentException($"zstd: {e.Message}");
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (ZstdException e)
            {
                throw new MalformedContentException($"zstd: {e.Message}");
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Reads up to <paramref name="maxBytes"/> of a member; CRC and size are checked when that is all of it.</summary>
    public static async ValueTask<(byte[] Bytes, string? Problem)> ReadAsync(Artifact archive, ZipEntry entry, ScanLimits limits, int maxBytes, CancellationToken cancellationToken)
    {
        var stream = await OpenAsync(archive, entry, limits, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[(int)Math.Min(maxBytes, Math.Max(0, entry.UncompressedSize) + 1)];
            var filled = 0;
            while (filled < buffer.Length)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }

            return (buffer[..filled], IntegrityProblem(entry, stream));
        }
    }

    /// <summary>Why a member read to its end is not what its headers declare (size, CRC-32), or null.</summary>
    public static string? IntegrityProblem(ZipEntry entry, CrcStream read)
    {
        ArgumentNullException.ThrowIfNull(read);
        return read.ReachedEnd ? IntegrityProblem(entry, read.BytesRead, read.Crc) : null;
    }

    /// <summary>Why content of <paramref name="length"/> bytes with CRC-32 <paramref name="crc"/> is not the member declared, or null.</summary>
    public static string? IntegrityProblem(ZipEntry entry, long length, uint crc)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (length != entry.UncompressedSize)
        {
            return $"member '{entry.Name}' decodes to {length:N0} bytes, not the {entry.UncompressedSize:N0} declared";
        }

        return crc != entry.Crc
            ? $"member '{entry.Name}' has CRC-32 0x{crc:X8} but declares 0x{entry.Crc:X8}: it was altered after the archive was written, and strict readers refuse it while lenient ones load it"
            : null;
    }
}
