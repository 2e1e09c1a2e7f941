using System.Net.Http.Json;
using Microsoft.AspNetCore.Routing;
using Rampart.Server.Hosting;

namespace Rampart.Server.Tests.Security;

/// <summary>
/// Every endpoint x every kind of caller -> allowed or refused (401 to strangers, 403 to the signed-in). The table
/// is written out by hand, row per endpoint; the endpoint list comes from the running server, so an endpoint added
/// without a row (or a row left after its endpoint went) fails the test.
/// </summary>
public sealed class AuthorizationMatrixTests
{
    /// <summary>Who calls: anonymous, project roles in "p", server admin, a user with no role in "p", two tokens.</summary>
    [Flags]
    private enum Who
    {
        None = 0,
        Anonymous = 1,
        Viewer = 2,
        DataScientist = 4,
        Reviewer = 8,
        ProjectAdmin = 16,
        ServerAdmin = 32,
        Outsider = 64,

        /// <summary>A viewer's token for "p" with read and alarm.</summary>
        ReadToken = 128,

        /// <summary>An admin's token for project "q" with every operation: must get nothing in "p".</summary>
        OtherProjectToken = 256,
    }

    private const Who Sessions = Who.Viewer | Who.DataScientist | Who.Reviewer | Who.ProjectAdmin | Who.ServerAdmin | Who.Outsider;
    private const Who SignedIn = Sessions | Who.ReadToken | Who.OtherProjectToken;
    private const Who Everyone = SignedIn | Who.Anonymous;
    private const Who Members = Who.Viewer | Who.DataScientist | Who.Reviewer | Who.ProjectAdmin | Who.ServerAdmin;
    private const Who Readers = Members | Who.ReadToken;
    private const Who Pushers = Who.DataScientist | Who.ProjectAdmin | Who.ServerAdmin;
    private const Who Reviewers = Who.Reviewer | Who.ProjectAdmin | Who.ServerAdmin;
    private const Who Managers = Who.ProjectAdmin | Who.ServerAdmin;
    private const Who Reporters = Who.DataScientist | Who.Reviewer | Who.ProjectAdmin | Who.ServerAdmin;

    private const string V = "/api/v1/projects/{project}/artifacts/{artifact}/versions/{version}";
    private const string U = "/api/v1/projects/{project}/uploads/{upload}";
    private const string I = "/api/v1/projects/{project}/incidents/{incident}";

    private static readonly Dictionary<string, Who> Matrix = new(StringComparer.Ordinal)
    {
        ["GET /healthz"] = Everyone,
        ["POST /api/v1/auth/login"] = Everyone,
        ["POST /api/v1/auth/logout"] = Sessions,
        ["GET /api/v1/auth/me"] = SignedIn,
        ["POST /api/v1/account/mfa/enroll"] = Sessions,
        ["POST /api/v1/account/mfa/confirm"] = Sessions,
        ["GET /api/v1/tokens"] = Sessions,
        ["POST /api/v1/tokens"] = Sessions,
        ["DELETE /api/v1/tokens/{token}"] = Sessions,
        ["GET /api/v1/users"] = Who.ServerAdmin,
        ["POST /api/v1/users"] = Who.ServerAdmin,
        ["POST /api/v1/users/{user}/unlock"] = Who.ServerAdmin,
        ["GET /api/v1/projects"] = SignedIn,
        ["POST /api/v1/projects"] = Who.ServerAdmin,
        ["GET /api/v1/audit"] = Who.ServerAdmin,
        ["GET /api/v1/playbooks"] = SignedIn,
        ["GET /api/v1/openapi.json"] = SignedIn,
        ["GET /api/v1/projects/{project}"] = Readers,
        ["GET /api/v1/projects/{project}/members"] = Readers,
        ["PUT /api/v1/projects/{project}/members/{user}"] = Managers,
        ["DELETE /api/v1/projects/{project}/members/{user}"] = Managers,
        ["GET /api/v1/projects/{project}/keys"] = Readers,
        ["POST /api/v1/projects/{project}/keys"] = Managers,
        ["DELETE /api/v1/projects/{project}/keys/{key}"] = Managers,
        ["GET /api/v1/projects/{project}/artifacts"] = Readers,
        ["GET /api/v1/projects/{project}/artifacts/{artifact}/versions"] = Readers,
        ["GET " + V] = Readers,
        ["GET " + V + "/content"] = Readers,
        ["POST " + V + "/approve"] = Reviewers,
        ["POST " + V + "/reject"] = Reviewers,
        ["POST " + V + "/revoke"] = Reviewers,
        ["POST /api/v1/projects/{project}/uploads"] = Pushers,
        ["GET " + U] = Pushers,
        ["PATCH " + U] = Pushers,
        ["PUT " + U + "/signature"] = Pushers,
        ["PUT " + U + "/requirements"] = Pushers,
        ["PUT " + U + "/report"] = Pushers,
        ["POST " + U + "/complete"] = Pushers,
        ["DELETE " + U] = Pushers,
        ["GET /api/v1/projects/{project}/revocations"] = Readers,
        ["POST /api/v1/projects/{project}/runs"] = Pushers,
        ["GET /api/v1/projects/{project}/incidents"] = Reviewers,
        ["POST /api/v1/projects/{project}/incidents"] = Reviewers,
        ["POST /api/v1/projects/{project}/alarms"] = Readers,
        ["GET " + I] = Reviewers,
        ["POST " + I + "/actions"] = Reviewers,
        ["POST " + I + "/close"] = Reviewers,
        ["GET /api/v1/projects/{project}/tabletop"] = Reviewers,
        ["POST /api/v1/projects/{project}/tabletop"] = Reviewers,
        ["GET /api/v1/projects/{project}/tabletop/{run}"] = Reviewers,
        ["POST /api/v1/projects/{project}/tabletop/{run}/advance"] = Reviewers,
        ["POST /api/v1/projects/{project}/tabletop/{run}/finish"] = Reviewers,
        ["POST /api/v1/projects/{project}/gateway/events"] = Reporters,
        ["POST /api/v1/projects/{project}/redteam/runs"] = Reporters,
        ["GET /api/v1/projects/{project}/redteam/runs"] = Readers,
    };

    private static readonly Dictionary<string, string> RouteValues = new(StringComparer.Ordinal)
    {
        ["{project}"] = "p",
        ["{artifact}"] = "no-such-model",
        ["{version}"] = "1",
        ["{upload}"] = "no-such-upload",
        ["{user}"] = "no-such-user",
        ["{key}"] = "999999",
        ["{token}"] = "rmp_000000000000",
        ["{incident}"] = "999999",
        ["{run}"] = "999999",
    };

    private static readonly string[] Refusals = ["unauthenticated", "forbidden", "mfa_required", "session_required", "csrf"];

    [Fact]
    public async Task EveryEndpoint_EveryCaller_GetsTheExpectedAnswer()
    {
        await using var server = await TestServer.StartAsync();
        var endpoints = server.Host.Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToHashSet(StringComparer.Ordinal);
        endpoints.Except(Matrix.Keys).Should().BeEmpty("every endpoint needs a row in the authorisation matrix");
        Matrix.Keys.Except(endpoints).Should().BeEmpty("every row must name an endpoint the server has");
        server.Host.Endpoints.Where(e => e.Metadata.GetMetadata<Requires>()?.Level == AccessLevel.Anonymous).Should().HaveCount(2, "only health and login answer strangers");

        await server.CreateProjectAsync("p");
        await server.CreateProjectAsync("q");
        var callers = new Dictionary<Who, ApiClient>
        {
            [Who.Anonymous] = server.Anonymous(),
            [Who.Viewer] = await server.UserAsync("viewer", "p", "viewer"),
            [Who.DataScientist] = await server.UserAsync("scientist", "p", "data-scientist"),
            [Who.Reviewer] = await server.UserAsync("reviewer", "p", "security-reviewer", mfa: true),
            [Who.ProjectAdmin] = await server.UserAsync("padmin", "p", "admin", mfa: true),
            [Who.ServerAdmin] = await server.AdminAsync(),
            [Who.Outsider] = await server.UserAsync("outsider", "q", "admin", mfa: true),
        };
        callers[Who.ReadToken] = ApiClient.WithToken(server, await callers[Who.Viewer].CreateTokenAsync("p", "read", "alarm"));
        callers[Who.OtherProjectToken] = ApiClient.WithToken(server, await callers[Who.Outsider].CreateTokenAsync("q", "read", "push", "review", "revoke", "incident", "alarm", "manage"));

        var failures = new List<string>();
        foreach (var (who, client) in callers)
        {
            // Logging out ends the caller's sessions, so it goes last.
            foreach (var row in Matrix.OrderBy(r => r.Key == "POST /api/v1/auth/logout").ThenBy(r => r.Key, StringComparer.Ordinal))
            {
                var method = row.Key[..row.Key.IndexOf(' ', StringComparison.Ordinal)];
                var path = RouteValues.Aggregate(row.Key[(method.Length + 1)..], (p, v) => p.Replace(v.Key, v.Value, StringComparison.Ordinal));
                var body = method is "GET" or "DELETE" ? null
                    : row.Key.EndsWith("/auth/login", StringComparison.Ordinal) ? JsonContent.Create(new { userName = "nobody", password = "wrong" })
                    : JsonContent.Create(new { });
                var response = await client.SendAsync(new HttpMethod(method), path, body);
                var error = response.Body.StartsWith('{') ? response.Json["error"]?.GetValue<string>() : null;
                var refused = response.Code is 401 or 403 && error is not null && Refusals.Contains(error);
                var allowed = row.Value.HasFlag(who);
                if (allowed && (refused || response.Code >= 500))
                {
                    failures.Add($"{who} {row.Key}: expected access, got {response.Code} {response.Body}");
                }
                else if (!allowed && response.Code != (who == Who.Anonymous ? 401 : 403))
                {
                    failures.Add($"{who} {row.Key}: expected {(who == Who.Anonymous ? 401 : 403)}, got {response.Code} {response.Body}");
                }
            }
        }

        failures.Should().BeEmpty();
        foreach (var client in callers.Values)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task ProjectToken_CannotReadAnotherProject_EvenWhenItsOwnerCan()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("alpha");
        await server.CreateProjectAsync("beta");
        using var both = await server.UserAsync("both", "alpha", "data-scientist");
        using var admin = await server.AdminAsync();
        (await admin.PutAsync("/api/v1/projects/beta/members/both", new { role = "data-scientist" })).EnsureOk();
        (await both.UploadAsync("beta", "m", "1", "model.safetensors", Models.CleanSafetensors())).EnsureCreated();
        (await both.GetAsync("/api/v1/projects/beta/artifacts")).EnsureOk();

        using var alphaToken = ApiClient.WithToken(server, await both.CreateTokenAsync("alpha", "read", "push"));
        (await alphaToken.GetAsync("/api/v1/projects/alpha/artifacts")).EnsureOk();
        foreach (var path in new[] { "/api/v1/projects/beta/artifacts", "/api/v1/projects/beta/artifacts/m/versions/1", "/api/v1/projects/beta/revocations", "/api/v1/projects/nonexistent/artifacts" })
        {
            (await alphaToken.GetAsync(path)).Code.Should().Be(403, path);
        }

        (await alphaToken.PostAsync("/api/v1/projects/beta/uploads", new { artifact = "x", version = "1", fileName = "a.bin" })).Code.Should().Be(403);
        // A read-only token cannot push even in its own project, and cannot be widened beyond its owner's role.
        using var readOnly = ApiClient.WithToken(server, await both.CreateTokenAsync("alpha", "read"));
        (await readOnly.PostAsync("/api/v1/projects/alpha/uploads", new { artifact = "x", version = "1", fileName = "a.bin" })).Code.Should().Be(403);
        (await both.PostAsync("/api/v1/tokens", new { name = "wide", project = "alpha", operations = new[] { "review" } })).Code.Should().Be(403);
    }
}
