using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rampart.Cli.Commands;

/// <summary>
/// The HTTP side of push | pull | approve | revoke (docs/server.md): the server from --server or RAMPART_SERVER,
/// the API token from RAMPART_TOKEN (never a command-line argument, so it stays out of process lists and shell history).
/// </summary>
internal sealed class RegistryClient : IDisposable
{
    public const string TokenVariable = "RAMPART_TOKEN";
    public const string ServerVariable = "RAMPART_SERVER";
    private const int ChunkSize = 64 << 20;
    private readonly HttpClient _http;

    private RegistryClient(HttpClient http) => _http = http;

    /// <summary>The options every registry verb shares.</summary>
    internal sealed class Options
    {
        public Option<string?> Server { get; } = new("--server") { Description = $"Server URL (default: ${ServerVariable}).", HelpName = "URL" };

        public Option<string> Project { get; } = new("--project", "-p") { Description = "Project name.", Required = true };

        public Option<string> Artifact { get; } = new("--artifact", "-a") { Description = "Model or dataset name.", Required = true };

        public Option<string> Version { get; } = new("--version", "-V") { Description = "Version label.", Required = true };

        public void AddTo(Command command)
        {
            command.Options.Add(Server);
            command.Options.Add(Project);
            command.Options.Add(Artifact);
            command.Options.Add(Version);
        }

        public string VersionPath(ParseResult parse) =>
            $"/api/v1/projects/{Uri.EscapeDataString(parse.GetValue(Project)!)}/artifacts/{Uri.EscapeDataString(parse.GetValue(Artifact)!)}/versions/{Uri.EscapeDataString(parse.GetValue(Version)!)}";
    }

    public static RegistryClient Create(string? server)
    {
        var url = server ?? Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"name the server with --server URL or ${ServerVariable} (http:// or https://)");
        }

        var token = Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new UsageException($"set ${TokenVariable} to an API token of the server (create one with POST /api/v1/tokens)");
        }

        var http = new HttpClient { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        return new RegistryClient(http);
    }

    /// <summary>A JSON request body. Built as a JsonObject, not serialized from an anonymous type, so no reflection runs (NativeAOT).</summary>
    public static HttpContent Body(JsonObject body) =>
        new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

    public async Task<JsonNode> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException($"cannot reach the server: {e.Message}");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonNode? json = null;
            try
            {
                json = text.Length == 0 ? new JsonObject() : JsonNode.Parse(text);
            }
            catch (JsonException)
            {
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new RegistryException($"server answered {(int)response.StatusCode}: {json?["message"]?.GetValue<string>() ?? response.ReasonPhrase}");
            }

            return json ?? new JsonObject();
        }
    }

    /// <summary>Uploads in 64 MiB chunks; a chunk that fails is retried once from the server's offset. <paramref name="report"/>: the client's JSON scan report of the file.</summary>
    public async Task<JsonNode> PushAsync(string project, string artifact, string version, string kind, string file, string? signature, string? requirements, byte[]? report, CancellationToken cancellationToken)
    {
        var length = new FileInfo(file).Length;
        var projectPath = $"/api/v1/projects/{Uri.EscapeDataString(project)}";
        var created = await SendAsync(HttpMethod.Post, $"{projectPath}/uploads", Body(new JsonObject { ["artifact"] = artifact, ["kind"] = kind, ["version"] = version, ["fileName"] = Path.GetFileName(file), ["size"] = length }), cancellationToken).ConfigureAwait(false);
        var upload = $"{projectPath}/uploads/{created["upload"]!.GetValue<string>()}";
        await using var stream = File.OpenRead(file);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[(int)Math.Min(ChunkSize, Math.Max(length, 1))];
        long offset = 0;
        while (offset < length)
        {
            var read = await stream.ReadAtLeastAsync(buffer, (int)Math.Min(buffer.Length, length - offset), throwOnEndOfStream: true, cancellationToken).ConfigureAwait(false);
            hash.AppendData(buffer, 0, read);
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await SendAsync(HttpMethod.Patch, upload, new ByteArrayContent(buffer, 0, read), cancellationToken, new Dictionary<string, string> { ["Upload-Offset"] = offset.ToString(CultureInfo.InvariantCulture) }).ConfigureAwait(false);
                    break;
                }
                catch (RegistryException) when (attempt == 0)
                {
                    var status = await SendAsync(HttpMethod.Get, upload, null, cancellationToken).ConfigureAwait(false);
                    if (status["offset"]!.GetValue<long>() == offset + read)
                    {
                        break;
                    }
                }
            }

            offset += read;
        }

        if (signature is not null)
        {
            await SendAsync(HttpMethod.Put, upload + "/signature", new StreamContent(File.OpenRead(signature)), cancellationToken).ConfigureAwait(false);
        }

        if (requirements is not null)
        {
            await SendAsync(HttpMethod.Put, upload + "/requirements", new StreamContent(File.OpenRead(requirements)), cancellationToken).ConfigureAwait(false);
        }

        if (report is not null)
        {
            await SendAsync(HttpMethod.Put, upload + "/report", new ByteArrayContent(report), cancellationToken).ConfigureAwait(false);
        }

        var digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        return await SendAsync(HttpMethod.Post, upload + "/complete", Body(new JsonObject { ["digest"] = digest }), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Polls a version until the gate has run.</summary>
    public async Task<JsonNode> WaitForGateAsync(string versionPath, CancellationToken cancellationToken)
    {
        while (true)
        {
            var detail = await SendAsync(HttpMethod.Get, versionPath, null, cancellationToken).ConfigureAwait(false);
            if (detail["version"]!["state"]!.GetValue<string>() != "scanning")
            {
                return detail;
            }

            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Downloads a released version to a temporary file, checks its digest, then renames it into place.</summary>
    public async Task<string> PullAsync(string versionPath, string output, CancellationToken cancellationToken)
    {
        HttpResponseMessage sent;
        try
        {
            sent = await _http.GetAsync(versionPath + "/content", HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException($"cannot reach the server: {e.Message}");
        }

        using var response = sent;
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            string? message = null;
            try
            {
                message = JsonNode.Parse(text)?["message"]?.GetValue<string>();
            }
            catch (JsonException)
            {
            }

            throw new RegistryException($"server answered {(int)response.StatusCode}: {message ?? response.ReasonPhrase}");
        }

        var expected = response.Headers.TryGetValues("X-Rampart-Digest", out var values) ? values.First() : throw new RegistryException("the server sent no digest");
        var temp = output + ".part";
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
        await using (var file = File.Create(temp))
        {
            var buffer = new byte[1 << 20];
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }

        var actual = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        if (actual != expected)
        {
            File.Delete(temp);
            throw new RegistryException($"downloaded bytes have digest {actual}, the server promised {expected}; nothing was written");
        }

        File.Move(temp, output, overwrite: true);
        return actual;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The server refused or could not be reached: one line, exit 4 (verification) or 3 (usage) decided by the verb.</summary>
internal sealed class RegistryException(string message) : Exception(message);
