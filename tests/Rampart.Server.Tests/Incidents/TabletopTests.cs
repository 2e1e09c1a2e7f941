using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Rampart.Server.Incidents;
using Rampart.TestKit;

namespace Rampart.Server.Tests.Incidents;

/// <summary>Tabletop exercises over real HTTP: scored from what the team really did, marked as exercise everywhere, on SQLite and PostgreSQL.</summary>
public sealed class TabletopTests
{
    private static readonly string[] ModelCompromiseSteps = ["scope", "contain", "revoke", "rotate", "rebuild", "notify"];

    [Fact]
    public void ShippedScenarios_LoadAndAreValid()
    {
        TabletopScenarios.All.Keys.Should().Contain(["model-compromise", "prompt-injection-campaign", "supply-chain-compromise"]);
        TabletopScenarios.All.Values.Should().OnlyContain(s => TabletopScenarios.Problem(s) == null && s.Expect.Sum(e => e.Points) == 100);
        var broken = TabletopScenarios.All["model-compromise"] with { Expect = [new TabletopExpectation("x", "version-revoked", 90, "why")] };
        TabletopScenarios.Problem(broken).Should().Contain("add up to 90");
    }

    [Fact]
    public Task ModelCompromise_FullResponseScores100_ForgottenRevocationLosesItsPoints_Sqlite() => ModelCompromiseAsync(postgres: false);

    [PostgresFact]
    public Task ModelCompromise_FullResponseScores100_ForgottenRevocationLosesItsPoints_Postgres() => ModelCompromiseAsync(postgres: true);

    private static async Task ModelCompromiseAsync(bool postgres)
    {
        await using var server = await TestServer.StartAsync(postgres);
        await server.CreateProjectAsync("p");
        using var signing = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var admin = await server.AdminAsync();
        var keyId = (await admin.PostAsync("/api/v1/projects/p/keys", new { name = "ci", pem = Models.PublicPem(signing) })).EnsureCreated().Json["id"]!.GetValue<long>();
        using var rita = await server.UserAsync("rita", "p", "security-reviewer", mfa: true);
        using var viewer = await server.UserAsync("vic", "p", "viewer");
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");

        // A viewer cannot start an exercise; an unknown scenario is a clear 400.
        (await viewer.PostAsync("/api/v1/projects/p/tabletop", new { scenario = "model-compromise" })).Code.Should().Be(403);
        (await rita.PostAsync("/api/v1/projects/p/tabletop", new { scenario = "no-such" })).Code.Should().Be(400);

        // The full response: every expectation met in time, 100 points.
        var full = await StartAsync(rita, "model-compromise");
        var run = full["id"]!.GetValue<long>();
        var artifact = full["artifact"]!.GetValue<string>();
        artifact.Should().StartWith("exercise-");
        full["versions"]![0]!["state"]!.GetValue<string>().Should().Be("released");
        var digest = full["versions"]![0]!["digest"]!.GetValue<string>();
        var incident = $"/api/v1/projects/p/incidents/{full["incident"]!.GetValue<long>()}";
        full["expectations"]!.AsArray().Single(e => e!["id"]!.GetValue<string>() == "incident")!["status"]!.GetValue<string>().Should().Be("met", "the injected alarm opened the incident");

        // Exercise artifacts are never downloadable, though released; real names cannot take the exercise prefix.
        (await scientist.GetAsync($"/api/v1/projects/p/artifacts/{artifact}/versions/1/content")).Code.Should().Be(409);
        (await scientist.PostAsync("/api/v1/projects/p/uploads", new { artifact = "exercise-fake", version = "1", fileName = "m.bin" })).Code.Should().Be(400);

        async Task Act(string path, object body) => (await rita.PostAsync(path + "/actions", body)).EnsureOk();
        await Act(incident, new { action = "assign", assignee = "rita" });
        await Act(incident, new { action = "quarantine", artifact, version = "1" });
        (await rita.PostAsync($"/api/v1/projects/p/tabletop/{run}/advance", new { })).EnsureOk().Json["step"]!.GetValue<int>().Should().Be(2);
        await Act(incident, new { action = "revoke", artifact, version = "1", text = "weights leaked" });
        await Act(incident, new { action = "rotate-keys", key = keyId });
        foreach (var step in ModelCompromiseSteps)
        {
            await Act(incident, new { action = "step", step });
        }

        (await rita.PostAsync($"/api/v1/projects/p/tabletop/{run}/advance", new { })).EnsureOk();
        (await rita.PostAsync($"/api/v1/projects/p/tabletop/{run}/advance", new { })).Code.Should().Be(409, "every step has been played");
        (await rita.PostAsync(incident + "/close", new { lessons = "alert on query bursts; keep the signing key offline" })).EnsureOk();
        var scored = (await rita.PostAsync($"/api/v1/projects/p/tabletop/{run}/finish", new { })).EnsureOk().Json;
        scored["score"]!.GetValue<int>().Should().Be(100, scored.ToJsonString());
        scored["state"]!.GetValue<string>().Should().Be("finished");
        (await rita.PostAsync($"/api/v1/projects/p/tabletop/{run}/finish", new { })).Code.Should().Be(409);

        // The exercise revocation never reaches gateways, and the rehearsed rotation left the real key trusted.
        (await viewer.GetAsync("/api/v1/projects/p/revocations")).EnsureOk().Json["revocations"]!.AsArray().Should().BeEmpty();
        var keys = (await viewer.GetAsync("/api/v1/projects/p/keys")).EnsureOk().Body;
        keys.Should().Contain("\"ci\"");
        var model = Models.CleanSafetensors(seed: 3);
        (await scientist.UploadAsync("p", "real", "1", "model.safetensors", model, Models.Sign(model, "model.safetensors", signing))).EnsureCreated();
        (await rita.WaitForGateAsync("p", "real", "1"))["signature"]!.GetValue<string>().Should().Be("verified", "an exercise must not retire a real key");

        // A team that forgets to revoke (it even ticks the box) loses exactly the 25 points named for the revocation.
        var second = await StartAsync(rita, "model-compromise");
        var run2 = second["id"]!.GetValue<long>();
        var artifact2 = second["artifact"]!.GetValue<string>();
        var incident2 = $"/api/v1/projects/p/incidents/{second["incident"]!.GetValue<long>()}";
        await Act(incident2, new { action = "assign", assignee = "rita" });
        await Act(incident2, new { action = "quarantine", artifact = artifact2, version = "1" });
        await Act(incident2, new { action = "rotate-keys", key = keyId });
        foreach (var step in ModelCompromiseSteps)
        {
            await Act(incident2, new { action = "step", step });
        }

        (await rita.PostAsync(incident2 + "/close", new { lessons = "we should have revoked" })).EnsureOk();
        var progress = (await rita.GetAsync($"/api/v1/projects/p/tabletop/{run2}")).EnsureOk().Json;
        Expectation(progress, "revoke")["status"]!.GetValue<string>().Should().Be("pending", "the run is still going");
        var forgot = (await rita.PostAsync($"/api/v1/projects/p/tabletop/{run2}/finish", new { })).EnsureOk().Json;
        forgot["score"]!.GetValue<int>().Should().Be(75, forgot.ToJsonString());
        var revoke = Expectation(forgot, "revoke");
        revoke["status"]!.GetValue<string>().Should().Be("missed");
        revoke["earned"]!.GetValue<int>().Should().Be(0);
        revoke["detail"]!.GetValue<string>().Should().Contain("never revoked");
        forgot["expectations"]!.AsArray().Where(e => e!["status"]!.GetValue<string>() != "met").Select(e => e!["id"]!.GetValue<string>()).Should().Equal("revoke");

        // A late response misses its deadline: a third run where containment comes only after step 2 was injected.
        var third = await StartAsync(rita, "model-compromise");
        var run3 = third["id"]!.GetValue<long>();
        var incident3 = $"/api/v1/projects/p/incidents/{third["incident"]!.GetValue<long>()}";
        (await rita.PostAsync($"/api/v1/projects/p/tabletop/{run3}/advance", new { })).EnsureOk();
        (await rita.PostAsync($"/api/v1/projects/p/tabletop/{run3}/advance", new { })).EnsureOk();
        await Act(incident3, new { action = "quarantine", artifact = third["artifact"]!.GetValue<string>(), version = "1" });
        var late = (await rita.GetAsync($"/api/v1/projects/p/tabletop/{run3}")).EnsureOk().Json;
        Expectation(late, "contain")["status"]!.GetValue<string>().Should().Be("missed");
        Expectation(late, "contain")["detail"]!.GetValue<string>().Should().Contain("after step 3");
        Expectation(late, "assigned")["status"]!.GetValue<string>().Should().Be("missed");

        // Every step of every run is in the ledger, marked as exercise, and the ledger verifies.
        var records = (await RampartProcess.VerifiedLedgerAsync(ServerHost.LedgerLocation(server.Options))).Values;
        var notes = records.Select(r => r.Text("note") ?? r.Text("summary") ?? "").ToList();
        notes.Should().Contain($"exercise run {run}: tabletop scenario model-compromise started");
        notes.Should().Contain(n => n.StartsWith($"exercise run {run}: incident ", StringComparison.Ordinal) && n.Contains("revoke " + artifact + "@1"));
        notes.Should().Contain($"exercise run {run} (model-compromise) scored 100/100; missed: nothing");
        notes.Should().Contain($"exercise run {run2} (model-compromise) scored 75/100; missed: revoke (-25)");
        records.Where(r => r.Text("subject") == digest).Select(r => r.Kind.Name + ":" + (r.Text("event") ?? r.Text("decision") ?? ""))
            .Should().StartWith(["registry:exercise-inject", "registry:exercise-inject"]);
    }

    [Fact]
    public async Task SupplyChain_IncidentOpenedByHandNamingTheVersion_IsTheExercisesAndRejectionScores()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var rita = await server.UserAsync("rita", "p", "security-reviewer", mfa: true);
        var started = await StartAsync(rita, "supply-chain-compromise");
        var run = started["id"]!.GetValue<long>();
        started["incident"].Should().BeNull("no alarm: the team must open the incident itself");
        var version = started["versions"]![0]!;
        version["state"]!.GetValue<string>().Should().Be("pending-review");

        var opened = (await rita.PostAsync("/api/v1/projects/p/incidents", new { type = "supply-chain-compromise", title = "vendor build compromised", subjects = new[] { version["digest"]!.GetValue<string>() } })).EnsureCreated().Json;
        opened["exerciseRun"]!.GetValue<long>().Should().Be(run);
        (await rita.PostAsync($"/api/v1/projects/p/artifacts/{started["artifact"]!.GetValue<string>()}/versions/2.1/reject", new { note = "tainted build" })).EnsureOk();
        var progress = (await rita.GetAsync($"/api/v1/projects/p/tabletop/{run}")).EnsureOk().Json;
        Expectation(progress, "incident")["status"]!.GetValue<string>().Should().Be("met");
        Expectation(progress, "reject")["status"]!.GetValue<string>().Should().Be("met");
        progress["score"]!.GetValue<int>().Should().Be(40);
    }

    private static async Task<JsonNode> StartAsync(ApiClient client, string scenario) =>
        (await client.PostAsync("/api/v1/projects/p/tabletop", new { scenario })).EnsureCreated().Json;

    private static JsonNode Expectation(JsonNode run, string id) => run["expectations"]!.AsArray().Single(e => e!["id"]!.GetValue<string>() == id)!;
}
