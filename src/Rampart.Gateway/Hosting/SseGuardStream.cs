using Microsoft.AspNetCore.Http;
using Rampart.Guard.Streaming;

namespace Rampart.Gateway.Hosting;

/// <summary>
/// The response body YARP writes a streamed answer into: every write goes through the <see cref="SseGuard"/> and what
/// it lets out is written and flushed to the caller at once. After the guard ends the stream (a block or [DONE]) the
/// rest of the upstream's bytes are discarded: throwing here would make YARP reset the caller's connection before it
/// has read the error event.
/// </summary>
internal sealed class SseGuardStream(HttpContext context, Stream inner, SseGuard guard) : Stream
{
    private bool _ended;

    public bool Started { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_ended)
        {
            return; // after [DONE] or a block nothing more reaches the caller
        }

        var step = guard.Push(buffer.Span);
        await SendAsync(step.Output, cancellationToken).ConfigureAwait(false);
        _ended = step.Ended;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public async Task CompleteAsync()
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
        var step = guard.Complete();
        await SendAsync(step.Output, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task SendAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        if (!Started)
        {
            Started = true;
            context.Response.ContentLength = null;
        }

        if (bytes.Length > 0)
        {
            await inner.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
