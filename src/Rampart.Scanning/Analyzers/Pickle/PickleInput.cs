namespace Rampart.Scanning.Analyzers.Pickle;

/// <summary>
/// A forward-only, buffered byte source over a stream. Opcode arguments are handed out as spans into one reusable
/// buffer (valid until the next read); large payloads are skipped, never copied (seeking where the stream allows).
/// </summary>
internal sealed class PickleInput
{
    public const int DefaultBufferSize = 1 << 20;

    private Stream _stream;
    private byte[] _buffer;
    private int _position;
    private int _end;
    private long _bufferOffset;
    private bool _eof;

    public PickleInput(Stream stream, int bufferSize = DefaultBufferSize)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _buffer = new byte[Math.Max(16, bufferSize)];
    }

    /// <summary>
    /// Goes on reading from <paramref name="rest"/>, whose first byte follows the last byte of the stream read so far
    /// (the sniffer emulates a file's head from memory; the analyzer then hands it the rest of the file). The buffer
    /// grows to <paramref name="bufferSize"/> and keeps the bytes not consumed yet.
    /// </summary>
    public void Continue(Stream rest, int bufferSize)
    {
        ArgumentNullException.ThrowIfNull(rest);
        if (bufferSize > _buffer.Length)
        {
            var grown = new byte[bufferSize];
            Buffer.BlockCopy(_buffer, _position, grown, 0, _end - _position);
            _bufferOffset += _position;
            _end -= _position;
            _position = 0;
            _buffer = grown;
        }

        _stream = rest;
        _eof = false;
    }

    /// <summary>Absolute offset of the next byte.</summary>
    public long Position => _bufferOffset + _position;

    /// <summary>True once the stream is exhausted and every buffered byte was consumed.</summary>
    public bool AtEnd => _position >= _end && !Fill(1);

    /// <summary>The next byte, or -1 at the end; does not consume it.</summary>
    public int Peek() => _position < _end || Fill(1) ? _buffer[_position] : -1;

    /// <summary>The next byte, or -1 at the end.</summary>
    public int ReadByte() => _position < _end || Fill(1) ? _buffer[_position++] : -1;

    /// <summary>Exactly <paramref name="count"/> bytes; the span stays valid until the next read.</summary>
    public ReadOnlySpan<byte> Read(int count, string what)
    {
        if (_end - _position < count && !Fill(count))
        {
            throw new PickleFormatException($"truncated {what}: {count} bytes needed, {_end - _position} left", Position, atEnd: true);
        }

        var span = new ReadOnlySpan<byte>(_buffer, _position, count);
        _position += count;
        return span;
    }

    /// <summary>Up to <paramref name="count"/> bytes without failing at the end of the stream.</summary>
    public ReadOnlySpan<byte> ReadAtMost(int count)
    {
        Fill(count);
        var n = Math.Min(count, _end - _position);
        var span = new ReadOnlySpan<byte>(_buffer, _position, n);
        _position += n;
        return span;
    }

    /// <summary>Skips <paramref name="count"/> bytes; throws when the stream ends first.</summary>
    public void Skip(long count, string what)
    {
        var start = Position;
        var buffered = _end - _position;
        if (count <= buffered)
        {
            _position += (int)count;
            return;
        }

        count -= buffered;
        _position = _end;
        if (_stream.CanSeek)
        {
            var here = _stream.Position;
            if (count > _stream.Length - here)
            {
                throw new PickleFormatException($"truncated {what}: the stream ends before its declared length", start, atEnd: true);
            }

            var target = here + count;
            _stream.Position = target;
            _bufferOffset = target;
            _position = 0;
            _end = 0;
            return;
        }

        while (count > 0)
        {
            if (!Fill(1))
            {
                throw new PickleFormatException($"truncated {what}: the stream ends before its declared length", start, atEnd: true);
            }

            var step = (int)Math.Min(count, _end - _position);
            _position += step;
            count -= step;
        }
    }

    /// <summary>A line up to and excluding '\n' (at most <paramref name="maxLength"/> bytes before it).</summary>
    public ReadOnlySpan<byte> ReadLine(int maxLength, string what)
    {
        var start = Position;
        var scanned = 0;
        while (true)
        {
            var available = new ReadOnlySpan<byte>(_buffer, _position + scanned, _end - _position - scanned);
            var newline = available.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var length = scanned + newline;
                if (length > maxLength)
                {
                    throw new PickleFormatException($"{what} line longer than {maxLength} bytes", start);
                }

                var line = new ReadOnlySpan<byte>(_buffer, _position, length);
                _position += length + 1;
                return line;
            }

            scanned = _end - _position;
            if (scanned > maxLength)
            {
                throw new PickleFormatException($"{what} line longer than {maxLength} bytes", start);
            }

            if (!Fill(scanned + 1))
            {
                throw new PickleFormatException($"truncated {what}: no end of line", start, atEnd: true);
            }
        }
    }

    /// <summary>Makes at least <paramref name="count"/> bytes available if the stream has them.</summary>
    private bool Fill(int count)
    {
        if (_end - _position >= count)
        {
            return true;
        }

        if (_eof)
        {
            return false;
        }

        if (_position > 0)
        {
            var remaining = _end - _position;
            Buffer.BlockCopy(_buffer, _position, _buffer, 0, remaining);
            _bufferOffset += _position;
            _position = 0;
            _end = remaining;
        }

        if (count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(count, _buffer.Length * 2));
        }

        while (_end < count)
        {
            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _eof = true;
                return false;
            }

            _end += read;
        }

        return true;
    }
}

/// <summary>The pickle is malformed at <see cref="Offset"/>: what CPython's unpickler would also reject.</summary>
/// <param name="message">What is wrong, in CPython's words where it has them.</param>
/// <param name="offset">Byte offset within the artifact.</param>
/// <param name="atEnd">True when the only problem is that the data ended early (truncation).</param>
/// <param name="ruleId">The rule to report instead of the generic parse error, if any.</param>
internal sealed class PickleFormatException(string message, long offset, bool atEnd = false, string? ruleId = null) : IO.MalformedContentException(message, offset)
{
    public new long Offset { get; } = offset;

    public bool AtEnd { get; } = atEnd;

    public string? RuleId { get; } = ruleId;
}
