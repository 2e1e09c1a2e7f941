using System.Net;
using System.Text.RegularExpressions;
using Rampart.Server.Tests;

namespace Rampart.Browser.Tests;

/// <summary>
/// The dashboard over plain HTTP (no browser needed): headers, the antiforgery token on every form, the same
/// authorisation as the API per page and per form (roles, two-person rule, MFA, tokens), no cross-project reads.
/// </summary>
public sealed partial class DashboardHttpTests
{
    private static readonly string[] Pages = ["/ui", "/ui/account", "/ui/projects/p", "/ui/projects/p/queue", "/ui/projects/p/incidents", "/ui/admin", "/ui/ledger"];

    [Fact]
    public async Task EveryPage_SendsStrictHeaders_AndStrangersAreSentToSignIn()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");

        // The dashboard's endpoints stay out of the API's authorisation matrix (no per-method rows) and add no anonymous API endpoint.
        var dashboard = server.Host.Endpoints.Where(e => e.Metadata.GetMetadata<Rampart.Server.Dashboard.DashboardEndpoint>() is not null).ToList();
        dashboard.Should().NotBeEmpty();
        dashboard.Should().OnlyContain(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>() == null && e.Metadata.GetMetadata<Rampart.Server.Hosting.Requires>() == null);
        using var stranger = new DashboardClient(server, null);
        var signIn = await stranger.GetAsync("/ui/sign-in");
        signIn.Code.Should().Be(200);
        var csp = signIn.Headers.GetValues("Content-Security-Policy").Single();
        csp.Should().Contain("frame-ancestors 'none'").And.Contain("default-src 'none'").And.NotContain("script-src").And.NotContain("unsafe-inline");
        signIn.Headers.GetValues("X-Frame-Options").Single().Should().Be("DENY");
        signIn.Headers.GetValues("X-Content-Type-Options").Single().Should().Be("nosniff");
        signIn.Body.Should().NotContain("<script", "no page carries script");
        signIn.Body.Should().Contain("name=\"__csrf\"", "the sign-in form carries an antiforgery token");
        foreach (var page in Pages)
        {
            var response = await stranger.GetAsync(page);
            response.Code.Should().Be(302, page);
            response.Headers.Location!.OriginalString.Should().StartWith("/ui/sign-in?next=", page);
        }

        var css = await stranger.GetAsync("/ui/dashboard.css");
        css.Code.Should().Be(200);
        css.ContentHeaders!.ContentType!.MediaType.Should().Be("text/css");
        (await stranger.PostFormAsync("/ui/dashboard.css", null)).Code.Should().Be(405);
    }

    [Fact]
    public async Task Forms_NeedTheAntiforgeryToken_AndTheSameRolesAsTheApi()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        await server.CreateProjectAsync("q");
        var uploader = await server.UserAsync("uploader", "p", "admin", mfa: true);
        var reviewer = await server.UserAsync("reviewer", "p", "security-reviewer", mfa: true);
        var viewer = await server.UserAsync("viewer", "p", "viewer");
        var outsider = await server.UserAsync("outsider", "q", "admin", mfa: true);
        (await uploader.UploadAsync("p", "m", "1", "model.safetensors", Models.CleanSafetensors())).EnsureCreated();
        (await uploader.WaitForGateAsync("p", "m", "1"))["version"]!["state"]!.GetValue<string>().Should().Be("pending-review");
        const string Version = "/ui/projects/p/artifacts/m/versions/1";
        using var asReviewer = new DashboardClient(server, reviewer);
        using var asViewer = new DashboardClient(server, viewer);
        using var asUploader = new DashboardClient(server, uploader);
        using var asOutsider = new DashboardClient(server, outsider);
        using var asAdmin = new DashboardClient(server, await server.AdminAsync());

        // No token: refused by antiforgery before any handler runs.
        (await asReviewer.GetAsync(Version)).Code.Should().Be(200);
        (await asReviewer.PostFormAsync(Version + "?handler=Decide", null, ("decision", "approve"))).Code.Should().Be(400);

        // A viewer has the form hidden, and a forged post is refused by the API's own role check.
        var viewerPage = await asViewer.GetAsync(Version);
        viewerPage.Code.Should().Be(200);
        viewerPage.Body.Should().NotContain("id=\"approve\"");
        (await asViewer.PostFormAsync(Version + "?handler=Decide", Antiforgery(viewerPage.Body), ("decision", "approve"))).Code.Should().Be(403);

        // Two-person rule: the uploader (an admin with TOTP) cannot approve their own upload from the page either.
        var own = await asUploader.GetAsync(Version);
        var refused = await asUploader.PostFormAsync(Version + "?handler=Decide", Antiforgery(own.Body), ("decision", "approve"));
        refused.Code.Should().Be(403);
        refused.Body.Should().Contain("uploader of a version cannot approve it");

        // Another project's pages are refused whether or not the project exists; an API token is no browser session.
        (await asOutsider.GetAsync(Version)).Code.Should().Be(403);
        (await asOutsider.GetAsync("/ui/projects/p")).Code.Should().Be(403);
        (await asOutsider.GetAsync("/ui/projects/nope")).Code.Should().Be(403);
        (await asAdmin.GetAsync("/ui/projects/nope")).Code.Should().Be(404);
        (await asReviewer.GetWithTokenAsync("/ui/projects/p", await reviewer.CreateTokenAsync("p", "read", "review"))).Code.Should().Be(403);

        // A reviewer with TOTP approves from the page: the same state change and ledger record as the API's.
        var page = await asReviewer.GetAsync(Version);
        page.Body.Should().Contain("id=\"approve\"");
        var approved = await asReviewer.PostFormAsync(Version + "?handler=Decide", Antiforgery(page.Body), ("decision", "approve"), ("note", "ok"));
        approved.Code.Should().Be(302);
        (await reviewer.GetAsync("/api/v1/projects/p/artifacts/m/versions/1")).Json["approvals"]!.AsArray().Single()!["reviewer"]!.GetValue<string>().Should().Be("reviewer");
    }

    [Fact]
    public async Task ReviewerWork_WithoutTotp_IsRefused_AsInTheApi()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        var reviewer = await server.UserAsync("reviewer", "p", "security-reviewer");
        using var page = new DashboardClient(server, reviewer);
        var incidents = await page.GetAsync("/ui/projects/p/incidents");
        incidents.Code.Should().Be(403);
        incidents.Body.Should().Contain("TOTP");
        (await reviewer.GetAsync("/api/v1/projects/p/incidents")).Code.Should().Be(403);
        (await page.GetAsync("/ui/projects/p")).Code.Should().Be(200, "reading needs no TOTP");
    }

    /// <summary>The antiforgery token of the first form on a page.</summary>
    private static string Antiforgery(string html) => AntiforgeryField().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException("no antiforgery field on the page");

    [GeneratedRegex("name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
