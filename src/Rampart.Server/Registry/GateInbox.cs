using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rampart.Server.Data;

namespace Rampart.Server.Registry;

/// <summary>Versions waiting for the gate.</summary>
public sealed class GateInbox
{
    private readonly Channel<long> _channel = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(long versionId) => _channel.Writer.TryWrite(versionId);

    public ChannelReader<long> Reader => _channel.Reader;
}

/// <summary>
/// Runs the gate for queued versions, one at a time. At start it re-queues every version still in "scanning": a
/// crash during a scan leaves the version quarantined and scanned again, never marked scanned without a scan.
/// </summary>
public sealed partial class ScanWorker(IServiceScopeFactory scopes, GateInbox queue, ILogger<ScanWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using (var scope = scopes.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ServerDb>();
            foreach (var id in await db.Versions.Where(v => v.State == VersionStates.Scanning).OrderBy(v => v.Id).Select(v => v.Id).ToListAsync(stoppingToken).ConfigureAwait(false))
            {
                queue.Enqueue(id);
            }
        }

        await foreach (var id in queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<RegistryService>().RunGateAsync(id, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // one version's failure must not stop the queue; the version stays in "scanning" (quarantined) and is retried at the next start.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogGateFailed(logger, id, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "the gate failed for version {VersionId}; it stays quarantined and is retried at the next start")]
    private static partial void LogGateFailed(ILogger logger, long versionId, Exception exception);
}
