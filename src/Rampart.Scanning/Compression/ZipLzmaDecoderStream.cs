using System.Buffers.Binary;

namespace Rampart.Scanning.Compression;

/// <summary>
/// Zip compression method 14 (LZMA, APPNOTE 5.8): a 4-byte header (LZMA SDK version, then the length of the
/// properties, which is 5), the properties (the lc/lp/pb byte and a 32-bit dictionary size), then one raw LZMA1
/// stream. When general-purpose flag bit 1 is set the stream ends with an end marker (Python's zipfile always
/// sets it); otherwise it ends after the member's declared uncompressed size.
/// </summary>
internal sealed class ZipLzmaDecoderStream : DecompressingStream
{
    private const int PropertiesSize = 5;

    private readonly long _maxDictionaryBytes;
    private readonly bool _endMarker;
    private readonly long _declaredSize;
    private LzmaDecoder? _decoder;
    private long _remaining;
    private bool _done;

    public ZipLzmaDecoderStream(Stream compressed, long maxDictionaryBytes, bool endMarker, long declaredSize, bool leaveOpen = false)
        : base(compressed, leaveOpen)
    {
        _maxDictionaryBytes = maxDictionaryBytes;
        _endMarker = endMarker;
        _declaredSize = declaredSize;
        _remaining = declaredSize;
    }

    protected override int ReadCore(Span<byte> buffer)
    {
        if (_done)
        {
            return 0;
        }

        _decoder ??= Start();
        var span = _endMarker ? buffer : buffer[..(int)Math.Min(buffer.Length, _remaining)];
        if (span.IsEmpty)
        {
            _done = true;
            StreamCount = 1;
            return 0;
        }

        var written = _decoder.Decode(span, allowEndMarker: _endMarker, out var endMarker);
        _remaining -= written;
        if (endMarker)
        {
            _done = true;
            StreamCount = 1;
        }
        else if (written == 0)
        {
            throw Input.Error("the zip LZMA stream ended before its end marker or its declared size");
        }

        return written;
    }

    private LzmaDecoder Start()
    {
        Span<byte> header = stackalloc byte[4 + PropertiesSize];
        Input.ReadExactly(header, "the zip LZMA header");
        var propertiesSize = BinaryPrimitives.ReadUInt16LittleEndian(header[2..]);
        if (propertiesSize != PropertiesSize)
        {
            throw Input.Error($"the zip LZMA header declares {propertiesSize} property bytes, not {PropertiesSize}");
        }

        var properties = header[4..];
        var decoder = new LzmaDecoder(Input, BinaryPrimitives.ReadUInt32LittleEndian(properties[1..]), _maxDictionaryBytes, _endMarker ? null : _declaredSize);
        decoder.SetProperties(properties[0]);
        decoder.ResetState();
        decoder.StartRangeCoder(long.MaxValue);
        return decoder;
    }
}
