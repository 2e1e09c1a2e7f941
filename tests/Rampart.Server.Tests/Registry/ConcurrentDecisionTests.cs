using System.Security.Cryptography;
using Rampart.Provenance.Records;
using Rampart.TestKit;

namespace Rampart.Server.Tests.Registry;

/// <summary>
/// Two reviewers decide the same version at the same moment, over real HTTP, on SQLite and PostgreSQL: exactly one
/// wins, the other gets 409, and the ledger holds exactly one record for the decision (the loser adds none).
/// Several rounds, so the two requests really overlap in at least some of them.
/// </summary>
public sealed class ConcurrentDecisionTests
{
    private const int Rounds = 4;

    [Fact]
    public Task ConcurrentApprovalsAndRevocations_OneWins_OneRecord_Sqlite() => RaceAsync(postgres: false);

    [PostgresFact]
    public Task ConcurrentApprovalsAndRevocations_OneWins_OneRecord_Postgres() => RaceAsync(postgres: true);

    private static async Task RaceAsync(bool postgres)
    {
        await using var server = await TestServer.StartAsync(postgres);
        await server.CreateProjectAsync("p");
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");
        using var rita = await server.UserAsync("rita", "p", "security-reviewer", mfa: true);
        using var sam = await server.UserAsync("sam", "p", "security-reviewer", mfa: true);
        var digests = new List<string>();
        for (var i = 0; i < Rounds; i++)
        {
            var model = Models.CleanSafetensors(seed: 100 + i);
            digests.Add("sha256:" + Convert.ToHexStringLower(SHA256.HashData(model)));
            (await scientist.UploadAsync("p", "m", $"{i}", "model.safetensors", model)).EnsureCreated();
            (await rita.WaitForGateAsync("p", "m", $"{i}"))["version"]!["state"]!.GetValue<string>().Should().Be("pending-review");
        }

        for (var i = 0; i < Rounds; i++)
        {
            var path = $"/api/v1/projects/p/artifacts/m/versions/{i}";
            var approvals = await Task.WhenAll(rita.PostAsync(path + "/approve", new { note = "rita" }), sam.PostAsync(path + "/approve", new { note = "sam" }));
            approvals.Select(r => r.Code).Order().Should().Equal([200, 409], $"round {i}: {approvals[0].Body} / {approvals[1].Body}");
            var revocations = await Task.WhenAll(rita.PostAsync(path + "/revoke", new { reason = "rita" }), sam.PostAsync(path + "/revoke", new { reason = "sam" }));
            revocations.Select(r => r.Code).Order().Should().Equal([200, 409], $"round {i}: {revocations[0].Body} / {revocations[1].Body}");
            var detail = (await rita.GetAsync(path)).EnsureOk().Json;
            detail["version"]!["state"]!.GetValue<string>().Should().Be("revoked");
        }

        var records = (await RampartProcess.VerifiedLedgerAsync(ServerHost.LedgerLocation(server.Options))).Values;
        foreach (var digest in digests)
        {
            records.Count(r => r.Kind.Name == RecordKinds.Approval && r.Text("subject") == digest).Should().Be(1, $"one approval record for {digest}");
            records.Count(r => r.Kind.Name == RecordKinds.Revocation && r.Text("subject") == digest).Should().Be(1, $"one revocation record for {digest}");
        }

        // Nothing for the reconciler to complete or mark: every record has its change.
        await server.RestartAsync();
        using var admin = await server.AdminAsync();
        (await admin.GetAsync("/api/v1/audit")).EnsureOk().Body.Should().NotContain("ledger.unapplied");
    }
}
