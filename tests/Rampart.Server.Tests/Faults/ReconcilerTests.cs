using Microsoft.Extensions.DependencyInjection;
using Rampart.Provenance.Records;
using Rampart.Server.Registry;
using Rampart.TestKit;

namespace Rampart.Server.Tests.Faults;

/// <summary>
/// Records appended just before a crash, without their database change, are completed at the next start when the
/// version still allows them and marked (audit ledger.unapplied, once) when it does not. The crash is the gap
/// between the ledger append and the database write, reproduced exactly by appending the record the service would
/// write and restarting; CrashTests does the same with kill -9 of a real process.
/// </summary>
public sealed class ReconcilerTests
{
    [Fact]
    public Task RecordsWithoutTheirChange_AreCompletedOrMarked_AtStart_Sqlite() => ReconcileAsync(postgres: false);

    [PostgresFact]
    public Task RecordsWithoutTheirChange_AreCompletedOrMarked_AtStart_Postgres() => ReconcileAsync(postgres: true);

    private static async Task ReconcileAsync(bool postgres)
    {
        await using var server = await TestServer.StartAsync(postgres);
        await server.CreateProjectAsync("p");
        var digests = new Dictionary<string, string>();
        using (var dana = await server.UserAsync("dana", "p", "data-scientist"))
        using (var rita = await server.UserAsync("rita", "p", "security-reviewer", mfa: true))
        {
            foreach (var label in new[] { "1", "2", "3", "4" })
            {
                digests[label] = (await dana.UploadAsync("p", "m", label, "m.safetensors", Models.CleanSafetensors(seed: label[0]))).EnsureCreated().Json["digest"]!.GetValue<string>();
                (await rita.WaitForGateAsync("p", "m", label))["version"]!["state"]!.GetValue<string>().Should().Be("pending-review");
            }

            (await rita.PostAsync("/api/v1/projects/p/artifacts/m/versions/4/approve", new { })).EnsureOk();
            (await rita.PostAsync("/api/v1/projects/p/artifacts/m/versions/3/reject", new { note = "no" })).EnsureOk();
        }

        // The records of four changes whose database writes never happened, as the services word them.
        var ledger = server.Host.Services.GetRequiredService<ServerLedger>();
        var approval = await ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Approval).Set("subject", digests["1"]).Set("decision", "approved")
            .Set("scope", LedgerTexts.Scope("p", "m", "1")).Set("note", LedgerTexts.ReviewerNote("rita (token abc)", "looked fine")).Build(), default);
        var revocation = await ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Revocation).Set("subject", digests["2"])
            .Set("reason", LedgerTexts.RevocationReason("weights leaked", "rita", LedgerTexts.Scope("p", "m", "2"))).Build(), default);
        var stale = await ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Approval).Set("subject", digests["3"]).Set("decision", "approved")
            .Set("scope", LedgerTexts.Scope("p", "m", "3")).Set("note", LedgerTexts.ReviewerNote("rita", null)).Build(), default);
        var quarantine = await ledger.RegistryEventAsync(digests["4"], "quarantined", "p", "m", "4", "rita", "incident 1", default);

        await server.RestartAsync();
        await server.RestartAsync(); // a second start finds nothing new to do and marks nothing twice

        using var admin = await server.AdminAsync();
        var v1 = (await admin.GetAsync("/api/v1/projects/p/artifacts/m/versions/1")).EnsureOk().Json;
        v1["version"]!["state"]!.GetValue<string>().Should().Be("released");
        var row = v1["approvals"]!.AsArray().Should().ContainSingle().Subject!;
        row["ledgerSequence"]!.GetValue<long>().Should().Be(approval);
        row["reviewer"]!.GetValue<string>().Should().Be("rita (token abc)");
        row["note"]!.GetValue<string>().Should().Be("looked fine");

        var revocations = (await admin.GetAsync("/api/v1/projects/p/revocations")).EnsureOk().Json["revocations"]!.AsArray();
        revocations.Should().ContainSingle();
        revocations[0]!["sequence"]!.GetValue<long>().Should().Be(revocation);
        revocations[0]!["reason"]!.GetValue<string>().Should().Be("weights leaked");

        (await admin.GetAsync("/api/v1/projects/p/artifacts/m/versions/4")).EnsureOk().Json["version"]!["state"]!.GetValue<string>().Should().Be("quarantined");
        (await admin.GetAsync("/api/v1/projects/p/artifacts/m/versions/4/content")).Code.Should().Be(409, $"the quarantine of record {quarantine} took effect");

        var v3 = (await admin.GetAsync("/api/v1/projects/p/artifacts/m/versions/3")).EnsureOk().Json;
        v3["version"]!["state"]!.GetValue<string>().Should().Be("rejected", "a rejected version is never released by a stale record");
        v3["approvals"]!.AsArray().Should().ContainSingle();
        var audit = (await admin.GetAsync("/api/v1/audit?limit=1000")).EnsureOk().Json.AsArray();
        audit.Where(e => e!["action"]!.GetValue<string>() == LedgerReconciler.UnappliedAction).Select(e => e!["detail"]!.GetValue<string>())
            .Should().ContainSingle().Which.Should().StartWith($"record {stale} (approval)");
    }
}
