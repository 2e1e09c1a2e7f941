using Rampart.Scanning.IO;

namespace Rampart.Scanning.Compression;

/// <summary>
/// Base of Rampart's own decompressors: a forward-only, read-only stream that decodes lazily, checks every
/// integrity field of its format, and throws <see cref="IO.MalformedContentException"/> for anything malformed.
/// Bytes after the last complete compressed stream are not an error here: they stop decoding and are recorded in
/// <see cref="TrailingDataOffset"/> for the analyzer to judge.
/// </summary>
internal abstract class DecompressingStream : ReadOnlyStream
{
    private readonly bool _leaveOpen;
    private long _produced;

    protected DecompressingStream(Stream compressed, bool leaveOpen)
    {
        Input = new CompressedInput(compressed);
        _leaveOpen = leaveOpen;
    }

    protected CompressedInput Input { get; }

    /// <summary>Compressed bytes consumed so far.</summary>
    public long CompressedPosition => Input.Position;

    /// <summary>Where bytes that are not part of any compressed stream begin, once decoding has reached them.</summary>
    public long? TrailingDataOffset { get; protected set; }

    /// <summary>How many complete compressed streams (gzip members, bzip2 or xz streams) were decoded.</summary>
    public int StreamCount { get; protected set; }

    /// <summary>True once the end of the last stream was reached and checked.</summary>
    public bool Completed { get; private set; }

    public override long Position
    {
        get => _produced;
        set => throw new NotSupportedException();
    }

    public sealed override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty || Completed)
        {
            return 0;
        }

        var n = ReadCore(buffer);
        if (n == 0)
        {
            Completed = true;
        }

        _produced += n;
        return n;
    }

    public sealed override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public sealed override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(buffer.AsSpan(offset, count)));
    }

    /// <summary>Decodes into <paramref name="buffer"/> (not empty); 0 only at the end of the last stream.</summary>
    protected abstract int ReadCore(Span<byte> buffer);

    /// <summary>
    /// After a stream ended: skips zero padding where the format allows it (<paramref name="zeroPaddingMultiple"/>
    /// 0 = none, 1 = any number of zero bytes, 4 = groups of four) and says whether another stream follows. Anything
    /// else before the end of the input is recorded as trailing data and ends decoding.
    /// </summary>
    protected bool NextStreamFollows(ReadOnlySpan<byte> magic, int zeroPaddingMultiple)
    {
        var paddingStart = Input.Position;
        if (zeroPaddingMultiple > 0)
        {
            while (Input.PeekByte() == 0)
            {
                Input.TryReadByte();
            }
        }

        var paddingOk = zeroPaddingMultiple <= 1 || (Input.Position - paddingStart) % zeroPaddingMultiple == 0;
        if (Input.PeekByte() < 0 && paddingOk)
        {
            return false;
        }

        if (paddingOk && Input.NextBytesAre(magic))
        {
            return true;
        }

        TrailingDataOffset = paddingOk ? Input.Position : paddingStart;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen)
        {
            Input.Stream.Dispose();
        }

        base.Dispose(disposing);
    }
}
