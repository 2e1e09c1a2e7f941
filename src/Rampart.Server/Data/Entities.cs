using Microsoft.AspNetCore.Identity;

namespace Rampart.Server.Data;

/// <summary>A local account. Passwords are hashed by ASP.NET Core Identity (PBKDF2); the TOTP secret is stored encrypted with the server's data-protection keys.</summary>
public sealed class ServerUser : IdentityUser
{
    /// <summary>Server administrator: creates users and projects and holds the admin role on every project.</summary>
    public bool IsServerAdmin { get; set; }

    /// <summary>The TOTP secret, protected (null until enrolment starts).</summary>
    public string? TotpSecretProtected { get; set; }

    /// <summary>Whether enrolment was confirmed with a valid code; from then on every login needs a code.</summary>
    public bool TotpEnabled { get; set; }

    /// <summary>The last 30-second step a code was accepted for: a code is never accepted twice (replay).</summary>
    public long TotpLastStep { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class Project
{
    public long Id { get; set; }

    public string Name { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class Membership
{
    public long Id { get; set; }

    public long ProjectId { get; set; }

    public string UserId { get; set; } = "";

    /// <summary>viewer, data-scientist, security-reviewer or admin (<see cref="Identity.ProjectRoles"/>).</summary>
    public string Role { get; set; } = "";
}

/// <summary>A public key the project trusts to sign its models (PEM, SubjectPublicKeyInfo).</summary>
public sealed class TrustedKey
{
    public long Id { get; set; }

    public long ProjectId { get; set; }

    public string Name { get; set; } = "";

    public string Pem { get; set; } = "";

    public DateTimeOffset AddedAt { get; set; }

    /// <summary>When the key was retired (key rotation during an incident); retired keys verify nothing new.</summary>
    public DateTimeOffset? RetiredAt { get; set; }
}

/// <summary>A model or dataset in a project; its versions hold the bytes.</summary>
public sealed class RegistryArtifact
{
    public long Id { get; set; }

    public long ProjectId { get; set; }

    public string Name { get; set; } = "";

    /// <summary>model or dataset.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Made by a tabletop exercise (docs/server.md#tabletop-exercises): never downloadable, never on the revocation list.</summary>
    public bool Exercise { get; set; }
}

public sealed class ArtifactVersion
{
    public long Id { get; set; }

    public long ArtifactId { get; set; }

    public long ProjectId { get; set; }

    public string Label { get; set; } = "";

    /// <summary>sha256:... of the bytes, also the blob's address.</summary>
    public string Digest { get; set; } = "";

    public long Size { get; set; }

    public string FileName { get; set; } = "";

    /// <summary><see cref="Registry.VersionStates"/>.</summary>
    public string State { get; set; } = "";

    public string UploaderId { get; set; } = "";

    public string UploaderName { get; set; } = "";

    public string? SignatureDigest { get; set; }

    public string? RequirementsDigest { get; set; }

    /// <summary>clean, needs-review, malicious, inconclusive (the scanner's verdict).</summary>
    public string? ScanVerdict { get; set; }

    /// <summary>verified, failed, unsigned, not-required.</summary>
    public string? SignatureStatus { get; set; }

    /// <summary>clean, needs-review, malicious, inconclusive or none (no requirements attached).</summary>
    public string? AuditVerdict { get; set; }

    /// <summary>The gate's findings as JSON (rule, severity, message, path), capped.</summary>
    public string? FindingsJson { get; set; }

    /// <summary>Digest of the full JSON scan report (kept in the blob store).</summary>
    public string? ReportDigest { get; set; }

    public string? RevokeReason { get; set; }

    /// <summary>The ledger sequence number of the revocation record, the order gateways read revocations in.</summary>
    public long? RevokedSequence { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class Approval
{
    public long Id { get; set; }

    public long VersionId { get; set; }

    public string ReviewerId { get; set; } = "";

    public string ReviewerName { get; set; } = "";

    /// <summary>approved or rejected.</summary>
    public string Decision { get; set; } = "";

    public string? Note { get; set; }

    /// <summary>The ledger entry written before this row (no approval without its record).</summary>
    public long LedgerSequence { get; set; }

    public DateTimeOffset At { get; set; }
}

/// <summary>A resumable upload: bytes go to uploads/{Id}.part, appended at the offset the client names.</summary>
public sealed class UploadSession
{
    public string Id { get; set; } = "";

    public long ProjectId { get; set; }

    public string ArtifactName { get; set; } = "";

    public string Kind { get; set; } = "";

    public string Label { get; set; } = "";

    public string FileName { get; set; } = "";

    public long? DeclaredSize { get; set; }

    public string UploaderId { get; set; } = "";

    public string? SignatureDigest { get; set; }

    public string? RequirementsDigest { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>An API token for CI and scripts: only the SHA-256 of its secret is stored.</summary>
public sealed class ApiToken
{
    /// <summary>The public prefix (rmp_ + 12 hex), shown in lists and audit entries.</summary>
    public string Id { get; set; } = "";

    public string SecretHash { get; set; } = "";

    public string UserId { get; set; } = "";

    public string Name { get; set; } = "";

    public long ProjectId { get; set; }

    /// <summary>Comma-separated <see cref="Identity.Operation"/> names.</summary>
    public string Operations { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>Security audit: logins, token use, permission changes (state changes of artifacts go to the ledger).</summary>
public sealed class AuditEvent
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    public string Actor { get; set; } = "";

    public string Action { get; set; } = "";

    public string? Project { get; set; }

    public string? Detail { get; set; }

    public string? Address { get; set; }
}

public sealed class Incident
{
    public long Id { get; set; }

    public long ProjectId { get; set; }

    public string Type { get; set; } = "";

    public string Title { get; set; } = "";

    public string Severity { get; set; } = "";

    /// <summary>open or closed.</summary>
    public string State { get; set; } = "";

    /// <summary>manual, alarm or tabletop.</summary>
    public string Source { get; set; } = "";

    public string OpenedBy { get; set; } = "";

    public string? Assignee { get; set; }

    /// <summary>Digests of the versions concerned.</summary>
    public string Subjects { get; set; } = "";

    /// <summary>The subject of the incident's ledger records: its first artifact, else the digest of its opening statement (kept as a blob).</summary>
    public string RecordSubject { get; set; } = "";

    /// <summary>The playbook's checklist as JSON: steps with done/by/at.</summary>
    public string ChecklistJson { get; set; } = "[]";

    public string? LessonsLearned { get; set; }

    public DateTimeOffset OpenedAt { get; set; }

    public DateTimeOffset? ClosedAt { get; set; }

    /// <summary>The tabletop run this incident belongs to (an exercise), or null for a real incident.</summary>
    public long? TabletopRunId { get; set; }
}

/// <summary>A tabletop exercise: a scripted scenario played against the registry and scored (Incidents/Tabletop.cs).</summary>
public sealed class TabletopRun
{
    public long Id { get; set; }

    public long ProjectId { get; set; }

    public string Scenario { get; set; } = "";

    public string StartedBy { get; set; } = "";

    /// <summary>The exercise artifact its injected versions belong to.</summary>
    public long ArtifactId { get; set; }

    /// <summary>The subject of the run's ledger records: the digest of its opening statement (kept as a blob).</summary>
    public string RecordSubject { get; set; } = "";

    /// <summary>The last step injected (1-based).</summary>
    public int Step { get; set; }

    /// <summary>Ledger sequence of each step's "exercise-step" record, comma-separated, step 1 first.</summary>
    public string StepSequences { get; set; } = "";

    /// <summary>running or finished.</summary>
    public string State { get; set; } = "";

    public int? Score { get; set; }

    /// <summary>The final scoring as JSON, kept when the run finishes.</summary>
    public string? ResultJson { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}

public sealed class IncidentEvent
{
    public long Id { get; set; }

    public long IncidentId { get; set; }

    public DateTimeOffset At { get; set; }

    public string Actor { get; set; } = "";

    /// <summary>opened, assigned, step, action, note, closed.</summary>
    public string Kind { get; set; } = "";

    public string Text { get; set; } = "";

    public long? LedgerSequence { get; set; }
}
