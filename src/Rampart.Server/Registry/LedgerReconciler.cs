using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rampart.Provenance.Records;
using Rampart.Server.Data;
using Rampart.Server.Identity;

namespace Rampart.Server.Registry;

/// <summary>What a start-up reconciliation did: records whose database change was completed, and records left marked.</summary>
public sealed record Reconciliation(IReadOnlyList<long> Completed, IReadOnlyList<long> Marked);

/// <summary>
/// Runs once at start, before the server answers. Every state change appends its ledger record first and then changes
/// the database, so a process killed between the two leaves a signed record without its change. Such a record is the
/// truth (it is signed and in the Merkle tree), so its change is completed when the version still allows it:
/// an approval or rejection gets its Approval row and state, a revocation its revoked state and list entry (gateways
/// then refuse it), an incident quarantine its quarantined state. A record whose change can no longer be applied (the
/// version moved on meanwhile) is marked: an audit event "ledger.unapplied" naming the sequence, written once, so an
/// administrator sees it. Uploads need nothing here: the session survives and completing it again is safe; versions
/// left "scanning" are scanned again by the gate worker.
/// </summary>
public sealed partial class LedgerReconciler(ServerDb db, ServerLedger ledger, AuditTrail audit, TimeProvider time)
{
    public const string UnappliedAction = "ledger.unapplied";

    /// <summary>The start-up pass: reconciles, then logs what it completed and what it marked.</summary>
    internal static async Task RunAtStartAsync(IServiceProvider services, ILogger logger, CancellationToken cancellationToken)
    {
        using var scope = services.CreateScope();
        var result = await scope.ServiceProvider.GetRequiredService<LedgerReconciler>().RunAsync(cancellationToken).ConfigureAwait(false);
        if (result.Completed.Count > 0)
        {
            LogCompleted(logger, result.Completed.Count, string.Join(", ", result.Completed));
        }

        if (result.Marked.Count > 0)
        {
            LogMarked(logger, result.Marked.Count, string.Join(", ", result.Marked));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "ledger reconciliation: completed the database change of {Count} record(s) written before a crash: {Sequences}")]
    private static partial void LogCompleted(ILogger logger, int count, string sequences);

    [LoggerMessage(Level = LogLevel.Error, Message = "ledger reconciliation: {Count} record(s) have no database change and cannot be applied (audit ledger.unapplied): {Sequences}")]
    private static partial void LogMarked(ILogger logger, int count, string sequences);

    public async Task<Reconciliation> RunAsync(CancellationToken cancellationToken)
    {
        var approvals = (await db.Approvals.Select(a => a.LedgerSequence).ToListAsync(cancellationToken).ConfigureAwait(false)).ToHashSet();
        var revocations = (await db.Versions.Where(v => v.RevokedSequence != null).Select(v => v.RevokedSequence!.Value).ToListAsync(cancellationToken).ConfigureAwait(false)).ToHashSet();
        var marked = (await db.AuditEvents.Where(e => e.Action == UnappliedAction).Select(e => e.Detail!).ToListAsync(cancellationToken).ConfigureAwait(false))
            .Select(d => long.TryParse(d.Split(' ')[1], out var s) ? s : -1).ToHashSet();
        var completed = new List<long>();
        var newlyMarked = new List<long>();

        await foreach (var (entry, contents) in ledger.Ledger.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = contents.Record;
            var sequence = entry.Sequence;
            if (marked.Contains(sequence))
            {
                continue;
            }

            bool? applied = record.Kind.Name switch
            {
                RecordKinds.Approval when !approvals.Contains(sequence) => await CompleteDecisionAsync(record, sequence, cancellationToken).ConfigureAwait(false),
                RecordKinds.Revocation when !revocations.Contains(sequence) => await CompleteRevocationAsync(record, sequence, cancellationToken).ConfigureAwait(false),
                RecordKinds.Registry when record.Text("event") == "quarantined" => await CompleteQuarantineAsync(record, cancellationToken).ConfigureAwait(false),
                _ => null,
            };

            if (applied == true)
            {
                completed.Add(sequence);
            }
            else if (applied == false)
            {
                newlyMarked.Add(sequence);
                await audit.WriteAsync(db, null, "server", UnappliedAction, ProjectOf(record), $"record {sequence} ({record.Kind.Name}) has no database change and the version no longer allows it", cancellationToken).ConfigureAwait(false);
            }
        }

        return new Reconciliation(completed, newlyMarked);
    }

    private async Task<ArtifactVersion?> FindAsync(string digest, string? scope, CancellationToken cancellationToken)
    {
        if (LedgerTexts.ParseScope(scope) is not { } parts)
        {
            return null;
        }

        var (projectName, artifactName, label) = parts;

        return await (from v in db.Versions
                      join a in db.Artifacts on v.ArtifactId equals a.Id
                      join p in db.Projects on v.ProjectId equals p.Id
                      where p.Name == projectName && a.Name == artifactName && v.Label == label && v.Digest == digest
                      select v).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> CompleteDecisionAsync(ProvenanceRecord record, long sequence, CancellationToken cancellationToken)
    {
        var version = await FindAsync(record.Text("subject")!, record.Text("scope"), cancellationToken).ConfigureAwait(false);
        var approve = record.Text("decision") == "approved";
        var allowed = approve ? new[] { VersionStates.PendingReview } : [VersionStates.PendingReview, VersionStates.Quarantined, VersionStates.Scanning];
        if (version is null || !allowed.Contains(version.State))
        {
            return false;
        }

        var (reviewer, note) = LedgerTexts.ParseReviewerNote(record.Text("note"));
        var userName = LedgerTexts.UserName(reviewer);
        var reviewerId = await db.Users.Where(u => u.UserName == userName).Select(u => u.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        version.State = approve ? VersionStates.Released : VersionStates.Rejected;
        version.UpdatedAt = time.GetUtcNow();
        db.Approvals.Add(new Approval
        {
            VersionId = version.Id,
            ReviewerId = reviewerId ?? "",
            ReviewerName = reviewer,
            Decision = approve ? "approved" : "rejected",
            Note = note,
            LedgerSequence = sequence,
            At = version.UpdatedAt,
        });
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<bool> CompleteRevocationAsync(ProvenanceRecord record, long sequence, CancellationToken cancellationToken)
    {
        var parsed = LedgerTexts.ParseRevocationReason(record.Text("reason"));
        var version = await FindAsync(record.Text("subject")!, parsed?.Scope, cancellationToken).ConfigureAwait(false);
        if (version is null || version.RevokedSequence is not null)
        {
            return false;
        }

        version.State = VersionStates.Revoked;
        version.RevokeReason = parsed!.Value.Reason;
        version.RevokedSequence = sequence;
        version.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>null when the quarantine took effect (or was superseded); true when it is completed now.</summary>
    private async Task<bool?> CompleteQuarantineAsync(ProvenanceRecord record, CancellationToken cancellationToken)
    {
        var scope = LedgerTexts.Scope(record.Text("project") ?? "", record.Text("artifact") ?? "", record.Text("version") ?? "");
        var version = await FindAsync(record.Text("subject")!, scope, cancellationToken).ConfigureAwait(false);

        // Nothing moves a quarantined version back to pending-review or released (it can only be rejected or revoked),
        // so a version still in one of those states never got its quarantine.
        if (version is null || version.State is not (VersionStates.PendingReview or VersionStates.Released))
        {
            return null;
        }

        version.State = VersionStates.Quarantined;
        version.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static string? ProjectOf(ProvenanceRecord record) =>
        record.Text("project") ?? record.Text("scope")?.Split('/')[0];
}
