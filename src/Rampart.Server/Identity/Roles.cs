using System.Collections.Frozen;

namespace Rampart.Server.Identity;

/// <summary>What a caller wants to do inside a project.</summary>
public enum Operation
{
    /// <summary>List and read metadata, download released versions, read the revocation list.</summary>
    Read,

    /// <summary>Upload new versions (and attach signatures and requirement files).</summary>
    Push,

    /// <summary>Approve or reject a quarantined version.</summary>
    Review,

    /// <summary>Revoke a version.</summary>
    Revoke,

    /// <summary>Open, act on and close incidents.</summary>
    Incident,

    /// <summary>Raise an alarm (gateways): opens an incident from the alarm's playbook.</summary>
    Alarm,

    /// <summary>Members, trusted keys and the project's settings.</summary>
    Manage,

    /// <summary>Send gateway events and red-team reports (gateways, CI): data the dashboard shows.</summary>
    Report,
}

/// <summary>The four project roles and what each may do. Reviewer and admin operations also need a session that passed TOTP.</summary>
public static class ProjectRoles
{
    public const string Viewer = "viewer";
    public const string DataScientist = "data-scientist";
    public const string SecurityReviewer = "security-reviewer";
    public const string Admin = "admin";

    /// <summary>Operations per role.</summary>
    public static readonly FrozenDictionary<string, FrozenSet<Operation>> Grants = new Dictionary<string, FrozenSet<Operation>>(StringComparer.Ordinal)
    {
        [Viewer] = new[] { Operation.Read, Operation.Alarm }.ToFrozenSet(),
        [DataScientist] = new[] { Operation.Read, Operation.Alarm, Operation.Push, Operation.Report }.ToFrozenSet(),
        [SecurityReviewer] = new[] { Operation.Read, Operation.Alarm, Operation.Review, Operation.Revoke, Operation.Incident, Operation.Report }.ToFrozenSet(),
        [Admin] = Enum.GetValues<Operation>().ToFrozenSet(),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Roles whose holders must enrol TOTP and pass it at login.</summary>
    public static bool NeedsMfa(string role) => role is SecurityReviewer or Admin;

    /// <summary>Operations that only a session with MFA (or a token of a user with MFA) may perform.</summary>
    public static bool IsPrivileged(Operation operation) => operation is Operation.Review or Operation.Revoke or Operation.Incident or Operation.Manage;

    public static bool IsRole(string? role) => role is not null && Grants.ContainsKey(role);
}
