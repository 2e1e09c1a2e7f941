using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using OtpNet;
using Rampart.Integrity.Hashing;
using Rampart.Integrity.Signing;
using Rampart.Server.Hosting;
using Rampart.TestKit;

namespace Rampart.Server.Tests;

/// <summary>A clock the tests move: TOTP steps, token expiry and upload expiry without waiting.</summary>
internal sealed class ManualTime : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>A fresh PostgreSQL database on the server of RAMPART_TEST_POSTGRES, dropped at the end.</summary>
internal sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly string _admin;

    private PostgresDatabase(string admin, string name, string url)
    {
        _admin = admin;
        Name = name;
        Url = url;
    }

    public string Name { get; }

    public string Url { get; }

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var baseUrl = PostgresFactAttribute.ConnectionString!;
        var admin = Provenance.Storage.PostgresUrl.ToConnectionString(baseUrl);
        var name = "rampart_srv_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new PostgresDatabase(admin, name, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>A running server on loopback with its own data folder and clock, plus helpers to make users and sessions.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const string AdminPassword = "admin-password-for-tests";
    public const string Password = "a-long-enough-password";
    private readonly TempDirectory _data;
    private readonly PostgresDatabase? _postgres;

    private TestServer(ServerHost host, TempDirectory data, ManualTime time, ServerOptions options, PostgresDatabase? postgres)
    {
        Host = host;
        _data = data;
        Time = time;
        Options = options;
        _postgres = postgres;
    }

    public ServerHost Host { get; private set; }

    public ManualTime Time { get; }

    public ServerOptions Options { get; }

    public string DataDirectory => _data.Path;

    public static async Task<TestServer> StartAsync(bool postgres = false, Func<ServerOptions, ServerOptions>? configure = null)
    {
        var data = new TempDirectory();
        var time = new ManualTime();
        var database = postgres ? await PostgresDatabase.CreateAsync() : null;
        var options = new ServerOptions
        {
            DataDirectory = data.Path,
            Database = database?.Url,
            Listen = "http://127.0.0.1:0",
            AdminPassword = AdminPassword,
            Time = time,
        };
        options = configure?.Invoke(options) ?? options;
        var host = await ServerHost.StartAsync(options);
        return new TestServer(host, data, time, options, database);
    }

    public ApiClient Anonymous() => new(this);

    /// <summary>Stops the server and starts it again on the same data, database and address family (a new port).</summary>
    public async Task RestartAsync()
    {
        await Host.DisposeAsync();
        Host = await ServerHost.StartAsync(Options);
    }

    /// <summary>The administrator, signed in with TOTP (enrolled on first use).</summary>
    public async Task<ApiClient> AdminAsync()
    {
        var client = new ApiClient(this) { UserName = Options.AdminUserName, Secret = _adminSecret };
        await client.LoginAsync(AdminPassword);
        if (_adminSecret is null)
        {
            _adminSecret = await client.EnrolTotpAsync();
            client.Secret = _adminSecret;
        }

        return client;
    }

    private byte[]? _adminSecret;

    /// <summary>Creates a user with <paramref name="role"/> in <paramref name="project"/> (TOTP enrolled when <paramref name="mfa"/>), signed in.</summary>
    public async Task<ApiClient> UserAsync(string name, string? project, string? role, bool mfa = false)
    {
        var admin = await AdminAsync();
        (await admin.PostAsync("/api/v1/users", new { userName = name, password = Password })).EnsureCreated();
        if (project is not null && role is not null)
        {
            (await admin.PutAsync($"/api/v1/projects/{project}/members/{name}", new { role })).EnsureOk();
        }

        var client = new ApiClient(this) { UserName = name };
        await client.LoginAsync(Password);
        if (mfa)
        {
            client.Secret = await client.EnrolTotpAsync();
        }

        return client;
    }

    public async Task CreateProjectAsync(string name)
    {
        var admin = await AdminAsync();
        (await admin.PostAsync("/api/v1/projects", new { name })).EnsureCreated();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        _data.Dispose();
    }
}

/// <summary>A response read whole: status, headers, body text and JSON.</summary>
internal sealed record ApiResponse(HttpStatusCode Status, HttpResponseHeaders Headers, HttpContentHeaders? ContentHeaders, string Body)
{
    public int Code => (int)Status;

    public JsonNode Json => JsonNode.Parse(Body)!;

    public ApiResponse EnsureOk()
    {
        Code.Should().BeInRange(200, 299, Body);
        return this;
    }

    public ApiResponse EnsureCreated()
    {
        Code.Should().Be(201, Body);
        return this;
    }
}

/// <summary>
/// A client that keeps its session cookie by hand (the cookie is Secure, and tests talk plain HTTP on loopback, as
/// the TLS proxy in front of a deployment does), sends the CSRF header with state changes, or an API token.
/// </summary>
internal sealed class ApiClient(TestServer? server, Uri? address = null) : IDisposable
{
    private readonly HttpClient _http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = address ?? server!.Host.Address, Timeout = TimeSpan.FromSeconds(120) };

    public string? UserName { get; set; }

    public byte[]? Secret { get; set; }

    public string? Cookie { get; set; }

    public string? Csrf { get; set; }

    public string? Token { get; set; }

    public bool SendCsrf { get; set; } = true;

    public static ApiClient WithToken(TestServer server, string token) => new(server) { Token = token };

    /// <summary>The current TOTP code; the clock moves a step on so the next code differs (codes are single-use).</summary>
    public string NextCode()
    {
        if (server is null)
        {
            // A server in another process runs on the real clock: one code per 30-second step.
            return new Totp(Secret!).ComputeTotp(DateTime.UtcNow);
        }

        server.Time.Advance(TimeSpan.FromSeconds(30));
        return new Totp(Secret!).ComputeTotp(server.Time.GetUtcNow().UtcDateTime);
    }

    public async Task<ApiResponse> LoginAsync(string password, string? code = null)
    {
        var response = await SendAsync(HttpMethod.Post, "/api/v1/auth/login", JsonContent.Create(new { userName = UserName, password, totp = code ?? (Secret is null ? null : NextCode()) }));
        if (response.Code == 200)
        {
            Csrf = response.Json["csrfToken"]!.GetValue<string>();
        }

        return response;
    }

    /// <summary>Enrols TOTP and confirms it; the session becomes an MFA session. Returns the secret.</summary>
    public async Task<byte[]> EnrolTotpAsync()
    {
        var enrol = (await PostAsync("/api/v1/account/mfa/enroll", new { })).EnsureOk();
        var secret = Base32Encoding.ToBytes(enrol.Json["secret"]!.GetValue<string>());
        Secret = secret;
        var confirm = (await PostAsync("/api/v1/account/mfa/confirm", new { code = NextCode() })).EnsureOk();
        Csrf = confirm.Json["csrfToken"]!.GetValue<string>();
        return secret;
    }

    public async Task<string> CreateTokenAsync(string project, params string[] operations)
    {
        var response = (await PostAsync("/api/v1/tokens", new { name = "ci", project, operations })).EnsureCreated();
        return response.Json["token"]!.GetValue<string>();
    }

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public Task<ApiResponse> PostAsync(string path, object body) => SendAsync(HttpMethod.Post, path, JsonContent.Create(body));

    public Task<ApiResponse> PutAsync(string path, object body) => SendAsync(HttpMethod.Put, path, JsonContent.Create(body));

    public Task<ApiResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null);

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, HttpContent? content, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (Token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        if (Cookie is not null)
        {
            request.Headers.Add("Cookie", Cookie);
        }

        if (Csrf is not null && SendCsrf && method != HttpMethod.Get)
        {
            request.Headers.Add("X-CSRF-Token", Csrf);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            foreach (var cookie in cookies)
            {
                var pair = cookie.Split(';')[0];
                Cookie = pair.EndsWith('=') ? null : pair;
            }
        }

        var body = await response.Content.ReadAsStringAsync();
        return new ApiResponse(response.StatusCode, response.Headers, response.Content.Headers, body);
    }

    public async Task<byte[]> DownloadAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = Token is null ? null : new AuthenticationHeaderValue("Bearer", Token);
        if (Cookie is not null)
        {
            request.Headers.Add("Cookie", Cookie);
        }

        using var response = await _http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>Uploads <paramref name="bytes"/> in chunks, with an optional signature and requirements file, and completes it.</summary>
    public async Task<ApiResponse> UploadAsync(string project, string artifact, string version, string fileName, byte[] bytes, byte[]? signature = null, string? requirements = null, int chunk = 1 << 20, string kind = "model")
    {
        var created = (await PostAsync($"/api/v1/projects/{project}/uploads", new { artifact, kind, version, fileName, size = bytes.LongLength })).EnsureCreated();
        var id = created.Json["upload"]!.GetValue<string>();
        for (var offset = 0; offset < bytes.Length || offset == 0; offset += chunk)
        {
            var part = bytes.AsMemory(offset, Math.Min(chunk, bytes.Length - offset)).ToArray();
            (await PatchAsync(project, id, offset, part)).EnsureOk();
            if (bytes.Length == 0)
            {
                break;
            }
        }

        if (signature is not null)
        {
            (await SendAsync(HttpMethod.Put, $"/api/v1/projects/{project}/uploads/{id}/signature", new ByteArrayContent(signature))).EnsureOk();
        }

        if (requirements is not null)
        {
            (await SendAsync(HttpMethod.Put, $"/api/v1/projects/{project}/uploads/{id}/requirements", new ByteArrayContent(Encoding.UTF8.GetBytes(requirements)))).EnsureOk();
        }

        return await PostAsync($"/api/v1/projects/{project}/uploads/{id}/complete", new { digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)) });
    }

    public Task<ApiResponse> PatchAsync(string project, string upload, long offset, byte[] part) =>
        SendAsync(HttpMethod.Patch, $"/api/v1/projects/{project}/uploads/{upload}", new ByteArrayContent(part), new Dictionary<string, string> { ["Upload-Offset"] = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>Polls a version until the gate has run; returns its detail.</summary>
    public async Task<JsonNode> WaitForGateAsync(string project, string artifact, string version)
    {
        for (var i = 0; i < 600; i++)
        {
            var response = (await GetAsync($"/api/v1/projects/{project}/artifacts/{artifact}/versions/{version}")).EnsureOk();
            if (response.Json["version"]!["state"]!.GetValue<string>() != "scanning")
            {
                return response.Json;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the gate did not finish");
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Models made in code: hostile pickles (harmless payload) and clean safetensors, signed with a fresh key.</summary>
internal static class Models
{
    /// <summary>A pickle whose load would call os.system (never loaded here).</summary>
    public static byte[] HostilePickle(string marker = "/tmp/rampart-never-run") => PickleBuilder.CallPickle("os", "system", $"touch {marker}");

    public static byte[] CleanSafetensors(int seed = 0)
    {
        var data = new byte[64];
        new Random(seed).NextBytes(data);
        return new SafetensorsBuilder().Tensor("weight", "F32", [4, 4], data: data).Build();
    }

    /// <summary>Signs the file <paramref name="fileName"/> holding <paramref name="bytes"/> with <paramref name="key"/> (OpenSSF Model Signing bundle).</summary>
    public static byte[] Sign(byte[] bytes, string fileName, ECDsa key)
    {
        using var temp = new TempDirectory();
        var path = temp.File(fileName);
        File.WriteAllBytes(path, bytes);
        var manifest = ModelHasher.Hash(path, new HashingOptions(), CancellationToken.None);
        return ModelSigner.SignWithKey(manifest, key).ToJson();
    }

    public static string PublicPem(ECDsa key) => key.ExportSubjectPublicKeyInfoPem();
}

/// <summary>The real `rampart` program (built beside the tests) in a child process, and the server's ledger read back.</summary>
internal static class RampartProcess
{
    /// <summary>Runs rampart with RAMPART_TOKEN set (when given) and RAMPART_SERVER unset; returns the exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string? token, string workingDirectory, params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "rampart.dll");
        var info = new System.Diagnostics.ProcessStartInfo("dotnet", [cli, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        info.Environment.Remove("RAMPART_SERVER");
        info.Environment.Remove("RAMPART_TOKEN");
        if (token is not null)
        {
            info.Environment["RAMPART_TOKEN"] = token;
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Every record of the ledger at <paramref name="location"/> by sequence number, after checking signatures and the Merkle tree.</summary>
    public static async Task<SortedDictionary<long, Provenance.Records.ProvenanceRecord>> VerifiedLedgerAsync(string location)
    {
        await using var ledger = await Provenance.Ledger.OpenAsync(location);
        var verification = await ledger.VerifyAsync();
        verification.Problems.Should().BeEmpty("the ledger must verify");
        var records = new SortedDictionary<long, Provenance.Records.ProvenanceRecord>();
        await foreach (var (entry, contents) in ledger.ReadAsync())
        {
            records.Add(entry.Sequence, contents.Record);
        }

        return records;
    }
}
