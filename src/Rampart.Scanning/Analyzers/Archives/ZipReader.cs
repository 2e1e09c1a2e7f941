using System.Buffers.Binary;
using System.Text;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Archives;

/// <summary>One central-directory entry, completed with what its local header says.</summary>
internal sealed class ZipEntry
{
    public required int Index { get; init; }

    /// <summary>The name from the central directory: the one every loader looks members up by.</summary>
    public required string Name { get; init; }

    public required ushort Flags { get; init; }

    public required ushort Method { get; init; }

    public required uint Crc { get; init; }

    public required long CompressedSize { get; init; }

    public required long UncompressedSize { get; init; }

    /// <summary>Absolute offset of the local header in the artifact (the declared offset plus any prepended bytes).</summary>
    public required long HeaderOffset { get; init; }

    public bool HasLocalHeader { get; set; }

    public string? LocalName { get; set; }

    public ushort LocalMethod { get; set; }

    public ushort LocalFlags { get; set; }

    /// <summary>Absolute offset of the member's (compressed) data.</summary>
    public long DataOffset { get; set; }

    public long DataEnd => DataOffset + CompressedSize;

    public bool IsEncrypted => (Flags & 0x0001) != 0;

    public bool HasDataDescriptor => (Flags & 0x0008) != 0;

    public bool IsDirectory => Name.EndsWith('/') && UncompressedSize == 0;
}

/// <summary>The structure of a zip archive as Python's zipfile finds it: end record, central directory, local headers.</summary>
internal sealed record ZipDirectory(
    IReadOnlyList<ZipEntry> Entries,
    long Prepended,
    long CentralDirectoryStart,
    long CentralDirectorySize,
    long EndRecordsStart,
    long EndRecordsEnd,
    long Length,
    bool IsZip64,
    long DeclaredEntryCount,
    bool MemberLimitReached);

/// <summary>
/// Reads a zip archive's directory without trusting it: finds the end-of-central-directory record the way Python's
/// zipfile does (at the very end, else the last signature in the final 64 KiB), follows the zip64 records, parses
/// every central entry and its local header. Throws <see cref="MalformedContentException"/> where a loader would fail.
/// </summary>
internal static class ZipReader
{
    public const uint LocalHeaderSignature = 0x04034b50;
    private const uint CentralSignature = 0x02014b50;
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const int EndSize = 22;
    private const int Zip64EndSize = 56;
    private const int Zip64LocatorSize = 20;
    private const int CentralSize = 46;
    private const int LocalSize = 30;
    private static readonly byte[] EndMagic = [0x50, 0x4b, 0x05, 0x06];

    /// <summary>True when the head starts with a local header or an empty archive's end record.</summary>
    public static bool StartsLikeZip(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && (BinaryPrimitives.ReadUInt32LittleEndian(head) is LocalHeaderSignature or EndSignature);

    /// <summary>Index of the end-of-central-directory record in <paramref name="tail"/>, or -1 (zipfile's search).</summary>
    public static int FindEndRecord(ReadOnlySpan<byte> tail)
    {
        if (tail.Length < EndSize)
        {
            return -1;
        }

        var last = tail[^EndSize..];
        if (last.StartsWith(EndMagic) && last[^1] == 0 && last[^2] == 0)
        {
            return tail.Length - EndSize;
        }

        var windowStart = Math.Max(0, tail.Length - (1 << 16) - EndSize);
        var index = tail[windowStart..].LastIndexOf(EndMagic);
        return index < 0 || windowStart + index + EndSize > tail.Length ? -1 : windowStart + index;
    }

    // The zip and PyTorch analyzers both need the directory of the same artifact; it is parsed once per artifact.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Artifact, ZipDirectory> Parsed = [];

    public static async ValueTask<ZipDirectory> ReadAsync(Artifact artifact, Stream stream, ScanLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        if (Parsed.TryGetValue(artifact, out var cached))
        {
            return cached;
        }

        var directory = await ReadUncachedAsync(artifact, stream, limits, cancellationToken).ConfigureAwait(false);
        Parsed.AddOrUpdate(artifact, directory);
        return directory;
    }

    private static async ValueTask<ZipDirectory> ReadUncachedAsync(Artifact artifact, Stream stream, ScanLimits limits, CancellationToken cancellationToken)
    {
        if (artifact.Length is not { } length || artifact.Tail.IsEmpty || !stream.CanSeek)
        {
            throw new MalformedContentException("the zip archive is inside a stream too large to read from the end; its directory cannot be read");
        }

        var tail = artifact.Tail;
        var tailStart = length - tail.Length;
        var endIndex = FindEndRecord(tail.Span);
        if (endIndex < 0)
        {
            throw new MalformedContentException("no end-of-central-directory record: not a complete zip archive");
        }

        var end = tail.Span.Slice(endIndex, EndSize);
        var endPosition = tailStart + endIndex;
        var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(end[20..]);
        var endRecordsEnd = Math.Min(length, endPosition + EndSize + commentLength);
        if (BinaryPrimitives.ReadUInt16LittleEndian(end[4..]) != 0 || BinaryPrimitives.ReadUInt16LittleEndian(end[6..]) != 0)
        {
            throw new MalformedContentException("the archive spans several disks, which loaders do not support", endPosition);
        }

        long declaredCount = BinaryPrimitives.ReadUInt16LittleEndian(end[10..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(end[12..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(end[16..]);
        var directoryEnd = endPosition;
        var isZip64 = false;

        // Zip64: a locator right before the end record, and the zip64 end record right before the locator.
        if (endPosition >= Zip64LocatorSize + Zip64EndSize)
        {
            var records = await ReadAtAsync(stream, endPosition - Zip64LocatorSize - Zip64EndSize, Zip64LocatorSize + Zip64EndSize, cancellationToken).ConfigureAwait(false);
            var locator = records.AsSpan(Zip64EndSize);
            var record = records.AsSpan(0, Zip64EndSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) == Zip64LocatorSignature)
            {
                if (BinaryPrimitives.ReadUInt32LittleEndian(locator[16..]) > 1)
                {
                    throw new MalformedContentException("the zip64 archive spans several disks, which loaders do not support", endPosition);
                }

                if (BinaryPrimitives.ReadUInt32LittleEndian(record) == Zip64EndSignature)
                {
                    isZip64 = true;
                    declaredCount = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(record[32..]), long.MaxValue);
                    cdSize = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(record[40..]), long.MaxValue);
                    cdOffset = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(record[48..]), long.MaxValue);
                    directoryEnd = endPosition - Zip64LocatorSize - Zip64EndSize;
                }
            }
        }

        // Like zipfile: whatever precedes the declared directory offset was prepended to the archive.
        var prepended = directoryEnd - cdSize - cdOffset;
        if (cdSize < 0 || cdOffset < 0 || prepended < 0)
        {
            throw new MalformedContentException("the central directory offset or size points outside the archive", endPosition);
        }

        if (cdSize > limits.MaxHeaderBytes)
        {
            throw new LimitExceededException("max-header-bytes", $"the zip central directory has {cdSize:N0} bytes, more than {limits.MaxHeaderBytes:N0}");
        }

        var cdStart = cdOffset + prepended;
        var directory = await ReadAtAsync(stream, cdStart, (int)cdSize, cancellationToken).ConfigureAwait(false);
        var entries = new List<ZipEntry>();
        var limitReached = false;
        var position = 0;
        while (position < directory.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entries.Count >= limits.MaxMembers)
            {
                limitReached = true;
                break;
            }

            entries.Add(ParseCentralEntry(directory, ref position, cdStart, prepended, entries.Count));
        }

        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await ReadLocalHeaderAsync(stream, entry, length, cancellationToken).ConfigureAwait(false);
        }

        return new ZipDirectory(entries, prepended, cdStart, cdSize, directoryEnd, endRecordsEnd, length, isZip64, declaredCount, limitReached);
    }

    private static ZipEntry ParseCentralEntry(byte[] directory, ref int position, long cdStart, long prepended, int index)
    {
        var span = directory.AsSpan(position);
        if (span.Length < CentralSize || BinaryPrimitives.ReadUInt32LittleEndian(span) != CentralSignature)
        {
            throw new MalformedContentException($"bad central directory entry #{index}", cdStart + position);
        }

        var flags = BinaryPrimitives.ReadUInt16LittleEndian(span[8..]);
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(span[28..]);
        var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(span[30..]);
        var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(span[32..]);
        var total = CentralSize + nameLength + extraLength + commentLength;
        if (span.Length < total)
        {
            throw new MalformedContentException($"central directory entry #{index} runs past the directory", cdStart + position);
        }

        long compressed = BinaryPrimitives.ReadUInt32LittleEndian(span[20..]);
        long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(span[24..]);
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(span[42..]);
        ReadZip64Extra(span.Slice(CentralSize + nameLength, extraLength), ref uncompressed, ref compressed, ref offset);
        var entry = new ZipEntry
        {
            Index = index,
            Name = DecodeName(span.Slice(CentralSize, nameLength), flags),
            Flags = flags,
            Method = BinaryPrimitives.ReadUInt16LittleEndian(span[10..]),
            Crc = BinaryPrimitives.ReadUInt32LittleEndian(span[16..]),
            CompressedSize = compressed,
            UncompressedSize = uncompressed,
            HeaderOffset = offset + prepended,
        };
        position += total;
        return entry;
    }

    /// <summary>The zip64 extra field (id 1) holds, in order, whichever of the three sizes were saturated.</summary>
    private static void ReadZip64Extra(ReadOnlySpan<byte> extra, ref long uncompressed, ref long compressed, ref long offset)
    {
        while (extra.Length >= 4)
        {
            var id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            var size = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (size > extra.Length - 4)
            {
                throw new MalformedContentException("a central directory extra field runs past its entry");
            }

            if (id == 0x0001)
            {
                var data = extra.Slice(4, size);
                uncompressed = TakeZip64(ref data, uncompressed);
                compressed = TakeZip64(ref data, compressed);
                offset = TakeZip64(ref data, offset);
            }

            extra = extra[(4 + size)..];
        }
    }

    private static long TakeZip64(ref ReadOnlySpan<byte> data, long value)
    {
        if (value != uint.MaxValue)
        {
            return value;
        }

        if (data.Length < 8)
        {
            throw new MalformedContentException("a zip64 extra field is too short for the sizes it must hold");
        }

        var wide = BinaryPrimitives.ReadUInt64LittleEndian(data);
        data = data[8..];
        return wide > long.MaxValue ? throw new MalformedContentException("a zip64 size or offset is out of range") : (long)wide;
    }

    private static async ValueTask ReadLocalHeaderAsync(Stream stream, ZipEntry entry, long length, CancellationToken cancellationToken)
    {
        if (entry.HeaderOffset < 0 || entry.HeaderOffset + LocalSize > length)
        {
            return;
        }

        var header = await ReadAtAsync(stream, entry.HeaderOffset, LocalSize, cancellationToken).ConfigureAwait(false);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != LocalHeaderSignature)
        {
            return;
        }

        var flags = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(6));
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(26));
        var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(28));
        if (entry.HeaderOffset + LocalSize + nameLength + extraLength > length)
        {
            return;
        }

        var name = await ReadAtAsync(stream, entry.HeaderOffset + LocalSize, nameLength, cancellationToken).ConfigureAwait(false);
        entry.HasLocalHeader = true;
        entry.LocalFlags = flags;
        entry.LocalMethod = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(8));
        entry.LocalName = DecodeName(name, flags);
        entry.DataOffset = entry.HeaderOffset + LocalSize + nameLength + extraLength;
    }

    /// <summary>UTF-8 when flag bit 11 says so, code page 437 otherwise (as zipfile decodes).</summary>
    private static string DecodeName(ReadOnlySpan<byte> name, ushort flags)
    {
        if ((flags & 0x0800) != 0 || !name.ContainsAnyExceptInRange((byte)0, (byte)0x7F))
        {
            return Encoding.UTF8.GetString(name);
        }

        return CodePagesEncodingProvider.Instance.GetEncoding(437)?.GetString(name) ?? Encoding.Latin1.GetString(name);
    }

    public static async ValueTask<byte[]> ReadAtAsync(Stream stream, long offset, int count, CancellationToken cancellationToken)
    {
        if (offset < 0 || offset + count > stream.Length)
        {
            throw new MalformedContentException($"a zip structure at offset {offset} runs past the end of the archive", offset);
        }

        var buffer = new byte[count];
        stream.Position = offset;
        await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer;
    }
}
