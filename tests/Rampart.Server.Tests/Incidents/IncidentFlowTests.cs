using System.Security.Cryptography;
using Rampart.TestKit;

namespace Rampart.Server.Tests.Incidents;

/// <summary>
/// The whole incident flow over HTTP: a gateway's alarm opens an incident with the right playbook; a reviewer
/// contains (quarantine), revokes (the revocation list gateways poll shows it), rotates keys (a model signed with the
/// retired key no longer passes the gate), works the checklist and closes with a review; every step of the timeline
/// has its record in a ledger that verifies.
/// </summary>
public sealed class IncidentFlowTests
{
    [Fact]
    public Task AlarmToClosedIncident_EveryActionTakenAndRecorded_Sqlite() => FlowAsync(postgres: false);

    [PostgresFact]
    public Task AlarmToClosedIncident_EveryActionTakenAndRecorded_Postgres() => FlowAsync(postgres: true);

    private static async Task FlowAsync(bool postgres)
    {
        await using var server = await TestServer.StartAsync(postgres);
        await server.CreateProjectAsync("p");
        using var oldKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var admin = await server.AdminAsync();
        var oldKeyId = (await admin.PostAsync("/api/v1/projects/p/keys", new { name = "ci-2025", pem = Models.PublicPem(oldKey) })).EnsureCreated().Json["id"]!.GetValue<long>();
        using var dana = await server.UserAsync("dana", "p", "data-scientist");
        using var rita = await server.UserAsync("rita", "p", "security-reviewer", mfa: true);
        using var gateway = ApiClient.WithToken(server, await (await server.UserAsync("gw", "p", "viewer")).CreateTokenAsync("p", "read", "alarm"));

        var model = Models.CleanSafetensors();
        (await dana.UploadAsync("p", "scorer", "1", "model.safetensors", model, Models.Sign(model, "model.safetensors", oldKey))).EnsureCreated();
        (await rita.WaitForGateAsync("p", "scorer", "1"))["version"]!["state"]!.GetValue<string>().Should().Be("pending-review");
        (await rita.PostAsync("/api/v1/projects/p/artifacts/scorer/versions/1/approve", new { note = "ok" })).EnsureOk();
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(model));

        // 1. The gateway raises an extraction alarm about the served model: a model-compromise incident opens.
        var opened = (await gateway.PostAsync("/api/v1/projects/p/alarms", new { kind = "extraction", detail = "12,000 systematic queries", subject = digest, route = "scoring" })).EnsureCreated().Json;
        opened["type"]!.GetValue<string>().Should().Be("model-compromise");
        opened["source"]!.GetValue<string>().Should().Be("alarm");
        opened["severity"]!.GetValue<string>().Should().Be("high");
        opened["subjects"]!.AsArray().Select(s => s!.GetValue<string>()).Should().Equal(digest);
        var id = opened["id"]!.GetValue<long>();
        var incident = $"/api/v1/projects/p/incidents/{id}";
        (await gateway.PostAsync(incident + "/actions", new { action = "note", text = "gateways may not act" })).Code.Should().Be(403);

        // 2. The reviewer works it: assign, scope, contain, revoke, rotate keys, rebuild, notify.
        async Task Act(object body) => (await rita.PostAsync(incident + "/actions", body)).EnsureOk();
        await Act(new { action = "assign", assignee = "rita" });
        await Act(new { action = "step", step = "scope", text = "one version, one route" });
        await Act(new { action = "quarantine", artifact = "scorer", version = "1" });
        (await dana.GetAsync("/api/v1/projects/p/artifacts/scorer/versions/1/content")).Code.Should().Be(409, "a quarantined version is not served");
        await Act(new { action = "step", step = "contain" });
        await Act(new { action = "revoke", artifact = "scorer", version = "1", text = "weights extracted" });
        var revocations = (await gateway.GetAsync("/api/v1/projects/p/revocations")).EnsureOk().Json;
        revocations["revocations"]!.AsArray().Select(r => r!["digest"]!.GetValue<string>()).Should().Equal(digest);
        await Act(new { action = "step", step = "revoke" });
        await Act(new { action = "rotate-keys", key = oldKeyId, newKeyName = "ci-2026", newKeyPem = Models.PublicPem(newKey) });
        await Act(new { action = "step", step = "rotate" });
        await Act(new { action = "step", step = "rebuild" });
        (await rita.PostAsync(incident + "/close", new { })).Code.Should().Be(400, "closing needs the review");

        // The retired key verifies nothing new; the new one does.
        var retrained = Models.CleanSafetensors(seed: 9);
        (await dana.UploadAsync("p", "scorer", "2-old-key", "model.safetensors", retrained, Models.Sign(retrained, "model.safetensors", oldKey))).EnsureCreated();
        (await dana.UploadAsync("p", "scorer", "2", "model.safetensors", retrained, Models.Sign(retrained, "model.safetensors", newKey))).EnsureCreated();
        (await rita.WaitForGateAsync("p", "scorer", "2-old-key"))["signature"]!.GetValue<string>().Should().Be("failed");
        (await rita.WaitForGateAsync("p", "scorer", "2"))["signature"]!.GetValue<string>().Should().Be("verified");

        // 3. Closed with the review; the step left undone is named.
        var closed = (await rita.PostAsync(incident + "/close", new { lessons = "rate-limit the scoring route; alert on query bursts" })).EnsureOk().Json;
        closed["state"]!.GetValue<string>().Should().Be("closed");
        closed["assignee"]!.GetValue<string>().Should().Be("rita");
        closed["checklist"]!.AsArray().Where(s => !s!["done"]!.GetValue<bool>()).Select(s => s!["id"]!.GetValue<string>()).Should().Equal("notify");
        var timeline = closed["timeline"]!.AsArray();
        timeline.Select(e => e!["kind"]!.GetValue<string>()).Should().Equal(
            "opened", "assign", "step", "quarantine", "step", "revoke", "step", "rotate-keys", "step", "step", "closed");
        timeline.Last()!["text"]!.GetValue<string>().Should().Contain("steps not done: notify");
        (await rita.PostAsync(incident + "/actions", new { action = "note", text = "late" })).Code.Should().Be(409);
        var keys = (await rita.GetAsync("/api/v1/projects/p/keys")).EnsureOk().Json.AsArray();
        keys.Single(k => k!["name"]!.GetValue<string>() == "ci-2025")!["retiredAt"].Should().NotBeNull();

        // 4. All of it in the ledger, which verifies: every timeline entry names its record.
        var bySequence = await RampartProcess.VerifiedLedgerAsync(Server.ServerHost.LedgerLocation(server.Options));
        var records = bySequence.Values;

        foreach (var entry in timeline)
        {
            bySequence.Should().ContainKey(entry!["ledgerSequence"]!.GetValue<long>(), entry.ToJsonString());
        }

        bySequence[timeline[0]!["ledgerSequence"]!.GetValue<long>()].Kind.Name.Should().Be("incident");
        bySequence[timeline[^1]!["ledgerSequence"]!.GetValue<long>()].Text("event").Should().Be("incident-closed");
        records.Should().Contain(r => r.Kind.Name == "revocation" && r.Text("subject") == digest && r.Text("reason")!.Contains($"incident {id}: weights extracted", StringComparison.Ordinal));
        records.Should().Contain(r => r.Kind.Name == "registry" && r.Text("event") == "quarantined" && r.Text("subject") == digest);
        records.Count(r => r.Kind.Name == "registry" && r.Text("event") == "incident-action").Should().Be(9);
    }
}
