using Rampart.Server.Tests;

namespace Rampart.Browser.Tests;

/// <summary>
/// The gateway activity page over plain HTTP: drawn from the events a gateway posted (totals, top principals, blocks
/// by rule, drift per feature), readable by a viewer, refused to another project's members, markup in names inert.
/// </summary>
public sealed class GatewayPageTests
{
    [Fact]
    public async Task Page_ShowsPostedEvents_ToMembersOnly_WithMarkupInert()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        await server.CreateProjectAsync("q");
        using var dana = await server.UserAsync("dana", "p", "data-scientist");
        using var viewer = await server.UserAsync("vera", "p", "viewer");
        using var outsider = await server.UserAsync("otto", "q", "admin", mfa: true);
        using var gateway = ApiClient.WithToken(server, await dana.CreateTokenAsync("p", "report"));
        var now = server.Time.GetUtcNow();
        const string Hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
        var events = new List<object>();
        for (var i = 0; i < 5; i++)
        {
            events.Add(new { time = now.AddMinutes(-i), principal = Hostile, route = "chat", decision = "blocked", status = 403, rules = new[] { "RAMP-LLM-001" } });
        }

        for (var i = 0; i < 3; i++)
        {
            events.Add(new { time = now.AddHours(-2), principal = "bob", route = "chat", decision = "allow", status = 200 });
        }

        events.Add(new { time = now.AddDays(-2), principal = "carol", route = "chat", decision = "block", status = 403, rules = new[] { "RAMP-GUARD-003" } });
        events.Add(new { time = now.AddHours(-1), principal = "iris-client", route = "iris", decision = "annotate", status = 200, rules = new[] { "RAMP-GUARD-108" }, drift = new Dictionary<string, double> { ["petal<b>length</b>"] = 0.37 } });
        (await gateway.PostAsync("/api/v1/projects/p/gateway/events", new { gateway = "gw-1", events })).EnsureOk();

        using var asViewer = new DashboardClient(server, viewer);
        var page = await asViewer.GetAsync("/ui/projects/p/gateway");
        page.Code.Should().Be(200);
        var html = page.Body;
        html.Should().Contain("id=\"requests-total\">9<", "eight requests today plus the drift one; carol's is two days old");
        html.Should().Contain("id=\"blocks-total\">5<");
        html.Should().NotContain("<script>alert").And.NotContain("<img src=x").And.NotContain("<b>length");
        html.Should().Contain("&lt;script&gt;alert(1)&lt;/script&gt;", "the hostile principal is shown as text");
        html.Should().Contain("RAMP-LLM-001").And.Contain("RAMP-GUARD-003", "blocks by rule cover the last seven days");
        html.Should().Contain("petal&lt;b&gt;length&lt;/b&gt;").And.Contain("0.37");
        var principals = html[html.IndexOf("id=\"top-principals\"", StringComparison.Ordinal)..];
        principals.IndexOf("&lt;script&gt;", StringComparison.Ordinal).Should().BeLessThan(principals.IndexOf(">bob<", StringComparison.Ordinal), "the busiest principal comes first");
        html.Should().NotContain("carol", "top principals cover the last 24 hours");

        // Another project's member gets 403 (whether or not the project exists); a token gets no page.
        using var asOutsider = new DashboardClient(server, outsider);
        (await asOutsider.GetAsync("/ui/projects/p/gateway")).Code.Should().Be(403);
        (await asOutsider.GetAsync("/ui/projects/nosuch/gateway")).Code.Should().Be(403);
        (await asViewer.GetWithTokenAsync("/ui/projects/p/gateway", gateway.Token!)).Code.Should().Be(403);
    }

    [Fact]
    public async Task RedTeamPage_ShowsFamiliesAndAttacks_AndTheScorecardShowsTheLastRun()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var dana = await server.UserAsync("dana", "p", "data-scientist");
        using var viewer = await server.UserAsync("vera", "p", "viewer");
        using var ci = ApiClient.WithToken(server, await dana.CreateTokenAsync("p", "report"));
        using var asViewer = new DashboardClient(server, viewer);
        (await asViewer.GetAsync("/ui/projects/p")).Body.Should().Contain("none recorded");

        var llm = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Rampart.TestKit.RepositoryPaths.Root, "examples", "threats", "fine-tuning-pipeline", "redteam.json")))!;
        llm["runs"]![0]!["probes"]![0]!["family"] = "<script>alert(1)</script>";
        llm["runs"]![0]!["probes"]![0]!["status"] = "failed";
        llm["runs"]![0]!["probes"]![0]!["failures"] = 2;
        llm["exitCode"] = 1;
        var first = (await ci.SendAsync(HttpMethod.Post, "/api/v1/projects/p/redteam/runs", new StringContent(llm.ToJsonString(), System.Text.Encoding.UTF8, "application/json"))).EnsureCreated().Json["id"]!.GetValue<long>();
        var model = File.ReadAllText(Path.Combine(Rampart.TestKit.RepositoryPaths.Root, "examples", "threats", "fraud-model-api", "redteam.json"));
        var second = (await ci.SendAsync(HttpMethod.Post, "/api/v1/projects/p/redteam/runs", new StringContent(model, System.Text.Encoding.UTF8, "application/json"))).EnsureCreated().Json["id"]!.GetValue<long>();

        // The newest run is shown by default: its two classic attacks with their metrics.
        var page = await asViewer.GetAsync("/ui/projects/p/redteam");
        page.Code.Should().Be(200);
        page.Body.Should().Contain("id=\"attacks\"").And.Contain("advantage 0.948").And.Contain("agreement 0.885");
        page.Body.Should().Contain($"?run={first}").And.Contain($"?run={second}");

        // The LLM run: failed probes and attack success per family, the markup in a family name shown as text.
        var llmPage = await asViewer.GetAsync($"/ui/projects/p/redteam?run={first}");
        llmPage.Body.Should().Contain("id=\"families\"").And.Contain("&lt;script&gt;alert(1)&lt;/script&gt;").And.NotContain("<script>alert");
        llmPage.Body.Should().Contain("Attack success rate per family");
        (await asViewer.GetAsync("/ui/projects/p/redteam?run=999")).Code.Should().Be(404);

        var scorecard = await asViewer.GetAsync("/ui/projects/p");
        scorecard.Body.Should().Contain($"/ui/projects/p/redteam?run={second}\">failed").And.NotContain("none recorded");
    }
}
