using System.Buffers.Binary;
using System.Security.Cryptography;

using Rampart.Scanning.IO;

namespace Rampart.Scanning.Compression;

/// <summary>
/// The .xz container (what joblib writes for compress='xz' and what .tar.xz uses): stream header, blocks of LZMA2
/// chunks, an index, a stream footer; streams may be concatenated with zero padding in multiples of four bytes.
/// Every header CRC, the index (record count and sizes), the footer and the per-block integrity check (none,
/// CRC32, CRC64, SHA-256) are verified. Filters other than LZMA2 alone (BCJ, delta) and other check types are
/// reported through <see cref="UnsupportedCompressionException"/>.
/// </summary>
internal sealed class XzDecoderStream : DecompressingStream
{
    private const byte Lzma2FilterId = 0x21;

    private static readonly byte[] HeaderMagic = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00];

    private readonly long _maxDictionaryBytes;
    private readonly List<(long Unpadded, long Uncompressed)> _records = [];
    private Phase _phase = Phase.StreamHeader;
    private byte _checkType;
    private ushort _streamFlags;

    // Current block.
    private LzmaDecoder? _decoder;
    private uint _dictionarySize;
    private long _blockHeaderSize;
    private long _blockDataStart;
    private long _blockUncompressed;
    private long? _declaredCompressed;
    private long? _declaredUncompressed;
    private readonly System.IO.Hashing.Crc32 _crc32 = new();
    private ulong _crc64;
    private IncrementalHash? _sha256;

    // Current LZMA2 chunk.
    private int _chunkRemaining;
    private bool _chunkIsLzma;
    private bool _needDictionaryReset;
    private bool _needProperties;

    public XzDecoderStream(Stream compressed, long maxDictionaryBytes, bool leaveOpen = false)
        : base(compressed, leaveOpen)
    {
        _maxDictionaryBytes = maxDictionaryBytes;
    }

    private enum Phase
    {
        StreamHeader,
        BlockOrIndex,
        Chunks,
        Done,
    }

    /// <summary>The check type id of the last stream read (0 none, 1 CRC32, 4 CRC64, 10 SHA-256).</summary>
    public int CheckType => _checkType;

    /// <summary>How many blocks were decoded in all streams.</summary>
    public int BlockCount { get; private set; }

    protected override int ReadCore(Span<byte> buffer)
    {
        var written = 0;
        while (written < buffer.Length)
        {
            switch (_phase)
            {
                case Phase.StreamHeader:
                    ReadStreamHeader();
                    _phase = Phase.BlockOrIndex;
                    break;
                case Phase.BlockOrIndex:
                    var first = Input.ReadByte("an xz block header or index");
                    if (first == 0)
                    {
                        var indexSize = ReadIndex();
                        ReadStreamFooter(indexSize);
                        StreamCount++;
                        _phase = NextStreamFollows(HeaderMagic, 4) ? Phase.StreamHeader : Phase.Done;
                    }
                    else
                    {
                        ReadBlockHeader(first);
                        _phase = Phase.Chunks;
                    }

                    break;
                case Phase.Chunks:
                    if (_chunkRemaining > 0)
                    {
                        written += DecodeChunk(buffer[written..]);
                    }
                    else if (!NextChunk())
                    {
                        EndBlock();
                        _phase = Phase.BlockOrIndex;
                    }

                    break;
                default:
                    return written;
            }
        }

        return written;
    }

    private void ReadStreamHeader()
    {
        Span<byte> header = stackalloc byte[12];
        Input.ReadExactly(header, "the xz stream header");
        if (!header[..6].SequenceEqual(HeaderMagic))
        {
            throw Input.Error("not an xz stream header");
        }

        if (Crc32.Compute(header.Slice(6, 2)) != BinaryPrimitives.ReadUInt32LittleEndian(header[8..]))
        {
            throw Input.Error("xz stream header CRC32 mismatch");
        }

        if (header[6] != 0 || (header[7] & 0xF0) != 0)
        {
            throw new UnsupportedCompressionException("xz-stream-flags", "xz stream flags use reserved bits (a newer xz format version)", Input.Position);
        }

        _streamFlags = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        _checkType = header[7];
        if (_checkType is not (0 or 1 or 4 or 10))
        {
            throw new UnsupportedCompressionException("xz-check", $"xz integrity check type {_checkType} is not supported (only none, CRC32, CRC64, SHA-256)", Input.Position);
        }

        _records.Clear();
    }

    private void ReadBlockHeader(byte sizeByte)
    {
        var size = (sizeByte + 1) * 4;
        var header = new byte[size];
        header[0] = sizeByte;
        Input.ReadExactly(header.AsSpan(1), "an xz block header");
        if (Crc32.Compute(header.AsSpan(0, size - 4)) != BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(size - 4)))
        {
            throw Input.Error("xz block header CRC32 mismatch");
        }

        var flags = header[1];
        if ((flags & 0x3C) != 0)
        {
            throw new UnsupportedCompressionException("xz-block-flags", "xz block header uses reserved flag bits", Input.Position);
        }

        var p = 2;
        var end = size - 4;
        _declaredCompressed = (flags & 0x40) != 0 ? (long)ReadVli(header, ref p, end) : null;
        _declaredUncompressed = (flags & 0x80) != 0 ? (long)ReadVli(header, ref p, end) : null;
        if (_declaredCompressed == 0)
        {
            throw Input.Error("xz block header declares a zero compressed size");
        }

        var filters = (flags & 3) + 1;
        for (var i = 0; i < filters; i++)
        {
            var id = ReadVli(header, ref p, end);
            var propertiesSize = ReadVli(header, ref p, end);
            if (propertiesSize > (ulong)(end - p))
            {
                throw Input.Error("xz filter properties run past the block header");
            }

            if (id != Lzma2FilterId)
            {
                var name = id switch
                {
                    0x03 => "delta",
                    0x04 => "BCJ x86",
                    0x05 => "BCJ PowerPC",
                    0x06 => "BCJ IA-64",
                    0x07 => "BCJ ARM",
                    0x08 => "BCJ ARM-Thumb",
                    0x09 => "BCJ SPARC",
                    0x0A => "BCJ ARM64",
                    0x0B => "BCJ RISC-V",
                    _ => $"0x{id:X}",
                };
                throw new UnsupportedCompressionException("xz-filter", $"xz filter {name} is not supported (only LZMA2 alone)", Input.Position);
            }

            if (i != filters - 1 || propertiesSize != 1)
            {
                throw Input.Error("xz LZMA2 filter must be the last filter and have one properties byte");
            }

            var dictionaryByte = header[p++];
            if (dictionaryByte > 40)
            {
                throw Input.Error($"xz LZMA2 dictionary size byte {dictionaryByte} is out of range");
            }

            _dictionarySize = dictionaryByte == 40 ? uint.MaxValue : (uint)((2 | (dictionaryByte & 1)) << ((dictionaryByte / 2) + 11));
        }

        for (; p < end; p++)
        {
            if (header[p] != 0)
            {
                throw Input.Error("xz block header padding is not zero");
            }
        }

        _blockHeaderSize = size;
        _blockDataStart = Input.Position;
        _blockUncompressed = 0;
        _crc32.Reset();
        _crc64 = 0;
        if (_checkType == 10)
        {
            _sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }

        _decoder = new LzmaDecoder(Input, _dictionarySize, _maxDictionaryBytes, _declaredUncompressed);
        _needDictionaryReset = true;
        _needProperties = true;
        _chunkRemaining = 0;
    }

    /// <summary>Reads the next LZMA2 chunk header; false at the end-of-block chunk.</summary>
    private bool NextChunk()
    {
        var decoder = _decoder!;
        if (_chunkIsLzma && (decoder.Budget != 0 || !decoder.AtSymbolBoundary || !decoder.RangeCoderFinished))
        {
            throw Input.Error("LZMA2 chunk does not end where its header says");
        }

        _chunkIsLzma = false;
        var control = Input.ReadByte("an LZMA2 chunk header");
        if (control == 0)
        {
            return false;
        }

        if (control >= 0xE0 || control == 1)
        {
            _needProperties = true;
            _needDictionaryReset = false;
            decoder.ResetDictionary();
        }
        else if (_needDictionaryReset)
        {
            throw Input.Error("LZMA2 block does not start with a dictionary reset");
        }

        if (control < 0x80)
        {
            if (control > 2)
            {
                throw Input.Error($"invalid LZMA2 chunk control byte 0x{control:X2}");
            }

            _chunkRemaining = ReadBigEndian16() + 1;
            return true;
        }

        var uncompressed = ((control & 0x1F) << 16) + ReadBigEndian16() + 1;
        var compressed = ReadBigEndian16() + 1;
        if (control >= 0xC0)
        {
            _needProperties = false;
            var properties = Input.ReadByte("LZMA2 properties");
            decoder.SetProperties(properties);
            if ((properties % 9) + (properties / 9 % 5) > 4)
            {
                throw Input.Error("LZMA2 properties have lc + lp > 4");
            }

            decoder.ResetState();
        }
        else if (_needProperties)
        {
            throw Input.Error("LZMA2 chunk without the properties it needs");
        }
        else if (control >= 0xA0)
        {
            decoder.ResetState();
        }

        decoder.StartRangeCoder(compressed);
        _chunkIsLzma = true;
        _chunkRemaining = uncompressed;
        return true;
    }

    private int DecodeChunk(Span<byte> buffer)
    {
        var span = buffer[..Math.Min(buffer.Length, _chunkRemaining)];
        var n = _chunkIsLzma ? _decoder!.Decode(span, allowEndMarker: false, out _) : _decoder!.CopyStored(span);
        _chunkRemaining -= n;
        _blockUncompressed += n;
        if (_declaredUncompressed is { } declared && _blockUncompressed > declared)
        {
            throw Input.Error("xz block produces more data than its header declares");
        }

        var produced = span[..n];
        switch (_checkType)
        {
            case 1:
                _crc32.Append(produced);
                break;
            case 4:
                _crc64 = Crc64.Append(_crc64, produced);
                break;
            case 10:
                _sha256!.AppendData(produced);
                break;
            default:
                break;
        }

        return n;
    }

    private void EndBlock()
    {
        var compressed = Input.Position - _blockDataStart;
        if (_declaredCompressed is { } dc && dc != compressed)
        {
            throw Input.Error($"xz block compressed size {compressed} differs from its header ({dc})");
        }

        if (_declaredUncompressed is { } du && du != _blockUncompressed)
        {
            throw Input.Error($"xz block uncompressed size {_blockUncompressed} differs from its header ({du})");
        }

        for (var padded = _blockHeaderSize + compressed; padded % 4 != 0; padded++)
        {
            if (Input.ReadByte("xz block padding") != 0)
            {
                throw Input.Error("xz block padding is not zero");
            }
        }

        var checkSize = _checkType switch { 1 => 4, 4 => 8, 10 => 32, _ => 0 };
        Span<byte> stored = stackalloc byte[32];
        stored = stored[..checkSize];
        Input.ReadExactly(stored, "an xz block check");
        Span<byte> actual = stackalloc byte[32];
        switch (_checkType)
        {
            case 1:
                BinaryPrimitives.WriteUInt32LittleEndian(actual, _crc32.GetCurrentHashAsUInt32());
                break;
            case 4:
                BinaryPrimitives.WriteUInt64LittleEndian(actual, _crc64);
                break;
            case 10:
                _sha256!.GetHashAndReset(actual);
                break;
            default:
                break;
        }

        if (!stored.SequenceEqual(actual[..checkSize]))
        {
            throw Input.Error($"xz block integrity check ({(_checkType == 1 ? "CRC32" : _checkType == 4 ? "CRC64" : "SHA-256")}) mismatch: the data is corrupt");
        }

        _records.Add((_blockHeaderSize + compressed + checkSize, _blockUncompressed));
        BlockCount++;
        _decoder = null;
    }

    /// <summary>Reads and verifies the index (its indicator byte was consumed); returns its size in bytes.</summary>
    private long ReadIndex()
    {
        var start = Input.Position - 1;
        var crc = new System.IO.Hashing.Crc32();
        crc.Append([0]);
        var count = ReadVli(crc);
        if (count != (ulong)_records.Count)
        {
            throw Input.Error($"xz index lists {count} blocks but the stream has {_records.Count}");
        }

        foreach (var (unpadded, uncompressed) in _records)
        {
            if (ReadVli(crc) != (ulong)unpadded || ReadVli(crc) != (ulong)uncompressed)
            {
                throw Input.Error("xz index record does not match the block it describes");
            }
        }

        while ((Input.Position - start) % 4 != 0)
        {
            var b = Input.ReadByte("xz index padding");
            if (b != 0)
            {
                throw Input.Error("xz index padding is not zero");
            }

            crc.Append([b]);
        }

        if (Input.ReadUInt32LittleEndian("the xz index CRC32") != crc.GetCurrentHashAsUInt32())
        {
            throw Input.Error("xz index CRC32 mismatch");
        }

        return Input.Position - start;
    }

    private void ReadStreamFooter(long indexSize)
    {
        Span<byte> footer = stackalloc byte[12];
        Input.ReadExactly(footer, "the xz stream footer");
        if (footer[10] != (byte)'Y' || footer[11] != (byte)'Z')
        {
            throw Input.Error("xz stream footer magic missing");
        }

        if (Crc32.Compute(footer.Slice(4, 6)) != BinaryPrimitives.ReadUInt32LittleEndian(footer))
        {
            throw Input.Error("xz stream footer CRC32 mismatch");
        }

        if (((BinaryPrimitives.ReadUInt32LittleEndian(footer[4..]) + 1L) * 4) != indexSize)
        {
            throw Input.Error("xz stream footer's backward size does not match the index");
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(footer[8..]) != _streamFlags)
        {
            throw Input.Error("xz stream footer flags differ from the header");
        }
    }

    private int ReadBigEndian16()
    {
        var hi = Input.ReadByte("an LZMA2 chunk header");
        return (hi << 8) | Input.ReadByte("an LZMA2 chunk header");
    }

    private ulong ReadVli(byte[] buffer, ref int p, int end)
    {
        ulong value = 0;
        for (var i = 0; i < 9; i++)
        {
            if (p >= end)
            {
                throw Input.Error("xz variable-length integer runs past the block header");
            }

            var b = buffer[p++];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                return b == 0 && i > 0 ? throw Input.Error("xz variable-length integer is not minimally encoded") : value;
            }
        }

        throw Input.Error("xz variable-length integer is longer than 9 bytes");
    }

    private ulong ReadVli(System.IO.Hashing.Crc32 crc)
    {
        ulong value = 0;
        for (var i = 0; i < 9; i++)
        {
            var b = Input.ReadByte("the xz index");
            crc.Append([b]);
            value |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                return b == 0 && i > 0 ? throw Input.Error("xz variable-length integer is not minimally encoded") : value;
            }
        }

        throw Input.Error("xz variable-length integer is longer than 9 bytes");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha256?.Dispose();
        }

        base.Dispose(disposing);
    }
}
