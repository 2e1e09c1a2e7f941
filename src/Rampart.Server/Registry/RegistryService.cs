using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Rampart.Provenance.Records;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Registry;

/// <summary>A new upload's description.</summary>
public sealed record UploadRequest(string? Artifact, string? Kind, string? Version, string? FileName, long? Size);

/// <summary>Wakes revocation-list pollers waiting for news.</summary>
public sealed class RevocationSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Next => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

/// <summary>One lock per upload session: two writers never interleave chunks of one upload.</summary>
public sealed class UploadLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public SemaphoreSlim For(string id) => _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
}

/// <summary>
/// The registry's state machine: uploads into quarantine, the gate, approvals under the two-person rule, revocation.
/// A decision (approve, reject, revoke, quarantine) changes the state in a database transaction, appends its ledger
/// record and then commits, so a lost race adds no record and after a crash the database never holds a state without
/// its record; a version is marked scanned only by the gate's own update.
/// </summary>
public sealed class RegistryService(ServerDb db, BlobStore blobs, ServerLedger ledger, GateInbox queue, ArtifactGate gate, UploadLocks locks, RevocationSignal revocations, ServerOptions options)
{
    private const int CopyBuffer = 1 << 20;

    private TimeProvider Time => options.Time;

    public async Task<UploadSession> CreateUploadAsync(Project project, Caller caller, UploadRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (!Names.IsName(request.Artifact) || !Names.IsName(request.Version) || !Names.IsFileName(request.FileName))
        {
            throw ApiException.BadRequest("artifact and version must be names (letters, digits, '.', '_', '-'; at most 100), fileName a plain file name (no path, no control characters)");
        }

        if (request.Artifact!.StartsWith(Incidents.TabletopEndpoints.ArtifactPrefix, StringComparison.Ordinal))
        {
            throw ApiException.BadRequest($"artifact names beginning with '{Incidents.TabletopEndpoints.ArtifactPrefix}' are reserved for tabletop exercises");
        }

        var kind = request.Kind ?? "model";
        if (!Names.IsKind(kind))
        {
            throw ApiException.BadRequest("kind must be model or dataset");
        }

        if (request.Size is { } size && (size < 0 || size > options.MaxUploadBytes))
        {
            throw new ApiException(413, "too_large", $"the server accepts versions of at most {options.MaxUploadBytes} bytes");
        }

        await EnsureVersionFreeAsync(project.Id, request.Artifact!, kind, request.Version!, cancellationToken).ConfigureAwait(false);
        var now = Time.GetUtcNow();
        var session = new UploadSession
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ProjectId = project.Id,
            ArtifactName = request.Artifact!,
            Kind = kind,
            Label = request.Version!,
            FileName = request.FileName!,
            DeclaredSize = request.Size,
            UploaderId = caller.UserId,
            CreatedAt = now,
            ExpiresAt = now + options.UploadLifetime,
        };
        db.Uploads.Add(session);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await File.WriteAllBytesAsync(PartPath(session.Id), [], cancellationToken).ConfigureAwait(false);
        return session;
    }

    public async Task<UploadSession> GetUploadAsync(Project project, Caller caller, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(caller);
        var session = await db.Uploads.FirstOrDefaultAsync(u => u.Id == id && u.ProjectId == project.Id, cancellationToken).ConfigureAwait(false);
        if (session is null || session.UploaderId != caller.UserId)
        {
            throw ApiException.NotFound("no such upload in this project (uploads are visible to their uploader only)");
        }

        if (session.ExpiresAt < Time.GetUtcNow())
        {
            throw new ApiException(410, "expired", "this upload expired; start a new one");
        }

        return session;
    }

    /// <summary>Bytes received so far: where the next chunk starts.</summary>
    public long Offset(UploadSession session) => new FileInfo(PartPath(session.Id)) is { Exists: true } f ? f.Length : 0;

    /// <summary>Appends a chunk at <paramref name="offset"/> (which must be the current length); refuses with 413 past the size limit, keeping what came before.</summary>
    public async Task<long> AppendAsync(UploadSession session, long offset, Stream body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(body);
        var gate = locks.For(session.Id);
        if (!await gate.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            throw ApiException.Conflict("another chunk of this upload is being written");
        }

        try
        {
            var current = Offset(session);
            if (offset != current)
            {
                throw new ApiException(409, "offset_mismatch", $"Upload-Offset must be {current}, the number of bytes received so far");
            }

            var limit = Math.Min(options.MaxUploadBytes, session.DeclaredSize ?? long.MaxValue);
            await using var file = new FileStream(PartPath(session.Id), FileMode.Open, FileAccess.Write, FileShare.Read, CopyBuffer, FileOptions.Asynchronous);
            file.Position = offset;
            var buffer = new byte[CopyBuffer];
            long written = offset;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (written + read > limit)
                {
                    file.SetLength(offset);
                    throw new ApiException(413, "too_large", session.DeclaredSize is { } d && d < options.MaxUploadBytes
                        ? $"the upload was declared as {d} bytes; this chunk goes past that"
                        : $"the server accepts versions of at most {options.MaxUploadBytes} bytes");
                }

                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                written += read;
            }

            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            return written;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Attaches a signature bundle or a requirements file (small, stored as blobs).</summary>
    public async Task<string> AttachAsync(UploadSession session, string what, Stream body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var bytes = await ReadSmallAsync(body, what, cancellationToken).ConfigureAwait(false);
        var digest = await blobs.PutAsync(bytes, cancellationToken).ConfigureAwait(false);
        if (what == "signature")
        {
            session.SignatureDigest = digest;
        }
        else
        {
            session.RequirementsDigest = digest;
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return digest;
    }

    /// <summary>
    /// Attaches the client's own scan report (`rampart scan --upload`). It waits beside the upload's bytes
    /// (uploads/{id}.report.json, replaced by a later PUT) until completion, which stores it as a blob and records the
    /// client's verdict in the ledger; the gate scans the bytes itself either way.
    /// </summary>
    public async Task<(string Digest, ClientReport Report)> AttachReportAsync(UploadSession session, Stream body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var bytes = await ReadSmallAsync(body, "report", cancellationToken).ConfigureAwait(false);
        var report = ClientReport.Parse(bytes);
        var temp = ReportPath(session.Id) + ".tmp";
        await File.WriteAllBytesAsync(temp, bytes, cancellationToken).ConfigureAwait(false);
        File.Move(temp, ReportPath(session.Id), overwrite: true);
        return ("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), report);
    }

    public async Task CancelUploadAsync(UploadSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        db.Uploads.Remove(session);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        File.Delete(PartPath(session.Id));
        File.Delete(ReportPath(session.Id));
    }

    /// <summary>
    /// Finishes an upload: the bytes are hashed and adopted into the blob store (stored once however often they are
    /// uploaded), the "uploaded" record is written, then the version enters the database as scanning and is queued.
    /// </summary>
    public async Task<ArtifactVersion> CompleteAsync(Project project, UploadSession session, Caller caller, string? expectedDigest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(caller);
        var gate = locks.For(session.Id);
        if (!await gate.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            throw ApiException.Conflict("a chunk of this upload is still being written");
        }

        try
        {
            var part = PartPath(session.Id);
            var length = Offset(session);
            if (session.DeclaredSize is { } declared && declared != length)
            {
                throw new ApiException(409, "incomplete", $"{length} of the declared {declared} bytes were received; send the rest from offset {length}");
            }

            if (expectedDigest is not null && !BlobStore.IsDigest(expectedDigest))
            {
                throw ApiException.BadRequest("digest must be sha256: followed by 64 lower-case hex digits");
            }

            await EnsureVersionFreeAsync(project.Id, session.ArtifactName, session.Kind, session.Label, cancellationToken).ConfigureAwait(false);
            var actual = await BlobStore.HashFileAsync(part, cancellationToken).ConfigureAwait(false);
            if (expectedDigest is not null && !string.Equals(actual, expectedDigest, StringComparison.Ordinal))
            {
                throw new ApiException(422, "digest_mismatch", $"the server received bytes with digest {actual}, not {expectedDigest}; resend the upload");
            }

            var reportFile = ReportPath(session.Id);
            (byte[] Bytes, ClientReport Parsed)? report = null;
            if (File.Exists(reportFile))
            {
                var bytes = await Core.IO.BoundedFile.ReadAllBytesAsync(reportFile, options.MaxSmallBodyBytes, cancellationToken).ConfigureAwait(false);
                report = (bytes, ClientReport.Parse(bytes));
                if (report.Value.Parsed.Length != length)
                {
                    throw new ApiException(422, "report_mismatch", $"the attached scan report describes a file of {report.Value.Parsed.Length} bytes, the upload has {length}; scan the file you upload");
                }
            }

            var digest = await blobs.AdoptAsync(part, cancellationToken).ConfigureAwait(false);
            await ledger.RegistryEventAsync(digest, "uploaded", project.Name, session.ArtifactName, session.Label, caller.Display, $"quarantined for scanning ({length} bytes, {session.FileName})", cancellationToken).ConfigureAwait(false);
            if (report is { } claim)
            {
                // The client's claim, kept as evidence beside the server's own scan record (tool names who reported it).
                var reportDigest = await blobs.PutAsync(claim.Bytes, cancellationToken).ConfigureAwait(false);
                await ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Scan).Set("artifact", digest).Set("verdict", claim.Parsed.Verdict)
                    .Set("tool", $"{claim.Parsed.Tool} (client report from {caller.Display})").Set("report", reportDigest).Build(), cancellationToken).ConfigureAwait(false);
            }

            var artifact = await GetOrCreateArtifactAsync(project.Id, session.ArtifactName, session.Kind, cancellationToken).ConfigureAwait(false);
            var now = Time.GetUtcNow();
            var version = new ArtifactVersion
            {
                ProjectId = project.Id,
                Label = session.Label,
                Digest = digest,
                Size = length,
                FileName = session.FileName,
                State = VersionStates.Scanning,
                UploaderId = caller.UserId,
                UploaderName = caller.UserName,
                SignatureDigest = session.SignatureDigest,
                RequirementsDigest = session.RequirementsDigest,
                CreatedAt = now,
                UpdatedAt = now,
            };
            version.ArtifactId = artifact.Id;
            db.Versions.Add(version);
            db.Uploads.Remove(session);
            try
            {
                // One SaveChanges: the version appears and the upload session goes in one transaction.
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbUpdateException)
            {
                throw ApiException.Conflict($"{session.ArtifactName} already has a version {session.Label}");
            }

            File.Delete(reportFile);
            queue.Enqueue(version.Id);
            return version;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Runs the gate for a version in "scanning" and moves it to pending-review or quarantined.</summary>
    public async Task RunGateAsync(long versionId, CancellationToken cancellationToken)
    {
        var version = await db.Versions.FirstOrDefaultAsync(v => v.Id == versionId, cancellationToken).ConfigureAwait(false);
        if (version is null || version.State != VersionStates.Scanning)
        {
            return;
        }

        var artifact = await db.Artifacts.FirstAsync(a => a.Id == version.ArtifactId, cancellationToken).ConfigureAwait(false);
        var project = await db.Projects.FirstAsync(p => p.Id == version.ProjectId, cancellationToken).ConfigureAwait(false);
        var keys = await db.TrustedKeys.Where(k => k.ProjectId == project.Id && k.RetiredAt == null).OrderBy(k => k.Id).Select(k => new { k.Name, k.Pem }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var result = await gate.RunAsync(new GateInput(version.Digest, version.FileName, artifact.Kind, version.SignatureDigest, version.RequirementsDigest, [.. keys.Select(k => (k.Name, k.Pem))]), cancellationToken).ConfigureAwait(false);

        var scan = ProvenanceRecord.Create(RecordKinds.Scan).Set("artifact", version.Digest).Set("verdict", result.ScanVerdict).Set("tool", $"rampart {result.ToolVersion}");
        if (result.ReportDigest is not null)
        {
            scan.Set("report", result.ReportDigest);
        }

        await ledger.AppendAsync(scan.Build(), cancellationToken).ConfigureAwait(false);
        var state = result.Passed ? VersionStates.PendingReview : VersionStates.Quarantined;
        await ledger.RegistryEventAsync(version.Digest, "scanned", project.Name, artifact.Name, version.Label, "server",
            $"{state}: scan {result.ScanVerdict}, signature {result.SignatureStatus}, audit {result.AuditVerdict}", cancellationToken).ConfigureAwait(false);

        version.ScanVerdict = result.ScanVerdict;
        version.SignatureStatus = result.SignatureStatus;
        version.AuditVerdict = result.AuditVerdict;
        version.FindingsJson = ArtifactGate.ToJson(result.Findings);
        version.ReportDigest = result.ReportDigest;
        version.State = state;
        version.UpdatedAt = Time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Approves (releases) or rejects a version. Approval needs a version that passed the gate and a reviewer who
    /// did not upload it (two-person rule); the state change, its ledger record and the Approval row commit together (<see cref="InChangeAsync"/>).
    /// </summary>
    public async Task<ArtifactVersion> DecideAsync(Project project, RegistryArtifact artifact, ArtifactVersion version, Caller caller, bool approve, string? note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(caller);
        if (note is { Length: > 2000 })
        {
            throw ApiException.BadRequest("a note may hold at most 2000 characters");
        }

        if (approve && version.UploaderId == caller.UserId)
        {
            throw new ApiException(403, "two_person_rule", "the uploader of a version cannot approve it; another security reviewer must");
        }

        var allowed = approve ? new[] { VersionStates.PendingReview } : [VersionStates.PendingReview, VersionStates.Quarantined, VersionStates.Scanning];
        if (!allowed.Contains(version.State))
        {
            throw ApiException.Conflict(version.State == VersionStates.Quarantined && approve
                ? "this version failed the gate and stays quarantined with its findings; it can only be rejected"
                : $"a version in state {version.State} cannot be {(approve ? "approved" : "rejected")}");
        }

        var decision = approve ? "approved" : "rejected";
        var newState = approve ? VersionStates.Released : VersionStates.Rejected;
        var previous = version.State;
        var now = Time.GetUtcNow();
        await InChangeAsync(async () =>
        {
            // The state moves first, inside the transaction, only from the state this decision was made on: a
            // concurrent decision that won leaves 0 rows and this one ends with 409 before any record is written.
            await MoveAsync(version.Id, previous, newState, now, cancellationToken).ConfigureAwait(false);
            var record = ProvenanceRecord.Create(RecordKinds.Approval).Set("subject", version.Digest).Set("decision", decision)
                .Set("scope", LedgerTexts.Scope(project.Name, artifact.Name, version.Label))
                .Set("note", LedgerTexts.ReviewerNote(caller.Display, note));
            var sequence = await ledger.AppendAsync(record.Build(), cancellationToken).ConfigureAwait(false);
            db.Approvals.Add(new Approval { VersionId = version.Id, ReviewerId = caller.UserId, ReviewerName = caller.Display, Decision = decision, Note = note, LedgerSequence = sequence, At = now });
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        version.State = newState;
        version.UpdatedAt = now;
        return version;
    }

    /// <summary>Revokes a version: the revocation record first, then the version leaves service and pollers are woken.</summary>
    public async Task<ArtifactVersion> RevokeAsync(Project project, RegistryArtifact artifact, ArtifactVersion version, Caller caller, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(caller);
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 2000)
        {
            throw ApiException.BadRequest("a revocation needs a reason (at most 2000 characters)");
        }

        if (version.State == VersionStates.Revoked)
        {
            throw ApiException.Conflict("this version is already revoked");
        }

        var now = Time.GetUtcNow();
        var previous = version.State;
        var sequence = 0L;
        await InChangeAsync(async () =>
        {
            await MoveAsync(version.Id, previous, VersionStates.Revoked, now, cancellationToken).ConfigureAwait(false);
            sequence = await ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Revocation).Set("subject", version.Digest).Set("reason", LedgerTexts.RevocationReason(reason, caller.Display, LedgerTexts.Scope(project.Name, artifact.Name, version.Label))).Build(), cancellationToken).ConfigureAwait(false);
            await db.Versions.Where(v => v.Id == version.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(v => v.RevokeReason, reason).SetProperty(v => v.RevokedSequence, sequence), cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        version.State = VersionStates.Revoked;
        version.RevokeReason = reason;
        version.RevokedSequence = sequence;
        version.UpdatedAt = now;
        revocations.Pulse();
        return version;
    }

    /// <summary>Takes a version out of service during an incident: back to quarantined (not downloadable, not approvable) until rejected or revoked.</summary>
    public async Task QuarantineAsync(Project project, RegistryArtifact artifact, ArtifactVersion version, Caller caller, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(caller);
        if (version.State is not (VersionStates.Released or VersionStates.PendingReview))
        {
            throw ApiException.Conflict($"a version in state {version.State} cannot be quarantined");
        }

        var now = Time.GetUtcNow();
        var previous = version.State;
        await InChangeAsync(async () =>
        {
            await MoveAsync(version.Id, previous, VersionStates.Quarantined, now, cancellationToken).ConfigureAwait(false);
            await ledger.RegistryEventAsync(version.Digest, "quarantined", project.Name, artifact.Name, version.Label, caller.Display, reason, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        version.State = VersionStates.Quarantined;
        version.UpdatedAt = now;
    }

    /// <summary>
    /// Runs a state change in one database transaction (or in the caller's, when one is open: an incident action
    /// that revokes commits both together). The change does its conditional UPDATE first, appends its ledger record
    /// second and commits last, so a lost race ends before anything reaches the ledger; a crash between the append
    /// and the commit leaves a record without its change, which <see cref="LedgerReconciler"/> completes at start.
    /// </summary>
    internal async Task InChangeAsync(Func<Task> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (db.Database.CurrentTransaction is not null)
        {
            await change().ConfigureAwait(false);
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await change().ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves a version from <paramref name="from"/> to <paramref name="to"/> in one conditional UPDATE, or throws 409
    /// when it is no longer in <paramref name="from"/>. In PostgreSQL a second mover waits for the first one's row lock
    /// and then matches 0 rows; in SQLite the transaction holds the write lock (BEGIN IMMEDIATE) from its start.
    /// </summary>
    private async Task MoveAsync(long versionId, string from, string to, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var changed = await db.Versions.Where(v => v.Id == versionId && v.State == from)
            .ExecuteUpdateAsync(s => s.SetProperty(v => v.State, to).SetProperty(v => v.UpdatedAt, now), cancellationToken).ConfigureAwait(false);
        if (changed == 0)
        {
            throw ApiException.Conflict("the version changed state meanwhile; reload it");
        }
    }

    /// <summary>The artifact row, created on first upload; a concurrent creator winning the unique index is read back.</summary>
    private async Task<RegistryArtifact> GetOrCreateArtifactAsync(long projectId, string name, string kind, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var artifact = await db.Artifacts.FirstOrDefaultAsync(a => a.ProjectId == projectId && a.Name == name, cancellationToken).ConfigureAwait(false);
            if (artifact is not null)
            {
                return artifact.Kind == kind ? artifact : throw ApiException.Conflict($"{name} is a {artifact.Kind}, not a {kind}");
            }

            artifact = new RegistryArtifact { ProjectId = projectId, Name = name, Kind = kind };
            db.Artifacts.Add(artifact);
            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                return artifact;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                db.Entry(artifact).State = EntityState.Detached;
            }
        }
    }

    private async Task EnsureVersionFreeAsync(long projectId, string artifactName, string kind, string label, CancellationToken cancellationToken)
    {
        var artifact = await db.Artifacts.FirstOrDefaultAsync(a => a.ProjectId == projectId && a.Name == artifactName, cancellationToken).ConfigureAwait(false);
        if (artifact is null)
        {
            return;
        }

        if (artifact.Kind != kind)
        {
            throw ApiException.Conflict($"{artifactName} is a {artifact.Kind}, not a {kind}");
        }

        if (await db.Versions.AnyAsync(v => v.ArtifactId == artifact.Id && v.Label == label, cancellationToken).ConfigureAwait(false))
        {
            throw ApiException.Conflict($"{artifactName} already has a version {label}");
        }
    }

    private string PartPath(string id) => Path.Combine(blobs.UploadDirectory, id + ".part");

    private string ReportPath(string id) => Path.Combine(blobs.UploadDirectory, id + ".report.json");

    /// <summary>A small attachment read whole, refused with 413 past <see cref="ServerOptions.MaxSmallBodyBytes"/>.</summary>
    private async Task<byte[]> ReadSmallAsync(Stream body, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return await Core.IO.BoundedFile.ReadAllAsync(body, what, options.MaxSmallBodyBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Core.IO.FileTooLargeException)
        {
            throw new ApiException(413, "too_large", $"a {what} file may hold at most {options.MaxSmallBodyBytes} bytes");
        }
    }
}
