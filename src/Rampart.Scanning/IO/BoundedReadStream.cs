namespace Rampart.Scanning.IO;

/// <summary>
/// Wraps a (typically decompressing) stream and throws <see cref="LimitExceededException"/> once more than
/// <c>maxBytes</c> have been produced, or once the output grows past <c>maxRatio</c> times the compressed input
/// consumed so far (reported by <c>compressedPosition</c>), so that a compression bomb is stopped early.
/// </summary>
public sealed class BoundedReadStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly long _maxBytes;
    private readonly long _maxRatio;
    private readonly Func<long>? _compressedPosition;
    private readonly string _what;
    private long _produced;

    public BoundedReadStream(Stream inner, long maxBytes, string what, long maxRatio = 0, Func<long>? compressedPosition = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _maxBytes = maxBytes;
        _maxRatio = maxRatio;
        _compressedPosition = compressedPosition;
        _what = what;
    }

    /// <summary>Ratios are only judged past this much output, so tiny highly-compressible members are not bombs.</summary>
    public const long RatioGraceBytes = 16 * 1024 * 1024;

    public long Produced => _produced;

    public override long Position
    {
        get => _produced;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        var read = _inner.Read(buffer);
        Account(read);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Account(read);
        return read;
    }

    private void Account(int read)
    {
        _produced += read;
        if (_produced > _maxBytes)
        {
            throw new LimitExceededException("max-decompressed-bytes", $"{_what} expands past {_maxBytes:N0} bytes");
        }

        if (_maxRatio > 0 && _compressedPosition is not null && _produced > RatioGraceBytes)
        {
            var consumed = Math.Max(1, _compressedPosition());
            if (_produced / consumed > _maxRatio)
            {
                throw new LimitExceededException("max-compression-ratio", $"{_what} expands more than {_maxRatio}:1 (compression bomb)");
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
