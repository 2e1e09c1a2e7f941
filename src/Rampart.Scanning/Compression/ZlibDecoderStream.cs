namespace Rampart.Scanning.Compression;

/// <summary>
/// zlib (RFC 1950), what joblib writes for compress='zlib': a two-byte header, raw deflate data and an Adler-32
/// trailer that is verified. Bytes after the trailer are reported as trailing data (joblib's reader ignores them).
/// </summary>
internal sealed class ZlibDecoderStream : DecompressingStream
{
    private DeflateBody? _body;
    private bool _done;

    public ZlibDecoderStream(Stream compressed, bool leaveOpen = false)
        : base(compressed, leaveOpen)
    {
    }

    /// <summary>The RFC 1950 header check: deflate, window ≤ 32 KiB, check bits right.</summary>
    public static bool IsValidHeader(byte cmf, byte flg) => (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;

    protected override int ReadCore(Span<byte> buffer)
    {
        if (_done)
        {
            return 0;
        }

        if (_body is null)
        {
            var cmf = Input.ReadByte("the zlib header");
            var flg = Input.ReadByte("the zlib header");
            if (!IsValidHeader(cmf, flg))
            {
                throw Input.Error("not a valid zlib header");
            }

            if ((flg & 0x20) != 0)
            {
                throw new UnsupportedCompressionException("zlib-preset-dictionary", "zlib stream needs a preset dictionary that is not part of the file", Input.Position);
            }

            _body = new DeflateBody(new Inflater(Input), computeAdler: true);
        }

        var n = _body.Read(buffer);
        if (n > 0)
        {
            return n;
        }

        var hi = Input.ReadByte("the zlib Adler-32 trailer");
        Span<byte> rest = stackalloc byte[3];
        Input.ReadExactly(rest, "the zlib Adler-32 trailer");
        var stored = ((uint)hi << 24) | ((uint)rest[0] << 16) | ((uint)rest[1] << 8) | rest[2];
        if (stored != _body.Adler)
        {
            throw Input.Error($"zlib Adler-32 mismatch (stored 0x{stored:X8}, computed 0x{_body.Adler:X8})");
        }

        _done = true;
        StreamCount = 1;
        if (!Input.AtEnd)
        {
            TrailingDataOffset = Input.Position;
        }

        return 0;
    }
}
