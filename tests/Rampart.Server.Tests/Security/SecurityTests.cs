using System.Net.Http.Json;
using System.Text;

namespace Rampart.Server.Tests.Security;

/// <summary>CSRF, session fixation, lockout, TOTP replay, hostile names, oversized bodies, markup in responses, headers.</summary>
public sealed class SecurityTests
{
    [Fact]
    public async Task CookieSession_StateChangeWithoutOrWithWrongCsrfHeader_IsRefused_TokenNeedsNone()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");
        var body = new { artifact = "m", version = "1", fileName = "m.safetensors" };

        scientist.SendCsrf = false;
        var missing = await scientist.PostAsync("/api/v1/projects/p/uploads", body);
        missing.Code.Should().Be(403);
        missing.Json["error"]!.GetValue<string>().Should().Be("csrf");
        (await scientist.DeleteAsync("/api/v1/tokens/rmp_000000000000")).Json["error"]!.GetValue<string>().Should().Be("csrf");

        scientist.SendCsrf = true;
        var real = scientist.Csrf;
        scientist.Csrf = real![..^2] + (real[^1] == 'A' ? "BB" : "AA");
        (await scientist.PostAsync("/api/v1/projects/p/uploads", body)).Json["error"]!.GetValue<string>().Should().Be("csrf");

        // A CSRF token of another session (another user's) does not fit this session either.
        using var other = await server.UserAsync("eve", "p", "data-scientist");
        scientist.Csrf = other.Csrf;
        (await scientist.PostAsync("/api/v1/projects/p/uploads", body)).Json["error"]!.GetValue<string>().Should().Be("csrf");

        scientist.Csrf = real;
        (await scientist.PostAsync("/api/v1/projects/p/uploads", body)).EnsureCreated();
        using var token = ApiClient.WithToken(server, await scientist.CreateTokenAsync("p", "push"));
        (await token.PostAsync("/api/v1/projects/p/uploads", body with { version = "2" })).EnsureCreated();
    }

    [Fact]
    public async Task Login_IssuesAFreshSession_PlantedCookieIsNeverPromoted_LogoutKillsEverySession()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var attacker = await server.UserAsync("mallory", "p", "viewer");
        using var victim = await server.UserAsync("victim", "p", "data-scientist");
        var planted = attacker.Cookie;

        // The victim's browser carries the attacker's cookie when logging in: the answer replaces it.
        victim.Cookie = planted;
        (await victim.LoginAsync(TestServer.Password)).EnsureOk();
        victim.Cookie.Should().NotBe(planted);
        (await victim.GetAsync("/api/v1/auth/me")).Json["user"]!.GetValue<string>().Should().Be("victim");
        attacker.Cookie = planted;
        (await attacker.GetAsync("/api/v1/auth/me")).Json["user"]!.GetValue<string>().Should().Be("mallory");

        // Logout ends all of the victim's sessions, including a copy of the cookie taken before.
        var stolen = victim.Cookie;
        (await victim.PostAsync("/api/v1/auth/logout", new { })).Code.Should().Be(204);
        using var thief = new ApiClient(server) { Cookie = stolen };
        (await thief.GetAsync("/api/v1/auth/me")).Code.Should().Be(401);
        // A forged or garbage cookie is no session.
        using var forger = new ApiClient(server) { Cookie = "__Host-rampart=CfDJ8forged" };
        (await forger.GetAsync("/api/v1/auth/me")).Code.Should().Be(401);
    }

    [Fact]
    public async Task SessionCookie_IsHostOnlySecureHttpOnlyStrict_AndEveryResponseCarriesSecurityHeaders()
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.Anonymous();
        client.UserName = "admin";
        using var raw = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = server.Host.Address };
        using var login = await raw.PostAsJsonAsync("/api/v1/auth/login", new { userName = "admin", password = TestServer.AdminPassword });
        var cookie = login.Headers.GetValues("Set-Cookie").Single();
        cookie.Should().StartWith("__Host-rampart=").And.Contain("secure").And.Contain("httponly").And.Contain("samesite=strict").And.Contain("path=/");
        cookie.Should().NotContain("domain=");
        foreach (var path in new[] { "/healthz", "/api/v1/auth/me", "/api/v1/no-such-thing" })
        {
            using var response = await raw.GetAsync(path);
            response.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
            response.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");
            response.Headers.GetValues("Content-Security-Policy").Single().Should().Contain("default-src 'none'");
            response.Headers.GetValues("Strict-Transport-Security").Should().NotBeEmpty();
            response.Headers.Contains("Server").Should().BeFalse();
        }
    }

    [Fact]
    public async Task RepeatedWrongPasswords_LockTheAccount_EvenAgainstTheRightPassword_AndAreAudited()
    {
        await using var server = await TestServer.StartAsync(configure: o => o with { MaxFailedLogins = 3 });
        await server.CreateProjectAsync("p");
        using var user = await server.UserAsync("dana", "p", "viewer");
        using var attacker = new ApiClient(server) { UserName = "dana" };
        for (var i = 0; i < 3; i++)
        {
            (await attacker.LoginAsync("guess-" + i)).Code.Should().Be(401);
        }

        (await attacker.LoginAsync(TestServer.Password)).Code.Should().Be(401, "the account is locked");
        (await user.GetAsync("/api/v1/auth/me")).Code.Should().Be(401, "a locked account's sessions end too");

        using var admin = await server.AdminAsync();
        var audit = (await admin.GetAsync("/api/v1/audit?limit=1000")).EnsureOk().Json.AsArray();
        audit.Count(e => e!["action"]!.GetValue<string>() == "login.failed" && e["actor"]!.GetValue<string>() == "dana").Should().Be(4);
        (await admin.PostAsync("/api/v1/users/dana/unlock", new { })).Code.Should().Be(204);
        (await attacker.LoginAsync(TestServer.Password)).EnsureOk();
    }

    [Fact]
    public async Task Lockout_EndsOnTheServerClock_NotBefore()
    {
        await using var server = await TestServer.StartAsync(configure: o => o with { MaxFailedLogins = 2, LockoutDuration = TimeSpan.FromMinutes(15) });
        await server.CreateProjectAsync("p");
        using var user = await server.UserAsync("dana", "p", "viewer");
        using var attacker = new ApiClient(server) { UserName = "dana" };
        (await attacker.LoginAsync("guess-1")).Code.Should().Be(401);
        (await attacker.LoginAsync("guess-2")).Code.Should().Be(401);

        server.Time.Advance(TimeSpan.FromMinutes(14));
        (await attacker.LoginAsync(TestServer.Password)).Code.Should().Be(401, "14 of 15 minutes have passed on the server's clock");
        server.Time.Advance(TimeSpan.FromMinutes(2));
        (await attacker.LoginAsync(TestServer.Password)).EnsureOk();

        // The count started again: one wrong guess after the lock does not lock the account anew.
        (await attacker.LoginAsync("guess-3")).Code.Should().Be(401);
        (await attacker.LoginAsync(TestServer.Password)).EnsureOk();
    }

    [Fact]
    public async Task TotpCode_IsAcceptedOnce_AndReviewerWithoutMfaCannotReview()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var reviewer = await server.UserAsync("rita", "p", "security-reviewer", mfa: true);
        var code = reviewer.NextCode();
        using var first = new ApiClient(server) { UserName = "rita" };
        (await first.LoginAsync(TestServer.Password, code)).EnsureOk();
        using var replay = new ApiClient(server) { UserName = "rita" };
        (await replay.LoginAsync(TestServer.Password, code)).Code.Should().Be(401, "the same code twice is a replay");
        (await replay.LoginAsync(TestServer.Password, "000000")).Code.Should().Be(401);
        var noCode = await replay.SendAsync(HttpMethod.Post, "/api/v1/auth/login", JsonContent.Create(new { userName = "rita", password = TestServer.Password }));
        noCode.Json["error"]!.GetValue<string>().Should().Be("totp_required");

        // A reviewer who has not enrolled TOTP can read but not review, and cannot mint a token that could.
        using var noMfa = await server.UserAsync("rob", "p", "security-reviewer");
        (await noMfa.GetAsync("/api/v1/projects/p/artifacts")).EnsureOk();
        var refused = await noMfa.PostAsync("/api/v1/projects/p/artifacts/m/versions/1/approve", new { });
        refused.Code.Should().Be(403);
        refused.Json["error"]!.GetValue<string>().Should().Be("mfa_required");
        (await noMfa.PostAsync("/api/v1/tokens", new { name = "t", project = "p", operations = new[] { "review" } })).Json["error"]!.GetValue<string>().Should().Be("mfa_required");
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("evil\u0000name")]
    [InlineData("line\nbreak")]
    [InlineData("tab\there")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("\u202Egnp.exe")]
    [InlineData("")]
    public async Task HostileNames_AreRefused_AndEchoedInertly(string name)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");
        foreach (var body in new object[]
        {
            new { artifact = name, version = "1", fileName = "m.bin" },
            new { artifact = "m", version = name, fileName = "m.bin" },
            new { artifact = "m", version = "1", fileName = name },
        })
        {
            var response = await scientist.PostAsync("/api/v1/projects/p/uploads", body);
            response.Code.Should().Be(400);
            response.Body.Should().NotContain("<script>").And.NotContain("\n");
        }

        using var admin = await server.AdminAsync();
        (await admin.PostAsync("/api/v1/projects", new { name })).Code.Should().Be(400);
        (await admin.PostAsync("/api/v1/users", new { userName = name, password = TestServer.Password })).Code.Should().Be(400);
        Directory.EnumerateFileSystemEntries(server.DataDirectory, "*", SearchOption.AllDirectories).Should().OnlyContain(p => p.StartsWith(server.DataDirectory, StringComparison.Ordinal));
    }

    [Fact]
    public async Task MarkupInFreeText_IsJsonEscapedInEveryResponse()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var reviewer = await server.UserAsync("rita", "p", "security-reviewer", mfa: true);
        const string Script = "<script>alert('x')</script><img src=x onerror=alert(1)>";
        var opened = (await reviewer.PostAsync("/api/v1/projects/p/incidents", new { type = "data-leak", title = Script })).EnsureCreated();
        var id = opened.Json["id"]!.GetValue<long>();
        (await reviewer.PostAsync($"/api/v1/projects/p/incidents/{id}/actions", new { action = "note", text = Script })).EnsureOk();
        foreach (var response in new[]
        {
            opened,
            await reviewer.GetAsync($"/api/v1/projects/p/incidents/{id}"),
            await reviewer.GetAsync("/api/v1/projects/p/incidents"),
            await reviewer.PostAsync($"/api/v1/projects/p/incidents/{id}/actions", new { action = Script }),
        })
        {
            response.Body.Should().NotContain("<").And.NotContain(">");
            response.ContentHeaders!.ContentType!.MediaType.Should().Be("application/json");
        }

        (await reviewer.GetAsync($"/api/v1/projects/p/incidents/{id}")).Json["title"]!.GetValue<string>().Should().Be(Script, "escaped, not altered");
    }

    [Fact]
    public async Task OversizedUploadsAndBodies_AreRefused_KeepingWhatCameBefore()
    {
        await using var server = await TestServer.StartAsync(configure: o => o with { MaxUploadBytes = 10_000, MaxSmallBodyBytes = 4096 });
        await server.CreateProjectAsync("p");
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");

        (await scientist.PostAsync("/api/v1/projects/p/uploads", new { artifact = "m", version = "big", fileName = "m.bin", size = 20_000 })).Code.Should().Be(413);

        var created = (await scientist.PostAsync("/api/v1/projects/p/uploads", new { artifact = "m", version = "1", fileName = "m.bin" })).EnsureCreated();
        var id = created.Json["upload"]!.GetValue<string>();
        (await scientist.PatchAsync("p", id, 0, new byte[6000])).EnsureOk();
        (await scientist.PatchAsync("p", id, 6000, new byte[6000])).Code.Should().Be(413);
        (await scientist.GetAsync($"/api/v1/projects/p/uploads/{id}")).Json["offset"]!.GetValue<long>().Should().Be(6000);

        var declared = (await scientist.PostAsync("/api/v1/projects/p/uploads", new { artifact = "m", version = "2", fileName = "m.bin", size = 100 })).EnsureCreated();
        (await scientist.PatchAsync("p", declared.Json["upload"]!.GetValue<string>(), 0, new byte[101])).Code.Should().Be(413);

        (await scientist.SendAsync(HttpMethod.Put, $"/api/v1/projects/p/uploads/{id}/signature", new ByteArrayContent(new byte[5000]))).Code.Should().Be(413);
        var hugeJson = new StringContent("{\"artifact\":\"" + new string('a', 8000) + "\"}", Encoding.UTF8, "application/json");
        (await scientist.SendAsync(HttpMethod.Post, "/api/v1/projects/p/uploads", hugeJson)).Code.Should().Be(413);
    }
}
