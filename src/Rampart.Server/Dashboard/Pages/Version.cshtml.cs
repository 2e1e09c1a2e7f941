using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Rampart.Core.IO;
using Rampart.Core.Rules;
using Rampart.Server.Api;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;
using Rampart.Server.Registry;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>One artifact of the scan report as the AI-BOM lists it: path, formats and the facts the analyzers read.</summary>
public sealed record BomEntry(string Path, IReadOnlyList<string> Formats, IReadOnlyList<(string Key, string Value)> Facts);

/// <summary>
/// A version: state, gate verdicts, findings grouped by severity with each rule's explanation, signature state,
/// AI-BOM facts from the stored scan report, the decisions so far, and the approve/reject/revoke forms, which go
/// through <see cref="RegistryService"/> (two-person rule, states, ledger first) exactly as the API's endpoints do.
/// </summary>
[DashboardAccess(AccessLevel.Project, Operation.Read)]
public sealed class VersionModel(ServerDb db, RegistryService registry, BlobStore blobs, ServerLedger ledger) : DashboardPage
{
    private const long MaxReportBytes = 8 << 20;

    public RegistryArtifact Artifact { get; private set; } = null!;

    public ArtifactVersion Version { get; private set; } = null!;

    public IReadOnlyList<IGrouping<string, GateFinding>> FindingsBySeverity { get; private set; } = [];

    public IReadOnlyList<Approval> Approvals { get; private set; } = [];

    public IReadOnlyList<BomEntry> Bom { get; private set; } = [];

    public string? BomProblem { get; private set; }

    public string? Done { get; private set; }

    /// <summary>The version's lineage from the ledger, drawn as SVG (null when the ledger could not be read).</summary>
    public string? LineageSvg { get; private set; }

    /// <summary>The rule behind a finding id, when the scanner's catalog knows it.</summary>
    public static RuleDefinition? Rule(string id) => Scanning.AnalyzerRegistry.Rules.TryGet(id, out var rule) ? rule : null;

    public Task<IActionResult> OnGetAsync(string artifact, string version, string? done, CancellationToken cancellationToken) => ActAsync(async () =>
    {
        Done = done switch { "approved" => "Approved: the version is released.", "rejected" => "Rejected.", "revoked" => "Revoked: gateways polling the revocation list will refuse it.", _ => null };
        await LoadAsync(artifact, version, cancellationToken).ConfigureAwait(false);
        return Page();
    });

    [DashboardAccess(AccessLevel.Project, Operation.Review)]
    public Task<IActionResult> OnPostDecideAsync(string artifact, string version, string? decision, string? note, CancellationToken cancellationToken) => ActAsync(async () =>
    {
        if (decision is not ("approve" or "reject"))
        {
            throw ApiException.BadRequest("decision is approve or reject");
        }

        var (row, v) = await RegistryEndpoints.FindVersionAsync(db, Project, artifact, version, cancellationToken).ConfigureAwait(false);
        await registry.DecideAsync(Project, row, v, Caller, decision == "approve", string.IsNullOrWhiteSpace(note) ? null : note, cancellationToken).ConfigureAwait(false);
        return RedirectToSelf(artifact, version, decision == "approve" ? "approved" : "rejected");
    });

    [DashboardAccess(AccessLevel.Project, Operation.Revoke)]
    public Task<IActionResult> OnPostRevokeAsync(string artifact, string version, string? reason, CancellationToken cancellationToken) => ActAsync(async () =>
    {
        var (row, v) = await RegistryEndpoints.FindVersionAsync(db, Project, artifact, version, cancellationToken).ConfigureAwait(false);
        await registry.RevokeAsync(Project, row, v, Caller, reason, cancellationToken).ConfigureAwait(false);
        return RedirectToSelf(artifact, version, "revoked");
    });

    private RedirectResult RedirectToSelf(string artifact, string version, string done) =>
        Redirect($"{DashboardSetup.PathBase}/projects/{Uri.EscapeDataString(Project.Name)}/artifacts/{Uri.EscapeDataString(artifact)}/versions/{Uri.EscapeDataString(version)}?done={done}");

    private async Task LoadAsync(string artifact, string version, CancellationToken cancellationToken)
    {
        (Artifact, Version) = await RegistryEndpoints.FindVersionAsync(db, Project, artifact, version, cancellationToken).ConfigureAwait(false);
        var order = Scorecard.Severities.ToList();
        FindingsBySeverity = [.. ArtifactGate.FromJson(Version.FindingsJson).GroupBy(f => f.Severity.ToLowerInvariant()).OrderBy(g => order.IndexOf(g.Key) is var i and >= 0 ? i : order.Count)];
        var versionId = Version.Id;
        Approvals = await db.Approvals.AsNoTracking().Where(a => a.VersionId == versionId).OrderBy(a => a.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        await LoadBomAsync(cancellationToken).ConfigureAwait(false);
        var graph = await ledger.Ledger.TraceAsync(Version.Digest, cancellationToken).ConfigureAwait(false);
        LineageSvg = Dashboard.LineageSvg.Render(graph);
    }

    /// <summary>Reads the stored scan report (bounded; its digest is re-checked first) for the artifacts' formats and facts.</summary>
    private async Task LoadBomAsync(CancellationToken cancellationToken)
    {
        if (Version.ReportDigest is not { } digest)
        {
            BomProblem = Version.State == VersionStates.Scanning ? "The scan has not finished." : "No scan report was stored for this version.";
            return;
        }

        try
        {
            await blobs.VerifyAsync(digest, cancellationToken).ConfigureAwait(false);
            var bytes = await BoundedFile.ReadAllBytesAsync(blobs.PathOf(digest), MaxReportBytes, cancellationToken).ConfigureAwait(false);
            using var report = JsonDocument.Parse(bytes);
            var entries = new List<BomEntry>();
            foreach (var a in report.RootElement.GetProperty("artifacts").EnumerateArray().Take(200))
            {
                var formats = a.TryGetProperty("formats", out var f) && f.ValueKind == JsonValueKind.Array ? f.EnumerateArray().Select(x => x.ToString()).ToList() : [];
                var facts = a.TryGetProperty("facts", out var m) && m.ValueKind == JsonValueKind.Object
                    ? m.EnumerateObject().Take(100).Select(p => (p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText())).ToList()
                    : [];
                entries.Add(new BomEntry(a.GetProperty("path").GetString() ?? "", formats, facts));
            }

            Bom = entries;
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            BomProblem = "The stored scan report could not be read: " + e.Message;
        }
    }
}
