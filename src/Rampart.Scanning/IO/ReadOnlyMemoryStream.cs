namespace Rampart.Scanning.IO;

/// <summary>A seekable read-only stream over memory, without copying it.</summary>
public sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : ReadOnlyStream
{
    private int _position;

    public ReadOnlyMemory<byte> Memory { get; } = memory;

    public override bool CanSeek => true;

    public override long Length => Memory.Length;

    public override long Position
    {
        get => _position;
        set => _position = (int)Math.Clamp(value, 0, Memory.Length);
    }

    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, Memory.Length - _position);
        if (n <= 0)
        {
            return 0;
        }

        Memory.Span.Slice(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => Memory.Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }
}
