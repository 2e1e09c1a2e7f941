using System.Buffers.Binary;

namespace Rampart.Scanning.Compression;

/// <summary>
/// The legacy ".lzma" ("LZMA alone") container that joblib writes for compress='lzma': a 13-byte header (properties
/// byte, 32-bit dictionary size, 64-bit uncompressed size or all ones for "unknown, ended by an end marker")
/// followed by one raw LZMA1 stream.
/// </summary>
internal sealed class LzmaAloneDecoderStream : DecompressingStream
{
    /// <summary>The header size.</summary>
    public const int HeaderSize = 13;

    private readonly long _maxDictionaryBytes;
    private LzmaDecoder? _decoder;
    private long _remaining = -1;
    private bool _done;

    public LzmaAloneDecoderStream(Stream compressed, long maxDictionaryBytes, bool leaveOpen = false)
        : base(compressed, leaveOpen)
    {
        _maxDictionaryBytes = maxDictionaryBytes;
    }

    /// <summary>The uncompressed size from the header, or null when it is unknown (end marker).</summary>
    public long? DeclaredSize { get; private set; }

    /// <summary>
    /// Content check for sniffing: a valid properties byte, a dictionary size that an encoder writes (2^n or
    /// 2^n + 2^(n-1), as xz's own detection demands), a plausible size field, and the range coder's zero first byte.
    /// </summary>
    public static bool LooksLikeHeader(ReadOnlySpan<byte> head)
    {
        if (head.Length < HeaderSize + 5 || head[0] >= 225 || head[HeaderSize] != 0)
        {
            return false;
        }

        var dictionary = BinaryPrimitives.ReadUInt32LittleEndian(head[1..]);
        var size = BinaryPrimitives.ReadUInt64LittleEndian(head[5..]);
        var bits = 31 - System.Numerics.BitOperations.LeadingZeroCount(dictionary | 1);
        var dictionaryOk = dictionary == uint.MaxValue || dictionary == 1u << bits || (bits > 0 && dictionary == (1u << bits) + (1u << (bits - 1)));
        return dictionaryOk && dictionary >= 4096 && (size == ulong.MaxValue || size < 1UL << 48);
    }

    protected override int ReadCore(Span<byte> buffer)
    {
        if (_done)
        {
            return 0;
        }

        _decoder ??= Start();
        var span = _remaining >= 0 ? buffer[..(int)Math.Min(buffer.Length, _remaining)] : buffer;
        var n = span.IsEmpty ? 0 : _decoder.Decode(span, allowEndMarker: true, out var endMarker) switch
        {
            var written when endMarker => Finish(written, endMarker: true),
            var written => written,
        };
        if (_remaining >= 0)
        {
            _remaining -= n;
            if (_remaining == 0 && !_done)
            {
                Finish(n, endMarker: false);
            }
        }

        return n;
    }

    private int Finish(int written, bool endMarker)
    {
        if (endMarker && _remaining > written)
        {
            throw Input.Error($"LZMA end marker before the declared uncompressed size ({DeclaredSize:N0} bytes)");
        }

        _done = true;
        StreamCount = 1;
        if (!Input.AtEnd)
        {
            TrailingDataOffset = Input.Position;
        }

        return written;
    }

    private LzmaDecoder Start()
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        Input.ReadExactly(header, "the .lzma header");
        var size = BinaryPrimitives.ReadUInt64LittleEndian(header[5..]);
        if (size != ulong.MaxValue)
        {
            if (size > long.MaxValue)
            {
                throw Input.Error("the .lzma header declares an impossible uncompressed size");
            }

            DeclaredSize = (long)size;
            _remaining = (long)size;
        }

        var decoder = new LzmaDecoder(Input, BinaryPrimitives.ReadUInt32LittleEndian(header[1..]), _maxDictionaryBytes, DeclaredSize);
        decoder.SetProperties(header[0]);
        decoder.ResetState();
        decoder.StartRangeCoder(long.MaxValue);
        return decoder;
    }
}
