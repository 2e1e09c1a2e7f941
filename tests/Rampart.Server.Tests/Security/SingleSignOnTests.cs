using System.Net;
using System.Text.Json.Nodes;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Tests.Security;

/// <summary>
/// OpenID Connect single sign-on over real HTTP against <see cref="TestIdentityProvider"/>, a provider started in the
/// test on loopback: the browser's part (redirects and cookies) is played by hand, so every hop is visible.
/// </summary>
public sealed class SingleSignOnTests
{
    private static readonly OidcRoleMapping[] Mappings =
    [
        new("ml-scientists", "fraud", ProjectRoles.DataScientist),
        new("ml-reviewers", "fraud", ProjectRoles.SecurityReviewer),
        new("vision-readers", "vision", ProjectRoles.Viewer),
        new("ml-admins", "fraud", ProjectRoles.Admin),
    ];

    [Fact]
    public async Task FirstLogin_CreatesAnSsoAccount_MapsGroupsToRoles_AndFollowsTheGroupsAtTheNextLogin()
    {
        await using var idp = await TestIdentityProvider.StartAsync();
        await using var server = await StartAsync(idp);
        await server.CreateProjectAsync("fraud");
        await server.CreateProjectAsync("vision");
        await server.CreateProjectAsync("other");
        idp.Claims = User("sub-123", "erin", "ml-scientists", "ml-reviewers", "vision-readers", "unrelated");
        idp.Claims["email"] = "erin@example.test";
        idp.Claims["email_verified"] = true;

        var login = await SignInAsync(server, idp);
        login.Failure.Should().BeNull();
        var request = idp.AuthorizeRequests.Single();
        request["response_type"].Should().Be("code");
        request["code_challenge_method"].Should().Be("S256");
        request["nonce"].Should().NotBeNullOrEmpty();
        request["state"].Should().NotBeNullOrEmpty();
        idp.TokensIssued.Should().Be(1, "the code was redeemed with the PKCE verifier and the client secret");

        var me = (await login.Client!.GetAsync("/api/v1/auth/me")).EnsureOk().Json;
        me["user"]!.GetValue<string>().Should().Be("erin");
        me["ssoManaged"]!.GetValue<bool>().Should().BeTrue();
        me["mfa"]!.GetValue<bool>().Should().BeFalse();
        Roles(me).Should().BeEquivalentTo(new Dictionary<string, string> { ["fraud"] = ProjectRoles.SecurityReviewer, ["vision"] = ProjectRoles.Viewer }, "the reviewer group outranks the scientist group in fraud; 'other' is not mapped");
        (await login.Client.GetAsync("/api/v1/projects/vision/artifacts")).EnsureOk();
        (await login.Client.GetAsync("/api/v1/projects/other/artifacts")).Code.Should().Be(403);

        var admin = await server.AdminAsync();
        var users = (await admin.GetAsync("/api/v1/users")).EnsureOk().Json.AsArray();
        users.Where(u => u!["userName"]!.GetValue<string>() == "erin").Should().ContainSingle().Which!["email"]!.GetValue<string>().Should().Be("erin@example.test");

        // The account has no password: only the IdP signs it in.
        var password = new ApiClient(server) { UserName = "erin" };
        (await password.LoginAsync("")).Code.Should().Be(401);

        // Next login: the IdP dropped the reviewer and scientist groups. Same account, fraud membership gone.
        idp.Claims = User("sub-123", "erin-renamed", "vision-readers");
        var again = await SignInAsync(server, idp);
        again.Failure.Should().BeNull();
        var me2 = (await again.Client!.GetAsync("/api/v1/auth/me")).EnsureOk().Json;
        me2["user"]!.GetValue<string>().Should().Be("erin", "the account is found by issuer and subject, not by name");
        Roles(me2).Should().BeEquivalentTo(new Dictionary<string, string> { ["vision"] = ProjectRoles.Viewer });
        (await again.Client.GetAsync("/api/v1/projects/fraud/artifacts")).Code.Should().Be(403);

        var audit = await AuditAsync(server);
        audit.Should().Contain(e => e.Action == "user.created" && e.Detail.Contains("SSO-managed", StringComparison.Ordinal));
        audit.Count(e => e.Action == "login" && e.Actor == "erin" && e.Detail == "sso").Should().Be(2);
        audit.Should().Contain(e => e.Action == "role.set" && e.Project == "fraud" && e.Detail.StartsWith("erin: none -> security-reviewer", StringComparison.Ordinal));
        audit.Should().Contain(e => e.Action == "role.removed" && e.Project == "fraud" && e.Detail.StartsWith("erin: security-reviewer -> none", StringComparison.Ordinal));
    }

    [Fact]
    public async Task IdTokens_WithWrongNonceIssuerAudienceExpiryOrSignature_AreRefusedAndAudited()
    {
        await using var idp = await TestIdentityProvider.StartAsync();
        await using var server = await StartAsync(idp);
        var cases = new (string Name, Action<Dictionary<string, object>>? Tamper, bool Stranger)[]
        {
            ("wrong nonce", p => p["nonce"] = "a-nonce-this-server-never-sent", false),
            ("no nonce", p => p.Remove("nonce"), false),
            ("wrong issuer", p => p["iss"] = "https://evil.example", false),
            ("wrong audience", p => p["aud"] = "another-client", false),
            ("expired", p => { var past = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds(); p["iat"] = past - 600; p["exp"] = past; }, false),
            ("bad signature", null, true),
        };
        foreach (var (name, tamper, stranger) in cases)
        {
            idp.Claims = User("sub-" + name.Replace(' ', '-'), "mallory-" + name.Replace(' ', '-'), "ml-admins");
            idp.Tamper = tamper;
            idp.SignWithStrangerKey = stranger;
            var login = await SignInAsync(server, idp);
            login.Failure.Should().Be("/ui/sign-in?sso=failed", name);
            login.Client.Should().BeNull(name + ": no session cookie");
        }

        var admin = await server.AdminAsync();
        var users = (await admin.GetAsync("/api/v1/users")).EnsureOk().Json.AsArray();
        users.Select(u => u!["userName"]!.GetValue<string>()).Should().NotContain(n => n.StartsWith("mallory", StringComparison.Ordinal), "no refused login creates an account");
        var failures = (await AuditAsync(server)).Where(e => e.Action == "login.failed" && e.Detail.StartsWith("sso: ", StringComparison.Ordinal)).ToList();
        failures.Should().HaveCount(cases.Length);
    }

    [Fact]
    public async Task AUserWithoutAMappedGroup_GetsNoProjectAccess_AndALocalNameIsNeverTakenOver()
    {
        await using var idp = await TestIdentityProvider.StartAsync();
        await using var server = await StartAsync(idp);
        await server.CreateProjectAsync("fraud");
        idp.Claims = User("sub-777", "frank", "marketing");
        var login = await SignInAsync(server, idp);
        login.Failure.Should().BeNull(string.Join(" | ", (await AuditAsync(server)).Where(e => e.Action == "login.failed").Select(e => e.Detail)));
        var me = (await login.Client!.GetAsync("/api/v1/auth/me")).EnsureOk().Json;
        Roles(me).Should().BeEmpty();
        (await login.Client.GetAsync("/api/v1/projects")).EnsureOk().Json.AsArray().Should().BeEmpty();
        (await login.Client.GetAsync("/api/v1/projects/fraud/artifacts")).Code.Should().Be(403);

        // A local account named "dana" exists; an IdP identity calling itself dana (even an admin group) is refused, not linked.
        using var dana = await server.UserAsync("dana", "fraud", ProjectRoles.Viewer);
        idp.Claims = User("sub-888", "dana", "ml-admins");
        idp.Claims["email"] = "dana@example.test";
        idp.Claims["email_verified"] = true;
        var takeover = await SignInAsync(server, idp);
        takeover.Failure.Should().Be("/ui/sign-in?sso=refused");
        takeover.Client.Should().BeNull();
        (await AuditAsync(server)).Should().Contain(e => e.Action == "login.failed" && e.Detail.Contains("never linked", StringComparison.Ordinal));
        var members = (await dana.GetAsync("/api/v1/projects/fraud/members")).EnsureOk().Json.AsArray();
        members.Single(m => m!["user"]!.GetValue<string>() == "dana")!["role"]!.GetValue<string>().Should().Be(ProjectRoles.Viewer);
    }

    [Fact]
    public async Task AnAdminViaSso_WithoutATrustedMfaClaim_MustEnrolTotp_AndThenStepUpAtEachLogin()
    {
        await using var idp = await TestIdentityProvider.StartAsync();
        await using var server = await StartAsync(idp);
        await server.CreateProjectAsync("fraud");

        // The IdP says "mfa", but this server is not configured to trust it.
        idp.Claims = User("sub-ada", "ada", "ml-admins");
        idp.Claims["amr"] = new[] { "pwd", "mfa" };
        var login = await SignInAsync(server, idp);
        login.Failure.Should().BeNull();
        var client = login.Client!;
        (await client.GetAsync("/api/v1/projects/fraud/incidents")).Code.Should().Be(403);
        (await client.GetAsync("/api/v1/projects/fraud/incidents")).Json["error"]!.GetValue<string>().Should().Be("mfa_required");

        await client.EnrolTotpAsync();
        (await client.GetAsync("/api/v1/projects/fraud/incidents")).EnsureOk();

        // The next SSO login lands on the TOTP step; the session can read but not administer until the code.
        var next = await SignInAsync(server, idp);
        next.Next.Should().StartWith("/ui/sign-in?step=totp");
        var second = next.Client!;
        second.Secret = client.Secret;
        (await second.GetAsync("/api/v1/projects/fraud/incidents")).Json["error"]!.GetValue<string>().Should().Be("mfa_required");
        (await second.PostAsync("/api/v1/account/mfa/verify", new { code = "000000" })).Code.Should().Be(400);
        var verified = (await second.PostAsync("/api/v1/account/mfa/verify", new { code = second.NextCode() })).EnsureOk();
        second.Csrf = verified.Json["csrfToken"]!.GetValue<string>();
        (await second.GetAsync("/api/v1/projects/fraud/incidents")).EnsureOk();
        (await AuditAsync(server)).Should().Contain(e => e.Action == "login.mfa" && e.Actor == "ada");
    }

    [Fact]
    public async Task ATrustedAmrClaim_StandsInForTotp_OnlyWhenConfigured_AndOnlyWithATrustedValue()
    {
        await using var idp = await TestIdentityProvider.StartAsync();
        await using var server = await StartAsync(idp, trustIdpMfa: true);
        await server.CreateProjectAsync("fraud");
        idp.Claims = User("sub-rev", "rita", "ml-reviewers");
        idp.Claims["amr"] = new[] { "pwd", "mfa" };
        var strong = await SignInAsync(server, idp);
        (await strong.Client!.GetAsync("/api/v1/auth/me")).Json["mfa"]!.GetValue<bool>().Should().BeTrue();
        (await strong.Client.GetAsync("/api/v1/projects/fraud/incidents")).EnsureOk();

        idp.Claims["amr"] = new[] { "pwd" };
        var weak = await SignInAsync(server, idp);
        (await weak.Client!.GetAsync("/api/v1/auth/me")).Json["mfa"]!.GetValue<bool>().Should().BeFalse();
        (await weak.Client.GetAsync("/api/v1/projects/fraud/incidents")).Json["error"]!.GetValue<string>().Should().Be("mfa_required");
        (await AuditAsync(server)).Where(e => e.Action == "login" && e.Actor == "rita").Select(e => e.Detail).Should().Equal("sso+idp-mfa", "sso");
    }

    [Fact]
    public async Task WithSso_TheSignInPageOffersTheIdp_AndOnlyHealthLoginAndSsoStartAnswerStrangers()
    {
        await using var idp = await TestIdentityProvider.StartAsync();
        await using var server = await StartAsync(idp);
        server.Host.Endpoints.Where(e => e.Metadata.GetMetadata<Requires>()?.Level == AccessLevel.Anonymous)
            .Select(e => (e as Microsoft.AspNetCore.Routing.RouteEndpoint)?.RoutePattern.RawText)
            .Should().BeEquivalentTo("/healthz", "/api/v1/auth/login", "/api/v1/auth/sso");
        var page = await server.Anonymous().GetAsync("/ui/sign-in");
        page.EnsureOk();
        page.Body.Should().Contain("Sign in with Test IdP").And.Contain("href=\"/api/v1/auth/sso?next=%2Fui%2F\"");
        var failed = await server.Anonymous().GetAsync("/ui/sign-in?sso=failed");
        failed.Body.Should().Contain("Single sign-on failed");

        // Without SSO configured there is no button and no SSO endpoint.
        await using var plain = await TestServer.StartAsync();
        (await plain.Anonymous().GetAsync("/ui/sign-in")).Body.Should().NotContain("Sign in with");
        (await plain.Anonymous().GetAsync("/api/v1/auth/sso")).Code.Should().Be(404);
    }

    [Fact]
    public void Configuration_RefusesPlainHttpIdps_AndSecretsInTheFile()
    {
        var good = new OidcOptions { Authority = "https://idp.example", ClientId = "c" };
        good.Validate();
        FluentActions.Invoking(() => (good with { Authority = "http://idp.example" }).Validate()).Should().Throw<ArgumentException>().WithMessage("*https*");
        FluentActions.Invoking(() => (good with { Authority = "http://127.0.0.1:1" }).Validate()).Should().Throw<ArgumentException>().WithMessage("*https*");
        (good with { Authority = "http://127.0.0.1:1", AllowInsecureLoopback = true }).Validate();
        FluentActions.Invoking(() => (good with { Authority = "http://idp.example", AllowInsecureLoopback = true }).Validate()).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => (good with { Roles = [new("g", "p", "owner")] }).Validate()).Should().Throw<ArgumentException>().WithMessage("*role*");

        using var temp = new Rampart.TestKit.TempDirectory();
        var withSecret = temp.File("a.json");
        File.WriteAllText(withSecret, """{"authority":"https://idp.example","clientId":"c","clientSecret":"s"}""");
        FluentActions.Invoking(() => OidcOptions.Load(withSecret, _ => null)).Should().Throw<ArgumentException>().WithMessage("*secret*");

        var fromEnv = temp.File("b.json");
        File.WriteAllText(fromEnv, """{"authority":"https://idp.example","clientId":"c","clientSecretEnv":"IDP_SECRET","roles":[{"group":"g","project":"p","role":"viewer"}]}""");
        var loaded = OidcOptions.Load(fromEnv, v => v == "IDP_SECRET" ? "from-env" : null);
        loaded.ClientSecret.Should().Be("from-env");
        loaded.Roles.Should().ContainSingle().Which.Should().Be(new OidcRoleMapping("g", "p", "viewer"));
        FluentActions.Invoking(() => OidcOptions.Load(fromEnv, _ => null)).Should().Throw<ArgumentException>().WithMessage("*IDP_SECRET*");

        var typo = temp.File("c.json");
        File.WriteAllText(typo, """{"authority":"https://idp.example","clientId":"c","trustIdpMFA":true}""");
        FluentActions.Invoking(() => OidcOptions.Load(typo, _ => null)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public async Task TheServerCommand_RefusesABadOidcFile_WithAUsageError_BeforeListening()
    {
        using var temp = new Rampart.TestKit.TempDirectory();
        File.WriteAllText(temp.File("oidc.json"), """{"authority":"http://idp.example","clientId":"c"}""");
        var (exit, _, error) = await RampartProcess.RunAsync(null, temp.Path, "server", "--data", "data", "--listen", "http://127.0.0.1:0", "--oidc", "oidc.json");
        exit.Should().Be(3, error);
        error.Should().Contain("https").And.NotContain("   at ");
    }

    private static Task<TestServer> StartAsync(TestIdentityProvider idp, bool trustIdpMfa = false) =>
        TestServer.StartAsync(configure: o => o with { Oidc = idp.Options(Mappings, trustIdpMfa) });

    private static Dictionary<string, object> User(string subject, string name, params string[] groups) => new(StringComparer.Ordinal)
    {
        ["sub"] = subject,
        ["preferred_username"] = name,
        ["groups"] = groups,
    };

    private static Dictionary<string, string> Roles(JsonNode me) =>
        me["roles"]!.AsArray().ToDictionary(r => r!["project"]!.GetValue<string>(), r => r!["role"]!.GetValue<string>());

    private static async Task<List<(string Actor, string Action, string? Project, string Detail)>> AuditAsync(TestServer server)
    {
        var admin = await server.AdminAsync();
        return (await admin.GetAsync("/api/v1/audit?limit=1000")).EnsureOk().Json.AsArray()
            .Select(e => (e!["actor"]!.GetValue<string>(), e["action"]!.GetValue<string>(), e["project"]?.GetValue<string>(), e["detail"]?.GetValue<string>() ?? "")).ToList();
    }

    /// <summary>The outcome of one SSO sign-in: a client holding the new session and where the page sends it, or where the failure redirected.</summary>
    private sealed record SsoLogin(ApiClient? Client, string? Next, string? Failure);

    /// <summary>What a browser does: start at the server, follow to the IdP, come back to the callback with the server's cookies.</summary>
    private static async Task<SsoLogin> SignInAsync(TestServer server, TestIdentityProvider idp)
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false });
        var jar = new Dictionary<string, string>(StringComparer.Ordinal);

        using var start = await http.GetAsync(new Uri(server.Host.Address, "/api/v1/auth/sso?next=/ui/"));
        start.StatusCode.Should().Be(HttpStatusCode.Redirect);
        Keep(start, jar);
        var authorize = start.Headers.Location!;
        authorize.GetLeftPart(UriPartial.Path).Should().Be(idp.Issuer + "/authorize");

        using var atIdp = await http.GetAsync(authorize);
        atIdp.StatusCode.Should().Be(HttpStatusCode.Redirect, await atIdp.Content.ReadAsStringAsync());
        var callback = atIdp.Headers.Location!;
        callback.AbsolutePath.Should().Be(OidcOptions.CallbackPath);

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Host.Address, callback.PathAndQuery));
        request.Headers.Add("Cookie", string.Join("; ", jar.Select(c => $"{c.Key}={c.Value}")));
        using var back = await http.SendAsync(request);
        Keep(back, jar);
        var body = await back.Content.ReadAsStringAsync();
        if (back.StatusCode == HttpStatusCode.Redirect)
        {
            jar.Should().NotContainKey("__Host-rampart");
            return new SsoLogin(null, null, back.Headers.Location!.OriginalString);
        }

        back.StatusCode.Should().Be(HttpStatusCode.OK, body);
        var next = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(body, "<a href=\"([^\"]+)\">").Groups[1].Value);
        var client = new ApiClient(server) { Cookie = "__Host-rampart=" + jar["__Host-rampart"] };
        client.Csrf = (await client.GetAsync("/api/v1/auth/me")).EnsureOk().Json["csrfToken"]!.GetValue<string>();
        return new SsoLogin(client, next, null);
    }

    private static void Keep(HttpResponseMessage response, Dictionary<string, string> jar)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            return;
        }

        foreach (var cookie in cookies)
        {
            var pair = cookie.Split(';')[0];
            var cut = pair.IndexOf('=', StringComparison.Ordinal);
            var (name, value) = (pair[..cut], pair[(cut + 1)..]);
            if (value.Length == 0 || cookie.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
            {
                jar.Remove(name);
            }
            else
            {
                jar[name] = value;
            }
        }
    }
}
