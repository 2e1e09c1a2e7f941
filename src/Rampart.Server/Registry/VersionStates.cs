namespace Rampart.Server.Registry;

/// <summary>
/// The life of a version: scanning (quarantined, gate not finished) → quarantined (the gate found something: it
/// stays here with its findings until rejected) or pending-review (gate passed) → released (approved by someone
/// other than the uploader) or rejected; any version can be revoked.
/// </summary>
public static class VersionStates
{
    public const string Scanning = "scanning";
    public const string Quarantined = "quarantined";
    public const string PendingReview = "pending-review";
    public const string Released = "released";
    public const string Rejected = "rejected";
    public const string Revoked = "revoked";
}
