using System.IO.Compression;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Compression;

/// <summary>
/// One raw deflate stream inside a gzip member or zlib stream, inflated by the BCL. The BCL inflater is fed one
/// byte per read so that it never reads past the end of the deflate data: the gzip/zlib trailer, the next member
/// and any trailing bytes stay in <see cref="CompressedInput"/> for the container to check.
/// </summary>
internal sealed class DeflateBody : IDisposable
{
    private readonly DeflateStream _inflater;
    private readonly bool _computeAdler;

    public DeflateBody(CompressedInput input, bool computeAdler)
    {
        _inflater = new DeflateStream(new OneByteStream(input), CompressionMode.Decompress, leaveOpen: false);
        _computeAdler = computeAdler;
        Input = input;
    }

    private CompressedInput Input { get; }

    public uint Crc { get; private set; }

    public uint Adler { get; private set; } = 1;

    public long Size { get; private set; }

    /// <summary>Inflates into <paramref name="buffer"/>; 0 once the deflate data is complete.</summary>
    public int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = _inflater.Read(buffer);
        }
        catch (InvalidDataException e)
        {
            throw Input.Error($"corrupt deflate data ({e.Message})");
        }

        var produced = buffer[..n];
        if (_computeAdler)
        {
            Adler = Adler32.Append(Adler, produced);
        }
        else
        {
            Crc = Crc32.Append(Crc, produced);
        }

        Size += n;
        return n;
    }

    public void Dispose() => _inflater.Dispose();

    private sealed class OneByteStream(CompressedInput input) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => input.Position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            var b = input.TryReadByte();
            if (b < 0)
            {
                return 0;
            }

            buffer[0] = (byte)b;
            return 1;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
