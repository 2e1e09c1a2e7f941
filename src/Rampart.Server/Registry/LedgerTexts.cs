namespace Rampart.Server.Registry;

/// <summary>
/// How registry facts are written into ledger text fields, and read back by the start-up reconciler: one place for
/// both directions, so a change of wording cannot break reconciliation silently. Names cannot hold '/', '@' or
/// spaces (<see cref="Names"/>), which keeps these forms unambiguous.
/// </summary>
internal static class LedgerTexts
{
    /// <summary>"project/artifact@version".</summary>
    public static string Scope(string project, string artifact, string version) => $"{project}/{artifact}@{version}";

    public static (string Project, string Artifact, string Version)? ParseScope(string? scope)
    {
        var slash = scope?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        var at = scope?.LastIndexOf('@') ?? -1;
        return slash <= 0 || at <= slash + 1 || at == scope!.Length - 1 ? null : (scope[..slash], scope[(slash + 1)..at], scope[(at + 1)..]);
    }

    /// <summary>An approval's note: "reviewer=ACTOR" and "; NOTE" when the reviewer wrote one.</summary>
    public static string ReviewerNote(string actor, string? note) => $"reviewer={actor}" + (string.IsNullOrWhiteSpace(note) ? "" : "; " + note);

    public static (string Actor, string? Note) ParseReviewerNote(string? text)
    {
        text ??= "";
        var separator = text.IndexOf("; ", StringComparison.Ordinal);
        var actor = (separator < 0 ? text : text[..separator]).Replace("reviewer=", "", StringComparison.Ordinal);
        return (actor, separator < 0 ? null : text[(separator + 2)..]);
    }

    /// <summary>A revocation's reason: "REASON (by ACTOR, SCOPE)".</summary>
    public static string RevocationReason(string reason, string actor, string scope) => $"{reason} (by {actor}, {scope})";

    public static (string Reason, string Scope)? ParseRevocationReason(string? text)
    {
        var by = text?.LastIndexOf(" (by ", StringComparison.Ordinal) ?? -1;
        var comma = text?.LastIndexOf(", ", StringComparison.Ordinal) ?? -1;
        return by < 0 || comma < by || !text!.EndsWith(')') ? null : (text[..by], text[(comma + 2)..^1]);
    }

    /// <summary>The user name inside an actor text ("NAME" or "NAME (token ID)", <see cref="Identity.Caller.Display"/>).</summary>
    public static string UserName(string actor) => actor.Split(" (token ", 2)[0];
}
