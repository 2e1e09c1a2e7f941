using System.Text;
using System.Text.Json.Nodes;
using Rampart.TestKit;

namespace Rampart.Server.Tests.Activity;

/// <summary>
/// POST /api/v1/projects/{p}/redteam/runs with the harness's own JSON reports (the threat examples): stored with
/// their counts per probe family and attack, listed; a viewer cannot send one; what is not a report is refused.
/// </summary>
public sealed class RedTeamRunTests
{
    [Fact]
    public async Task HarnessReports_AreStoredAndSummarised_AndBadOnesRefused()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var viewer = await server.UserAsync("vera", "p", "viewer");
        using var dana = await server.UserAsync("dana", "p", "data-scientist");
        using var ci = ApiClient.WithToken(server, await dana.CreateTokenAsync("p", "report"));
        var llm = Report("fine-tuning-pipeline");
        var model = Report("fraud-model-api");
        const string Path = "/api/v1/projects/p/redteam/runs";

        (await viewer.SendAsync(HttpMethod.Post, Path, Json(llm))).Code.Should().Be(403);

        var stored = (await ci.SendAsync(HttpMethod.Post, Path, Json(llm))).EnsureCreated().Json;
        var probes = llm["runs"]![0]!["probes"]!.AsArray();
        stored["passed"]!.GetValue<int>().Should().Be(probes.Count(p => p!["status"]!.GetValue<string>() == "passed"));
        stored["failed"]!.GetValue<int>().Should().Be(probes.Count(p => p!["status"]!.GetValue<string>() == "failed"));
        var attacked = (await ci.SendAsync(HttpMethod.Post, Path, Json(model))).EnsureCreated().Json;
        attacked["failed"]!.GetValue<int>().Should().Be(2, "both classic attacks in the example succeeded");
        attacked["findings"]!.GetValue<int>().Should().Be(2);

        var list = (await viewer.GetAsync(Path)).EnsureOk().Json.AsArray();
        list.Select(r => r!["kind"]!.GetValue<string>()).Should().Equal("model", "llm");

        // Not a report: wrong schema version, unknown status, failures above attempts, not JSON.
        var wrongVersion = llm.DeepClone();
        wrongVersion["schemaVersion"] = "9";
        (await ci.SendAsync(HttpMethod.Post, Path, Json(wrongVersion))).Body.Should().Contain("schemaVersion");
        var badStatus = llm.DeepClone();
        badStatus["runs"]![0]!["probes"]![0]!["status"] = "<b>won</b>";
        var refused = await ci.SendAsync(HttpMethod.Post, Path, Json(badStatus));
        refused.Code.Should().Be(400);
        refused.Body.Should().Contain("runs[0].probes[0]");
        var impossible = llm.DeepClone();
        impossible["runs"]![0]!["probes"]![0]!["failures"] = 99;
        (await ci.SendAsync(HttpMethod.Post, Path, Json(impossible))).Code.Should().Be(400);
        (await ci.SendAsync(HttpMethod.Post, Path, new StringContent("not json", Encoding.UTF8, "application/json"))).Code.Should().Be(400);
        (await viewer.GetAsync(Path)).Json.AsArray().Should().HaveCount(2, "nothing refused was stored");
    }

    internal static JsonNode Report(string example) =>
        JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(RepositoryPaths.Root, "examples", "threats", example, "redteam.json")))!;

    private static StringContent Json(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");
}
