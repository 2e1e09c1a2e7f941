using Rampart.Scanning.IO;

namespace Rampart.Scanning.Compression;

/// <summary>
/// Buffered reader over the compressed bytes, with the count of bytes consumed so far (the "compressed position"
/// used for compression-ratio limits and for error offsets). Reading past the end is a truncation and throws
/// <see cref="MalformedContentException"/>.
/// </summary>
internal sealed class CompressedInput
{
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private long _bufferOrigin;
    private bool _eof;

    public CompressedInput(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
    }

    /// <summary>How many bytes have been consumed from the start of the stream.</summary>
    public long Position => _bufferOrigin + _start;

    /// <summary>The underlying stream (for the length of trailing data when it is seekable).</summary>
    public Stream Stream => _stream;

    /// <summary>True when every byte has been consumed.</summary>
    public bool AtEnd => !Fill();

    /// <summary>Next byte, or -1 at the end of the input.</summary>
    public int TryReadByte()
    {
        if (_start == _end && !Fill())
        {
            return -1;
        }

        return _buffer[_start++];
    }

    /// <summary>True when the next bytes equal <paramref name="expected"/> (nothing is consumed).</summary>
    public bool NextBytesAre(ReadOnlySpan<byte> expected)
    {
        if (_end - _start < expected.Length)
        {
            // Move what is left (and a few consumed bytes, for Unread) to the front and top up, so that a short
            // look-ahead never spans two buffers.
            var keep = Math.Min(UnreadCapacity, _start);
            _buffer.AsSpan(_start - keep, _end - _start + keep).CopyTo(_buffer);
            _bufferOrigin += _start - keep;
            _end -= _start - keep;
            _start = keep;
            while (!_eof && _end < expected.Length)
            {
                var n = _stream.Read(_buffer, _end, _buffer.Length - _end);
                if (n <= 0)
                {
                    _eof = true;
                    break;
                }

                _end += n;
            }
        }

        return _end - _start >= expected.Length && _buffer.AsSpan(_start, expected.Length).SequenceEqual(expected);
    }

    /// <summary>Next byte without consuming it, or -1 at the end of the input.</summary>
    public int PeekByte() => _start == _end && !Fill() ? -1 : _buffer[_start];

    public byte ReadByte(string what)
    {
        var b = TryReadByte();
        return b < 0 ? throw Truncated(what) : (byte)b;
    }

    public void ReadExactly(Span<byte> destination, string what)
    {
        while (destination.Length > 0)
        {
            if (_start == _end && !Fill())
            {
                throw Truncated(what);
            }

            var n = Math.Min(destination.Length, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(destination);
            _start += n;
            destination = destination[n..];
        }
    }

    /// <summary>Reads up to <paramref name="destination"/>'s length of what is buffered or readable (at least one byte unless at the end).</summary>
    public int ReadSome(Span<byte> destination)
    {
        if (_start == _end && !Fill())
        {
            return 0;
        }

        var n = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        return n;
    }

    public uint ReadUInt32LittleEndian(string what)
    {
        Span<byte> b = stackalloc byte[4];
        ReadExactly(b, what);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public MalformedContentException Truncated(string what) => new($"truncated: the input ends inside {what}", Position);

    public MalformedContentException Error(string message) => new(message, Position);

    /// <summary>
    /// Gives back the last <paramref name="count"/> (at most <see cref="UnreadCapacity"/>) consumed bytes, for a
    /// bit reader that fetched whole bytes ahead of the end of its data.
    /// </summary>
    public void Unread(int count)
    {
        if (count < 0 || count > UnreadCapacity || count > _start)
        {
            throw new InvalidOperationException("cannot give back that many bytes");
        }

        _start -= count;
    }

    /// <summary>How many consumed bytes can always be given back.</summary>
    public const int UnreadCapacity = 8;

    private bool Fill()
    {
        if (_start < _end)
        {
            return true;
        }

        if (_eof)
        {
            return false;
        }

        // Keep the last few consumed bytes in front so that Unread works across refills.
        var keep = Math.Min(UnreadCapacity, _end);
        _buffer.AsSpan(_end - keep, keep).CopyTo(_buffer);
        _bufferOrigin += _end - keep;
        _start = _end = keep;
        var n = _stream.Read(_buffer, keep, _buffer.Length - keep);
        if (n <= 0)
        {
            _eof = true;
            return false;
        }

        _end += n;
        return true;
    }
}
