using Rampart.Scanning.IO;

namespace Rampart.Scanning.Compression;

/// <summary>
/// One raw deflate stream inside a gzip member or zlib stream, with the checksum its container verifies. The
/// <see cref="Inflater"/> stops exactly at the end of the deflate data, so the trailer, the next member and any
/// trailing bytes stay in <see cref="CompressedInput"/> for the container to check.
/// </summary>
internal sealed class DeflateBody
{
    private readonly Inflater _inflater;
    private readonly bool _computeAdler;

    /// <summary>Starts a deflate stream on <paramref name="inflater"/>, reused across gzip members to keep allocations flat.</summary>
    public DeflateBody(Inflater inflater, bool computeAdler)
    {
        ArgumentNullException.ThrowIfNull(inflater);
        inflater.Reset();
        _inflater = inflater;
        _computeAdler = computeAdler;
    }

    private readonly System.IO.Hashing.Crc32 _crc = new();

    public uint Crc => _crc.GetCurrentHashAsUInt32();

    public uint Adler { get; private set; } = 1;

    public long Size { get; private set; }

    /// <summary>Inflates into <paramref name="buffer"/>; 0 once the deflate data is complete.</summary>
    public int Read(Span<byte> buffer)
    {
        var n = _inflater.Read(buffer);
        var produced = buffer[..n];
        if (_computeAdler)
        {
            Adler = Adler32.Append(Adler, produced);
        }
        else
        {
            _crc.Append(produced);
        }

        Size += n;
        return n;
    }
}
