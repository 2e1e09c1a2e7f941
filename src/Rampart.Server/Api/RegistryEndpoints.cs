using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;
using Rampart.Server.Registry;

namespace Rampart.Server.Api;

public sealed record CompleteRequest(string? Digest);

public sealed record DecisionRequest(string? Note);

public sealed record RevokeRequest(string? Reason);

/// <summary>A training run that produced a model registered in the project (clients/python: record_run).</summary>
public sealed record RunRequest(
    string? RunId,
    string? Model,
    string[]? Datasets,
    string? BaseModel,
    string? CodeRepository,
    string? CodeCommit,
    Dictionary<string, string>? Parameters,
    Dictionary<string, double>? Metrics,
    string? Builder);

/// <summary>Artifacts, versions, resumable uploads, decisions, downloads and the revocation list gateways poll.</summary>
internal static class RegistryEndpoints
{
    private const string OffsetHeader = "Upload-Offset";

    public static void Map(IEndpointRouteBuilder api)
    {
        const string Version = "/projects/{project}/artifacts/{artifact}/versions/{version}";
        api.Map("GET", "/projects/{project}/artifacts", Requires.In(Operation.Read), ArtifactsAsync);
        api.Map("GET", "/projects/{project}/artifacts/{artifact}/versions", Requires.In(Operation.Read), VersionsAsync);
        api.Map("GET", Version, Requires.In(Operation.Read), VersionAsync);
        api.Map("GET", Version + "/content", Requires.In(Operation.Read), DownloadAsync);
        api.Map("POST", Version + "/approve", Requires.In(Operation.Review), (HttpContext c, string artifact, string version, DecisionRequest r, RegistryService s, ServerDb db, CancellationToken t) => DecideAsync(c, artifact, version, r, s, db, true, t));
        api.Map("POST", Version + "/reject", Requires.In(Operation.Review), (HttpContext c, string artifact, string version, DecisionRequest r, RegistryService s, ServerDb db, CancellationToken t) => DecideAsync(c, artifact, version, r, s, db, false, t));
        api.Map("POST", Version + "/revoke", Requires.In(Operation.Revoke), RevokeAsync);
        api.Map("POST", "/projects/{project}/uploads", Requires.In(Operation.Push), CreateUploadAsync);
        api.Map("GET", "/projects/{project}/uploads/{upload}", Requires.In(Operation.Push), UploadStatusAsync);
        api.Map("PATCH", "/projects/{project}/uploads/{upload}", Requires.In(Operation.Push), AppendAsync);
        api.Map("PUT", "/projects/{project}/uploads/{upload}/signature", Requires.In(Operation.Push), (HttpContext c, string upload, RegistryService s, CancellationToken t) => AttachAsync(c, upload, "signature", s, t));
        api.Map("PUT", "/projects/{project}/uploads/{upload}/requirements", Requires.In(Operation.Push), (HttpContext c, string upload, RegistryService s, CancellationToken t) => AttachAsync(c, upload, "requirements", s, t));
        api.Map("PUT", "/projects/{project}/uploads/{upload}/report", Requires.In(Operation.Push), AttachReportAsync);
        api.Map("POST", "/projects/{project}/uploads/{upload}/complete", Requires.In(Operation.Push), CompleteAsync);
        api.Map("DELETE", "/projects/{project}/uploads/{upload}", Requires.In(Operation.Push), CancelAsync);
        api.Map("GET", "/projects/{project}/revocations", Requires.In(Operation.Read), RevocationsAsync);
        api.Map("POST", "/projects/{project}/runs", Requires.In(Operation.Push), RecordRunAsync);
    }

    private static async Task<IResult> ArtifactsAsync(HttpContext context, ServerDb db, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var rows = await db.Artifacts.Where(a => a.ProjectId == project.Id).OrderBy(a => a.Name)
            .Select(a => new { a.Name, a.Kind, versions = db.Versions.Count(v => v.ArtifactId == a.Id) }).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(rows);
    }

    private static async Task<IResult> VersionsAsync(HttpContext context, string artifact, long? after, int? limit, ServerDb db, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var row = await FindArtifactAsync(db, project, artifact, cancellationToken).ConfigureAwait(false);
        var from = after ?? 0;
        var versions = await db.Versions.Where(v => v.ArtifactId == row.Id && v.Id > from).OrderBy(v => v.Id).Take(Math.Clamp(limit ?? 100, 1, 1000)).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(versions.Select(v => Summary(row, v)));
    }

    private static async Task<IResult> VersionAsync(HttpContext context, string artifact, string version, ServerDb db, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var (row, v) = await FindVersionAsync(db, project, artifact, version, cancellationToken).ConfigureAwait(false);
        var approvals = await db.Approvals.Where(a => a.VersionId == v.Id).OrderBy(a => a.Id).Select(a => new { reviewer = a.ReviewerName, a.Decision, a.Note, a.At, ledgerSequence = a.LedgerSequence }).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(new
        {
            version = Summary(row, v),
            uploader = v.UploaderName,
            scan = v.ScanVerdict,
            signature = v.SignatureStatus,
            audit = v.AuditVerdict,
            reportDigest = v.ReportDigest,
            findings = ArtifactGate.FromJson(v.FindingsJson),
            approvals,
            revokeReason = v.RevokeReason,
        });
    }

    private static object Summary(RegistryArtifact artifact, ArtifactVersion v) =>
        new { id = v.Id, artifact = artifact.Name, kind = artifact.Kind, version = v.Label, v.Digest, v.Size, v.FileName, v.State, v.CreatedAt, v.UpdatedAt };

    /// <summary>Released versions only; the digest is re-checked before the first byte and again while streaming (a change aborts the response).</summary>
    private static async Task DownloadAsync(HttpContext context, string artifact, string version, ServerDb db, BlobStore blobs, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var (a, v) = await FindVersionAsync(db, project, artifact, version, cancellationToken).ConfigureAwait(false);
        if (a.Exercise)
        {
            throw ApiException.Conflict("this version belongs to a tabletop exercise; exercise versions are never downloadable");
        }

        if (v.State != VersionStates.Released)
        {
            throw ApiException.Conflict($"only released versions can be downloaded; this one is {v.State}");
        }

        try
        {
            await blobs.VerifyAsync(v.Digest, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobCorruptedException e)
        {
            throw new ApiException(500, "blob_corrupted", e.Message);
        }

        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = v.Size;
        context.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = v.FileName }.ToString();
        context.Response.Headers["X-Rampart-Digest"] = v.Digest;
        try
        {
            await blobs.CopyVerifiedAsync(v.Digest, context.Response.Body, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobCorruptedException)
        {
            context.Abort();
        }
    }

    private static async Task<IResult> DecideAsync(HttpContext context, string artifact, string version, DecisionRequest request, RegistryService registry, ServerDb db, bool approve, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var (row, v) = await FindVersionAsync(db, project, artifact, version, cancellationToken).ConfigureAwait(false);
        v = await registry.DecideAsync(project, row, v, Http.CallerOf(context), approve, request.Note, cancellationToken).ConfigureAwait(false);
        return Results.Json(Summary(row, v));
    }

    private static async Task<IResult> RevokeAsync(HttpContext context, string artifact, string version, RevokeRequest request, RegistryService registry, ServerDb db, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var (row, v) = await FindVersionAsync(db, project, artifact, version, cancellationToken).ConfigureAwait(false);
        v = await registry.RevokeAsync(project, row, v, Http.CallerOf(context), request.Reason, cancellationToken).ConfigureAwait(false);
        return Results.Json(Summary(row, v));
    }

    private static async Task<IResult> CreateUploadAsync(HttpContext context, UploadRequest request, RegistryService registry, CancellationToken cancellationToken)
    {
        var session = await registry.CreateUploadAsync(Http.ProjectOf(context), Http.CallerOf(context), request, cancellationToken).ConfigureAwait(false);
        return Results.Json(new { upload = session.Id, offset = 0, expiresAt = session.ExpiresAt }, statusCode: 201);
    }

    private static async Task<IResult> UploadStatusAsync(HttpContext context, string upload, RegistryService registry, CancellationToken cancellationToken)
    {
        var session = await registry.GetUploadAsync(Http.ProjectOf(context), Http.CallerOf(context), upload, cancellationToken).ConfigureAwait(false);
        var offset = registry.Offset(session);
        context.Response.Headers[OffsetHeader] = offset.ToString(CultureInfo.InvariantCulture);
        return Results.Json(new { upload = session.Id, offset, size = session.DeclaredSize, artifact = session.ArtifactName, version = session.Label, expiresAt = session.ExpiresAt });
    }

    /// <summary>PATCH with "Upload-Offset: N": appends the body at N, the number of bytes received so far (resume after a broken connection from GET's offset).</summary>
    private static async Task<IResult> AppendAsync(HttpContext context, string upload, RegistryService registry, CancellationToken cancellationToken)
    {
        var session = await registry.GetUploadAsync(Http.ProjectOf(context), Http.CallerOf(context), upload, cancellationToken).ConfigureAwait(false);
        if (!long.TryParse(context.Request.Headers[OffsetHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            throw ApiException.BadRequest($"a chunk needs the {OffsetHeader} header (the offset it starts at)");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // The registry enforces the version's own limit while streaming; Kestrel's small default is for JSON bodies.
            limit.MaxRequestBodySize = null;
        }

        var received = await registry.AppendAsync(session, offset, context.Request.Body, cancellationToken).ConfigureAwait(false);
        context.Response.Headers[OffsetHeader] = received.ToString(CultureInfo.InvariantCulture);
        return Results.Json(new { upload = session.Id, offset = received });
    }

    private static async Task<IResult> AttachAsync(HttpContext context, string upload, string what, RegistryService registry, CancellationToken cancellationToken)
    {
        var session = await registry.GetUploadAsync(Http.ProjectOf(context), Http.CallerOf(context), upload, cancellationToken).ConfigureAwait(false);
        var digest = await registry.AttachAsync(session, what, context.Request.Body, cancellationToken).ConfigureAwait(false);
        return Results.Json(new { upload = session.Id, attached = what, digest });
    }

    /// <summary>The client's own JSON scan report of the file (rampart scan --upload), checked for shape and kept until completion.</summary>
    private static async Task<IResult> AttachReportAsync(HttpContext context, string upload, RegistryService registry, CancellationToken cancellationToken)
    {
        var session = await registry.GetUploadAsync(Http.ProjectOf(context), Http.CallerOf(context), upload, cancellationToken).ConfigureAwait(false);
        var (digest, report) = await registry.AttachReportAsync(session, context.Request.Body, cancellationToken).ConfigureAwait(false);
        return Results.Json(new { upload = session.Id, attached = "report", digest, verdict = report.Verdict });
    }

    private static async Task<IResult> CompleteAsync(HttpContext context, string upload, CompleteRequest request, RegistryService registry, ServerDb db, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var caller = Http.CallerOf(context);
        var session = await registry.GetUploadAsync(project, caller, upload, cancellationToken).ConfigureAwait(false);
        var version = await registry.CompleteAsync(project, session, caller, request.Digest, cancellationToken).ConfigureAwait(false);
        var artifact = await db.Artifacts.FirstAsync(a => a.Id == version.ArtifactId, cancellationToken).ConfigureAwait(false);
        return Results.Json(Summary(artifact, version), statusCode: 201);
    }

    private static async Task<IResult> CancelAsync(HttpContext context, string upload, RegistryService registry, CancellationToken cancellationToken)
    {
        var session = await registry.GetUploadAsync(Http.ProjectOf(context), Http.CallerOf(context), upload, cancellationToken).ConfigureAwait(false);
        await registry.CancelUploadAsync(session, cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>
    /// The list gateways poll: revocations after ledger sequence <c>after</c>, oldest first, with <c>next</c> to send back.
    /// <c>wait</c> (seconds, at most 60) holds the request open until a revocation arrives (long poll).
    /// </summary>
    private static async Task<IResult> RevocationsAsync(HttpContext context, long? after, int? wait, ServerDb db, RevocationSignal signal, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var start = after ?? -1;
        var deadline = TimeSpan.FromSeconds(Math.Clamp(wait ?? 0, 0, 60));
        while (true)
        {
            var next = signal.Next;
            var rows = await (from v in db.Versions
                              join a in db.Artifacts on v.ArtifactId equals a.Id
                              where v.ProjectId == project.Id && v.RevokedSequence != null && v.RevokedSequence > start && !a.Exercise
                              orderby v.RevokedSequence
                              select new { sequence = v.RevokedSequence, digest = v.Digest, artifact = a.Name, version = v.Label, reason = v.RevokeReason, at = v.UpdatedAt })
                             .Take(1000).ToListAsync(cancellationToken).ConfigureAwait(false);
            if (rows.Count > 0 || deadline <= TimeSpan.Zero)
            {
                return Results.Json(new { project = project.Name, revocations = rows, next = rows.Count > 0 ? rows[^1].sequence : start });
            }

            var timeout = Task.Delay(deadline, cancellationToken);
            deadline = TimeSpan.Zero;
            await Task.WhenAny(next, timeout).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Records a training run in the ledger (kind training-run). The model it produced must be a version of this
    /// project, so a token scoped to one project cannot write lineage about another's models.
    /// </summary>
    private static async Task<IResult> RecordRunAsync(HttpContext context, RunRequest request, ServerDb db, ServerLedger ledger, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var caller = Http.CallerOf(context);
        const int MaxText = 2000, MaxEntries = 200;
        string?[] texts = [request.RunId, request.Model, request.BaseModel, request.CodeRepository, request.CodeCommit, request.Builder];
        if (string.IsNullOrWhiteSpace(request.RunId) || string.IsNullOrWhiteSpace(request.Model)
            || texts.Any(t => t is { Length: > MaxText } || t is not null && t.Any(char.IsControl))
            || (request.Datasets?.Length ?? 0) > MaxEntries || (request.Parameters?.Count ?? 0) > MaxEntries || (request.Metrics?.Count ?? 0) > MaxEntries
            || (request.Parameters ?? []).Any(p => p.Key.Length > MaxText || p.Value.Length > MaxText))
        {
            throw ApiException.BadRequest($"a run needs runId and model (a digest); texts hold at most {MaxText} characters and no control characters; at most {MaxEntries} datasets, parameters and metrics");
        }

        if (!await db.Versions.AnyAsync(v => v.ProjectId == project.Id && v.Digest == request.Model, cancellationToken).ConfigureAwait(false))
        {
            throw ApiException.NotFound("no version of this project has that model digest; push the model first");
        }

        Provenance.Records.ProvenanceRecord record;
        try
        {
            var builder = Provenance.Records.ProvenanceRecord.Create(Provenance.Records.RecordKinds.TrainingRun)
                .Set("run-id", request.RunId).Set("model", request.Model)
                .Set("builder", string.IsNullOrWhiteSpace(request.Builder) ? $"recorded by {caller.Display}" : $"{request.Builder} (recorded by {caller.Display})");
            foreach (var dataset in request.Datasets ?? [])
            {
                builder.Add("datasets", dataset);
            }

            foreach (var (field, value) in new[] { ("base-model", request.BaseModel), ("code-repository", request.CodeRepository), ("code-commit", request.CodeCommit) })
            {
                if (!string.IsNullOrWhiteSpace(value))
                {
                    builder.Set(field, value);
                }
            }

            foreach (var (key, value) in request.Parameters ?? [])
            {
                builder.Pair("parameters", key, value);
            }

            foreach (var (key, value) in request.Metrics ?? [])
            {
                builder.Pair("metrics", key, value.ToString("R", CultureInfo.InvariantCulture));
            }

            record = builder.Build();
        }
        catch (Provenance.ProvenanceException e)
        {
            throw ApiException.BadRequest(e.Message);
        }

        var sequence = await ledger.AppendAsync(record, cancellationToken).ConfigureAwait(false);
        return Results.Json(new { runId = request.RunId, model = request.Model, sequence }, statusCode: 201);
    }

    private static async Task<RegistryArtifact> FindArtifactAsync(ServerDb db, Project project, string artifact, CancellationToken cancellationToken) =>
        await db.Artifacts.FirstOrDefaultAsync(a => a.ProjectId == project.Id && a.Name == artifact, cancellationToken).ConfigureAwait(false)
        ?? throw ApiException.NotFound("no such artifact in this project");

    internal static async Task<(RegistryArtifact Artifact, ArtifactVersion Version)> FindVersionAsync(ServerDb db, Project project, string artifact, string version, CancellationToken cancellationToken)
    {
        var row = await FindArtifactAsync(db, project, artifact, cancellationToken).ConfigureAwait(false);
        var v = await db.Versions.FirstOrDefaultAsync(x => x.ArtifactId == row.Id && x.Label == version, cancellationToken).ConfigureAwait(false)
            ?? throw ApiException.NotFound("no such version");
        return (row, v);
    }
}
