using System.Collections.Immutable;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Prometheus;
using Rampart.Gateway.Config;
using Rampart.Guard.Alarms;
using Rampart.Guard.Audit;
using Rampart.Guard.Pipeline;

namespace Rampart.Gateway.Hosting;

/// <summary>One audit entry as the Rampart server takes it (docs/server.md, "Gateway activity"): the entry's own fields, no bodies or digests, and drift scores per feature.</summary>
internal sealed record ShippedEvent(
    DateTimeOffset Time,
    string RequestId,
    string Principal,
    string Route,
    string? Model,
    string Operation,
    int Status,
    string Decision,
    ImmutableArray<string> Rules,
    double LatencyMs,
    string? Evidence,
    IReadOnlyDictionary<string, double>? Drift);

/// <summary>
/// With <c>events:</c>, ships the gateway's audit entries to a Rampart server in batches, off the request path
/// (docs/gateway.md, "Shipping events"): <see cref="Enqueue"/> only tries to add to a bounded queue and never waits;
/// when the queue is full the entry is dropped and counted (<c>rampart_gateway_events_dropped_total</c>). A loop sends
/// up to <see cref="EventsConfig.BatchSize"/> entries at once, at least every <see cref="EventsConfig.FlushSeconds"/>.
/// A batch the server cannot take now (unreachable, 5xx, 429) is retried after the flush interval while new entries
/// wait in the queue; one it refuses (other 4xx) is dropped, counted and logged. The audit log stays the record.
/// </summary>
internal sealed partial class EventShipper : IGuardAlarmSink, IAsyncDisposable
{
    private static readonly Counter Dropped = Metrics.CreateCounter("rampart_gateway_events_dropped_total", "Gateway events not shipped to the Rampart server, by reason (queue_full, refused).", "reason");
    private static readonly Counter Shipped = Metrics.CreateCounter("rampart_gateway_events_shipped_total", "Gateway events the Rampart server accepted.");
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly EventsConfig _config;
    private readonly ILogger _logger;
    private readonly HttpClient _client;
    private readonly Channel<ShippedEvent> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly string _path;
    private long _dropped;
    private long _shipped;

    public EventShipper(EventsConfig config, ILogger logger, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _logger = logger;
        _client = handler is null ? new HttpClient() : new HttpClient(handler);
        _client.BaseAddress = new Uri(config.Server.TrimEnd('/') + "/");
        _client.Timeout = TimeSpan.FromSeconds(30);
        if (Environment.GetEnvironmentVariable(config.TokenEnv) is { Length: > 0 } token)
        {
            _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        _path = $"api/v1/projects/{Uri.EscapeDataString(config.Project)}/gateway/events";
        _queue = Channel.CreateBounded<ShippedEvent>(new BoundedChannelOptions(config.QueueSize) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Entries dropped so far (queue full, or refused by the server).</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Entries the server accepted so far.</summary>
    public long ShippedCount => Interlocked.Read(ref _shipped);

    /// <summary>Queues a finished request's audit entry with the drift scores among its signals; never blocks.</summary>
    public void Enqueue(AuditEntry entry, IEnumerable<GuardSignal> signals)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Dictionary<string, double>? drift = null;
        foreach (var signal in signals)
        {
            if (signal.RuleId == Guard.Detectors.Drift.DriftCheck.DriftRuleId && FeatureOf().Match(signal.Reason) is { Success: true } m)
            {
                drift ??= new(StringComparer.Ordinal);
                drift[m.Groups[1].Value] = Math.Max(drift.GetValueOrDefault(m.Groups[1].Value), signal.Score);
            }
        }

        Offer(new ShippedEvent(entry.Time, entry.RequestId, entry.Principal, entry.Route, entry.Model, entry.Operation, entry.Status, entry.Decision, entry.Rules, entry.LatencyMs, entry.Evidence, drift));
    }

    /// <summary>Alarms are audit entries too (decision <c>alarm</c>); they are shipped like requests.</summary>
    public ValueTask RaiseAsync(GuardAlarm alarm, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alarm);
        Offer(new ShippedEvent(alarm.Time, alarm.RequestId ?? "", alarm.Principal, alarm.Route, null, "alarm", 0, "alarm", [alarm.RuleId], 0, alarm.Evidence, null));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        // Send what is queued (bounded by the client timeout), then stop.
        _queue.Writer.TryComplete();
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await Task.WhenAny(_loop, Task.Delay(Timeout.Infinite, grace.Token)).ConfigureAwait(false);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _client.Dispose();
        _stop.Dispose();
    }

    private void Offer(ShippedEvent e)
    {
        if (!_queue.Writer.TryWrite(e))
        {
            Interlocked.Increment(ref _dropped);
            Dropped.WithLabels("queue_full").Inc();
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var flush = TimeSpan.FromSeconds(_config.FlushSeconds);
        var batch = new List<ShippedEvent>(_config.BatchSize);
        var reader = _queue.Reader;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Fill the batch: up to BatchSize entries, or whatever came within the flush interval.
            using (var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                window.CancelAfter(flush);
                try
                {
                    while (batch.Count < _config.BatchSize && await reader.WaitToReadAsync(window.Token).ConfigureAwait(false))
                    {
                        while (batch.Count < _config.BatchSize && reader.TryRead(out var e))
                        {
                            batch.Add(e);
                        }
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // the flush interval ended
                }
            }

            if (batch.Count == 0)
            {
                if (reader.Completion.IsCompleted)
                {
                    return;
                }

                continue;
            }

            if (await SendAsync(batch, cancellationToken).ConfigureAwait(false))
            {
                batch.Clear();
            }
            else
            {
                await Task.Delay(flush, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>True when the batch is done with (accepted, or refused for good); false to retry it.</summary>
    private async Task<bool> SendAsync(List<ShippedEvent> batch, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.PostAsJsonAsync(_path, new { gateway = _config.Name, events = batch }, Json, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                Interlocked.Add(ref _shipped, batch.Count);
                Shipped.Inc(batch.Count);
                return true;
            }

            if (status is >= 400 and < 500 and not 408 and not 429)
            {
                Interlocked.Add(ref _dropped, batch.Count);
                Dropped.WithLabels("refused").Inc(batch.Count);
                BatchRefused(_logger, batch.Count, status);
                return true;
            }

            SendFailed(_logger, null, batch.Count, $"HTTP {status}");
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            SendFailed(_logger, e, batch.Count, e.Message);
            return false;
        }
    }

    /// <summary>The feature a drift signal names (DriftCheck's reason: "feature 'NAME' drifted over ...").</summary>
    [GeneratedRegex("^feature '(.{1,128})' drifted ")]
    private static partial Regex FeatureOf();

    [LoggerMessage(Level = LogLevel.Warning, Message = "the Rampart server refused a batch of {Count} gateway events with HTTP {Status}; they are dropped (the audit log keeps them)")]
    private static partial void BatchRefused(ILogger logger, int count, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not ship {Count} gateway events ({Reason}); retrying")]
    private static partial void SendFailed(ILogger logger, Exception? exception, int count, string reason);
}
