using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Archives;

/// <summary>Passes a stream through while computing the CRC-32 and length of everything read.</summary>
internal sealed class CrcStream(Stream inner) : ReadOnlyStream
{
    private readonly System.IO.Hashing.Crc32 _crc = new();

    /// <summary>The CRC-32 of everything read so far.</summary>
    public uint Crc => _crc.GetCurrentHashAsUInt32();

    public long BytesRead { get; private set; }

    /// <summary>True once a read returned 0: <see cref="Crc"/> covers the whole content.</summary>
    public bool ReachedEnd { get; private set; }

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Account(buffer[..read]);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Account(buffer.Span[..read]);
        return read;
    }

    private void Account(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            ReachedEnd = true;
            return;
        }

        _crc.Append(data);
        BytesRead += data.Length;
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
