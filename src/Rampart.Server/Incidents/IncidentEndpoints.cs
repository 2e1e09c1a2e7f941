using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Rampart.Provenance.Records;
using Rampart.Server.Api;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;
using Rampart.Server.Registry;

namespace Rampart.Server.Incidents;

public sealed record NewIncidentRequest(string? Type, string? Title, string? Severity, string[]? Subjects);

public sealed record AlarmRequest(string? Kind, string? Detail, string? Subject, string? Route);

/// <summary>An action taken from an incident: check a step, note, assign, quarantine/revoke a version, rotate a key.</summary>
public sealed record IncidentActionRequest(string? Action, string? Step, string? Text, string? Assignee, string? Artifact, string? Version, long? Key, string? NewKeyName, string? NewKeyPem);

public sealed record CloseRequest(string? Lessons);

public sealed class ChecklistItem
{
    public string Id { get; set; } = "";

    public string Text { get; set; } = "";

    public string? Action { get; set; }

    public bool Done { get; set; }

    public string? By { get; set; }

    public DateTimeOffset? At { get; set; }
}

/// <summary>Incidents: opened by hand or by an alarm, worked through the playbook's checklist, closed with lessons learned; each step is in the ledger.</summary>
internal static class IncidentEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder api)
    {
        api.Map("GET", "/playbooks", Requires.User, () => Results.Json(Playbooks.All.Values.OrderBy(p => p.Type, StringComparer.Ordinal)));
        api.Map("GET", "/projects/{project}/incidents", Requires.In(Operation.Incident), ListAsync);
        api.Map("POST", "/projects/{project}/incidents", Requires.In(Operation.Incident), OpenAsync);
        api.Map("POST", "/projects/{project}/alarms", Requires.In(Operation.Alarm), AlarmAsync);
        api.Map("GET", "/projects/{project}/incidents/{incident}", Requires.In(Operation.Incident), GetAsync);
        api.Map("POST", "/projects/{project}/incidents/{incident}/actions", Requires.In(Operation.Incident), ActAsync);
        api.Map("POST", "/projects/{project}/incidents/{incident}/close", Requires.In(Operation.Incident), CloseAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext context, ServerDb db, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var rows = await db.Incidents.Where(i => i.ProjectId == project.Id).OrderByDescending(i => i.Id).Take(500)
            .Select(i => new { id = i.Id, i.Type, i.Title, i.Severity, i.State, i.Source, i.Assignee, i.OpenedAt, i.ClosedAt }).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(rows);
    }

    private static Task<IResult> OpenAsync(HttpContext context, NewIncidentRequest request, ServerDb db, ServerLedger ledger, BlobStore blobs, TimeProvider time, CancellationToken cancellationToken) =>
        OpenIncidentAsync(context, request, "manual", db, ledger, blobs, time, cancellationToken);

    /// <summary>A gateway alarm (extraction, injection, drift, leak) opens an incident with the playbook that lists the alarm kind.</summary>
    private static Task<IResult> AlarmAsync(HttpContext context, AlarmRequest request, ServerDb db, ServerLedger ledger, BlobStore blobs, TimeProvider time, CancellationToken cancellationToken)
    {
        var playbook = request.Kind is null ? null : Playbooks.ForAlarm(request.Kind);
        if (playbook is null)
        {
            throw ApiException.BadRequest($"alarm kinds are {string.Join(", ", Playbooks.All.Values.SelectMany(p => p.Alarms).Order(StringComparer.Ordinal))}");
        }

        var title = $"{request.Kind} alarm" + (request.Route is null ? "" : $" on route {request.Route}") + (request.Detail is null ? "" : $": {request.Detail}");
        return OpenIncidentAsync(context, new NewIncidentRequest(playbook.Type, title, null, request.Subject is null ? null : [request.Subject]), "alarm", db, ledger, blobs, time, cancellationToken);
    }

    private static async Task<IResult> OpenIncidentAsync(HttpContext context, NewIncidentRequest request, string source, ServerDb db, ServerLedger ledger, BlobStore blobs, TimeProvider time, CancellationToken cancellationToken)
    {
        var incident = await StartIncidentAsync(context, request, source, db, ledger, blobs, time, cancellationToken).ConfigureAwait(false);
        return Results.Json(await ViewAsync(db, incident, cancellationToken).ConfigureAwait(false), statusCode: 201);
    }

    /// <summary>Opens an incident in the access-checked project of <paramref name="context"/> (the API and the dashboard).</summary>
    internal static async Task<Incident> StartIncidentAsync(HttpContext context, NewIncidentRequest request, string source, ServerDb db, ServerLedger ledger, BlobStore blobs, TimeProvider time, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var caller = Http.CallerOf(context);
        if (request.Type is null || !Playbooks.All.TryGetValue(request.Type, out var playbook))
        {
            throw ApiException.BadRequest($"type must be one of {string.Join(", ", Playbooks.All.Keys.Order(StringComparer.Ordinal))}");
        }

        if (request.Title is not { Length: > 0 and <= 500 })
        {
            throw ApiException.BadRequest("an incident needs a title of at most 500 characters");
        }

        var subjects = request.Subjects ?? [];
        if (subjects.Length > 100 || subjects.Any(s => !BlobStore.IsDigest(s)))
        {
            throw ApiException.BadRequest("subjects are artifact digests (sha256:<64 hex>), at most 100");
        }

        var severity = request.Severity ?? playbook.Severity;
        if (severity is not ("low" or "medium" or "high" or "critical"))
        {
            throw ApiException.BadRequest("severity is low, medium, high or critical");
        }

        var now = time.GetUtcNow();
        var incident = new Incident
        {
            ProjectId = project.Id,
            Type = playbook.Type,
            Title = request.Title,
            Severity = severity,
            State = "open",
            Source = source,
            OpenedBy = caller.Display,
            Subjects = string.Join(',', subjects),
            ChecklistJson = JsonSerializer.Serialize(playbook.Steps.Select(s => new ChecklistItem { Id = s.Id, Text = s.Text, Action = s.Action }), Json),
            OpenedAt = now,
        };

        // An incident about a running tabletop exercise's version belongs to that exercise (scored there, marked in the ledger).
        incident.TabletopRunId = subjects.Length == 0 ? null : await (
            from v in db.Versions
            join a in db.Artifacts on v.ArtifactId equals a.Id
            join r in db.TabletopRuns on a.Id equals r.ArtifactId
            where v.ProjectId == project.Id && a.Exercise && r.State == "running" && subjects.Contains(v.Digest)
            select (long?)r.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        db.Incidents.Add(incident);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);

        // The incident record names its subjects; an incident about no artifact yet is about its own opening statement, kept as a blob.
        var ledgerSubjects = subjects.Length > 0 ? subjects
            : [await blobs.PutAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { project = project.Name, incident = incident.Id, incident.Type, incident.Title, openedBy = caller.Display, at = now }, Json)), cancellationToken).ConfigureAwait(false)];
        incident.RecordSubject = ledgerSubjects[0];
        var record = ProvenanceRecord.Create(RecordKinds.Incident).Set("summary", $"{ExercisePrefix(incident)}{project.Name} incident {incident.Id} ({playbook.Type}, {source}): {incident.Title}").Set("severity", severity);
        foreach (var subject in ledgerSubjects)
        {
            record.Add("subjects", subject);
        }

        var sequence = await ledger.AppendAsync(record.Build(), cancellationToken).ConfigureAwait(false);
        await AddEventAsync(db, incident, caller.Display, "opened", $"opened ({source}) with playbook {playbook.Type}", sequence, time, cancellationToken).ConfigureAwait(false);
        return incident;
    }

    private static async Task<IResult> GetAsync(HttpContext context, long incident, ServerDb db, CancellationToken cancellationToken)
    {
        var row = await FindAsync(context, db, incident, cancellationToken).ConfigureAwait(false);
        return Results.Json(await ViewAsync(db, row, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> ActAsync(HttpContext context, long incident, IncidentActionRequest request, ServerDb db, ServerLedger ledger, RegistryService registry, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var row = await ActOnAsync(context, incident, request, db, ledger, registry, audit, time, cancellationToken).ConfigureAwait(false);
        return Results.Json(await ViewAsync(db, row, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Takes an action from an incident (the API and the dashboard): checklist step, note, assignment, quarantine, revocation, key rotation.</summary>
    internal static async Task<Incident> ActOnAsync(HttpContext context, long incident, IncidentActionRequest request, ServerDb db, ServerLedger ledger, RegistryService registry, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var caller = Http.CallerOf(context);
        var row = await FindAsync(context, db, incident, cancellationToken).ConfigureAwait(false);
        if (row.State != "open")
        {
            throw ApiException.Conflict("this incident is closed");
        }

        // The whole action is one transaction: the incident row moves from what this action read (checklist, assignee,
        // open) to what it writes, or 409; then any registry change, the ledger record, the timeline entry; then commit.
        // A concurrent action that won adds its record; this one adds none.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var readChecklist = row.ChecklistJson;
        var readAssignee = row.Assignee;
        var checklist = JsonSerializer.Deserialize<List<ChecklistItem>>(row.ChecklistJson, Json) ?? [];
        string text;
        string? digest = null;
        switch (request.Action)
        {
            case "step":
            {
                var item = checklist.FirstOrDefault(s => s.Id == request.Step) ?? throw ApiException.BadRequest("no such step in this incident's checklist");
                item.Done = true;
                item.By = caller.Display;
                item.At = time.GetUtcNow();
                text = $"step '{item.Id}' done" + (request.Text is null ? "" : $": {Clip(request.Text)}");
                break;
            }

            case "note":
                text = request.Text is { Length: > 0 } note ? Clip(note) : throw ApiException.BadRequest("a note needs text");
                break;
            case "assign":
                if (request.Assignee is null || !await db.Users.AnyAsync(u => u.UserName == request.Assignee, cancellationToken).ConfigureAwait(false))
                {
                    throw ApiException.BadRequest("assign to an existing user name");
                }

                row.Assignee = request.Assignee;
                text = $"assigned to {request.Assignee}";
                break;
            case "quarantine":
            case "revoke":
            {
                await ClaimAsync(db, row, readChecklist, readAssignee, cancellationToken).ConfigureAwait(false);
                var (artifact, version) = await FindVersionAsync(db, project, request.Artifact, request.Version, cancellationToken).ConfigureAwait(false);
                if (artifact.Exercise != row.TabletopRunId.HasValue)
                {
                    throw ApiException.Conflict("an exercise incident acts on exercise versions only, and a real incident on real versions only");
                }

                if (request.Action == "revoke")
                {
                    await registry.RevokeAsync(project, artifact, version, caller, $"incident {row.Id}: {Clip(request.Text ?? row.Title)}", cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await registry.QuarantineAsync(project, artifact, version, caller, $"incident {row.Id}", cancellationToken).ConfigureAwait(false);
                }

                digest = version.Digest;
                text = $"{request.Action} {artifact.Name}@{version.Label}";
                break;
            }

            case "rotate-keys":
            {
                var key = await db.TrustedKeys.FirstOrDefaultAsync(k => k.Id == request.Key && k.ProjectId == project.Id, cancellationToken).ConfigureAwait(false)
                    ?? throw ApiException.BadRequest("name the trusted key to retire (key: its id)");
                if (request.NewKeyPem is not null && (!Names.IsName(request.NewKeyName) || !Http.IsEcPublicKey(request.NewKeyPem)))
                {
                    throw ApiException.BadRequest("the new key needs a name and an ECDSA public key in PEM");
                }

                if (row.TabletopRunId is not null)
                {
                    // An exercise rehearses the rotation: recorded and scored, but the project's real keys stay as they are.
                    text = $"rotation rehearsed: would retire key '{key.Name}'" + (request.NewKeyPem is null ? "" : $" and trust new key '{request.NewKeyName}'");
                    break;
                }

                key.RetiredAt ??= time.GetUtcNow();
                text = $"retired key '{key.Name}'";
                if (request.NewKeyPem is not null)
                {
                    db.TrustedKeys.Add(new TrustedKey { ProjectId = project.Id, Name = request.NewKeyName!, Pem = request.NewKeyPem, AddedAt = time.GetUtcNow() });
                    text += $", trusted new key '{request.NewKeyName}'";
                }

                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                await audit.WriteAsync(db, context, caller.Display, "key.rotated", project.Name, $"incident {row.Id}: {text}", cancellationToken).ConfigureAwait(false);
                break;
            }

            default:
                throw ApiException.BadRequest("action is step, note, assign, quarantine, revoke or rotate-keys");
        }

        row.ChecklistJson = JsonSerializer.Serialize(checklist, Json);
        if (request.Action is not ("quarantine" or "revoke"))
        {
            await ClaimAsync(db, row, readChecklist, readAssignee, cancellationToken).ConfigureAwait(false);
        }

        var sequence = await ledger.RegistryEventAsync(digest ?? row.RecordSubject, "incident-action", project.Name, null, null, caller.Display, $"{ExercisePrefix(row)}incident {row.Id}: {text}", cancellationToken).ConfigureAwait(false);
        await AddEventAsync(db, row, caller.Display, request.Action!, text, sequence, time, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return row;
    }

    /// <summary>
    /// Writes the incident's checklist and assignee in one conditional UPDATE from the values this action read (still
    /// open), or throws 409: two people ticking steps at once never lose one tick, nor record an action twice.
    /// </summary>
    private static async Task ClaimAsync(ServerDb db, Incident row, string readChecklist, string? readAssignee, CancellationToken cancellationToken)
    {
        var checklist = row.ChecklistJson;
        var assignee = row.Assignee;
        var changed = await db.Incidents.Where(i => i.Id == row.Id && i.State == "open" && i.ChecklistJson == readChecklist && i.Assignee == readAssignee)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.ChecklistJson, checklist).SetProperty(i => i.Assignee, assignee), cancellationToken).ConfigureAwait(false);
        if (changed == 0)
        {
            throw ApiException.Conflict("the incident changed meanwhile (another action or its closing); reload it");
        }
    }

    private static async Task<IResult> CloseAsync(HttpContext context, long incident, CloseRequest request, ServerDb db, ServerLedger ledger, TimeProvider time, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var caller = Http.CallerOf(context);
        var row = await FindAsync(context, db, incident, cancellationToken).ConfigureAwait(false);
        if (row.State != "open")
        {
            throw ApiException.Conflict("this incident is already closed");
        }

        if (request.Lessons is not { Length: > 0 and <= 10_000 })
        {
            throw ApiException.BadRequest("closing needs a review: lessons learned (at most 10,000 characters)");
        }

        var checklist = JsonSerializer.Deserialize<List<ChecklistItem>>(row.ChecklistJson, Json) ?? [];
        var open = checklist.Where(s => !s.Done).Select(s => s.Id).ToList();
        var closedAt = time.GetUtcNow();
        var lessons = request.Lessons;
        var readChecklist = row.ChecklistJson;

        // Closed from the checklist this review read, in one transaction with its record (a concurrent close or step gets 409 and adds none).
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var changed = await db.Incidents.Where(i => i.Id == row.Id && i.State == "open" && i.ChecklistJson == readChecklist)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.State, "closed").SetProperty(i => i.ClosedAt, closedAt).SetProperty(i => i.LessonsLearned, lessons), cancellationToken).ConfigureAwait(false);
        if (changed == 0)
        {
            throw ApiException.Conflict("the incident changed meanwhile (closed, or a step was ticked); reload it");
        }

        row.State = "closed";
        row.ClosedAt = closedAt;
        row.LessonsLearned = lessons;
        var sequence = await ledger.RegistryEventAsync(row.RecordSubject, "incident-closed", project.Name, null, null, caller.Display,
            $"{ExercisePrefix(row)}incident {row.Id} closed; steps not done: {(open.Count == 0 ? "none" : string.Join(", ", open))}", cancellationToken).ConfigureAwait(false);
        await AddEventAsync(db, row, caller.Display, "closed", "closed with review" + (open.Count == 0 ? "" : $" (steps not done: {string.Join(", ", open)})"), sequence, time, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(await ViewAsync(db, row, cancellationToken).ConfigureAwait(false));
    }

    private static async Task AddEventAsync(ServerDb db, Incident incident, string actor, string kind, string text, long sequence, TimeProvider time, CancellationToken cancellationToken)
    {
        db.IncidentEvents.Add(new IncidentEvent { IncidentId = incident.Id, At = time.GetUtcNow(), Actor = actor, Kind = kind, Text = text, LedgerSequence = sequence });
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object> ViewAsync(ServerDb db, Incident incident, CancellationToken cancellationToken)
    {
        var timeline = await db.IncidentEvents.Where(e => e.IncidentId == incident.Id).OrderBy(e => e.Id)
            .Select(e => new { e.At, e.Actor, e.Kind, e.Text, ledgerSequence = e.LedgerSequence }).ToListAsync(cancellationToken).ConfigureAwait(false);
        return new
        {
            id = incident.Id,
            incident.Type,
            incident.Title,
            incident.Severity,
            incident.State,
            incident.Source,
            incident.OpenedBy,
            incident.Assignee,
            subjects = incident.Subjects.Split(',', StringSplitOptions.RemoveEmptyEntries),
            checklist = JsonSerializer.Deserialize<List<ChecklistItem>>(incident.ChecklistJson, Json),
            incident.LessonsLearned,
            incident.OpenedAt,
            incident.ClosedAt,
            exerciseRun = incident.TabletopRunId,
            timeline,
        };
    }

    /// <summary>The incident's playbook checklist with what was done, by whom and when.</summary>
    internal static List<ChecklistItem> ChecklistOf(Incident incident) => JsonSerializer.Deserialize<List<ChecklistItem>>(incident.ChecklistJson, Json) ?? [];

    private static async Task<Incident> FindAsync(HttpContext context, ServerDb db, long id, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        return await db.Incidents.FirstOrDefaultAsync(i => i.Id == id && i.ProjectId == project.Id, cancellationToken).ConfigureAwait(false)
            ?? throw ApiException.NotFound("no such incident in this project");
    }

    private static async Task<(RegistryArtifact, ArtifactVersion)> FindVersionAsync(ServerDb db, Project project, string? artifact, string? version, CancellationToken cancellationToken)
    {
        var a = await db.Artifacts.FirstOrDefaultAsync(x => x.ProjectId == project.Id && x.Name == artifact, cancellationToken).ConfigureAwait(false) ?? throw ApiException.BadRequest("name an artifact of this project");
        var v = await db.Versions.FirstOrDefaultAsync(x => x.ArtifactId == a.Id && x.Label == version, cancellationToken).ConfigureAwait(false) ?? throw ApiException.BadRequest("name a version of that artifact");
        return (a, v);
    }

    /// <summary>How an exercise incident's ledger records begin ("exercise run 4: "), so they never read as real ones.</summary>
    private static string ExercisePrefix(Incident incident) => incident.TabletopRunId is { } run ? $"exercise run {run}: " : "";

    private static string Clip(string text) => text.Length <= 2000 ? text : text[..2000];
}
