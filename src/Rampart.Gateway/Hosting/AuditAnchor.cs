using System.Globalization;
using Microsoft.Extensions.Logging;
using Rampart.Guard.Audit;
using Rampart.Provenance;
using Rampart.Provenance.Records;

namespace Rampart.Gateway.Hosting;

/// <summary>
/// Anchors the audit log in the provenance ledger: every interval (and at shutdown), when the chain's head moved, a
/// <c>dataset</c> record named <c>gateway-audit:&lt;name&gt;</c> whose manifest is the head entry's hash and whose
/// version is its sequence number. Entries before an anchor can then be neither removed, truncated nor rewritten
/// without <c>rampart gateway logs verify --ledger</c> noticing, even by someone who recomputes the whole chain.
/// </summary>
internal sealed partial class AuditAnchor : IAsyncDisposable
{
    public const string RecordPrefix = "gateway-audit:";

    private readonly AuditLog _audit;
    private readonly Ledger _ledger;
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly PeriodicTimer _timer;
    private readonly Task _loop;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _anchored;

    public AuditAnchor(AuditLog audit, Ledger ledger, string name, TimeSpan interval, TimeProvider time, ILogger logger)
    {
        _audit = audit;
        _ledger = ledger;
        _name = name;
        _logger = logger;
        _timer = new PeriodicTimer(interval, time);
        _loop = LoopAsync();
    }

    /// <summary>Records the current head if it moved since the last anchor; returns its sequence, or null.</summary>
    public async Task<long?> AnchorAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (sequence, hash) = _audit.Head;
            if (sequence == 0 || sequence == _anchored)
            {
                return null;
            }

            var record = ProvenanceRecord.Create(RecordKinds.Dataset)
                .Set("name", RecordPrefix + _name)
                .Set("manifest", "sha256:" + hash)
                .Set("version", sequence.ToString(CultureInfo.InvariantCulture))
                .Set("source", "rampart gateway audit log (hash-chained JSONL)")
                .Build();
            await _ledger.AppendAsync(record, cancellationToken).ConfigureAwait(false);
            _anchored = sequence;
            return sequence;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task LoopAsync()
    {
        try
        {
            while (await _timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await AnchorAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    AnchorFailed(_logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        try
        {
            await AnchorAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ProvenanceException or IOException or InvalidOperationException)
        {
            AnchorFailed(_logger, e);
        }

        _timer.Dispose();
        _stop.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "anchoring the audit log in the ledger failed; will retry")]
    private static partial void AnchorFailed(ILogger logger, Exception exception);
}

/// <summary>Reads the audit anchors a ledger holds (for <c>rampart gateway logs verify --ledger</c>).</summary>
public static class AuditAnchors
{
    /// <summary>
    /// The <c>gateway-audit:&lt;name&gt;</c> records of the ledger at <paramref name="location"/> (all names when
    /// <paramref name="name"/> is null), as anchors to check the log against.
    /// </summary>
    public static async Task<IReadOnlyList<AuditAnchorRef>> ReadAsync(string location, string? name = null, CancellationToken cancellationToken = default)
    {
        await using var ledger = await Ledger.OpenAsync(location, cancellationToken: cancellationToken).ConfigureAwait(false);
        var anchors = new List<AuditAnchorRef>();
        await foreach (var (_, contents) in ledger.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = contents.Record;
            if (record.Kind.Name != RecordKinds.Dataset || record.Text("name") is not { } recordName || !recordName.StartsWith(AuditAnchor.RecordPrefix, StringComparison.Ordinal)
                || (name is not null && recordName != AuditAnchor.RecordPrefix + name))
            {
                continue;
            }

            if (long.TryParse(record.Text("version"), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) && record.Text("manifest") is { } manifest && manifest.StartsWith("sha256:", StringComparison.Ordinal))
            {
                anchors.Add(new AuditAnchorRef(sequence, manifest["sha256:".Length..], $"ledger entry {contents.Sequence} ({recordName})"));
            }
        }

        return anchors;
    }
}
