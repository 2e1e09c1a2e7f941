using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Archives;

/// <summary>
/// A read-only window over a forward-only stream it owns: skips to <c>offset</c> by reading, then yields at most
/// <c>length</c> bytes. Used for members of archives that arrive as non-seekable (decompressed) streams.
/// </summary>
internal sealed class ForwardWindowStream(Stream inner, long offset, long length) : ReadOnlyStream
{
    private long _position = -1;

    public override long Length => length;

    public override long Position
    {
        get => Math.Max(0, _position);
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        SkipToStart();
        var toRead = (int)Math.Min(buffer.Length, length - _position);
        if (toRead <= 0)
        {
            return 0;
        }

        var read = inner.Read(buffer[..toRead]);
        _position += read;
        return read;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    private void SkipToStart()
    {
        if (_position >= 0)
        {
            return;
        }

        var scratch = new byte[81920];
        var remaining = offset;
        while (remaining > 0)
        {
            var read = inner.Read(scratch, 0, (int)Math.Min(scratch.Length, remaining));
            if (read == 0)
            {
                break;
            }

            remaining -= read;
        }

        _position = 0;
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
