using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rampart.Gateway.Config;
using Rampart.Guard.Checks;
using Rampart.Guard.Pipeline;

namespace Rampart.Gateway.Hosting;

/// <summary>
/// Keeps the gateway's copy of a Rampart server's revocation list (docs/server.md, "Revocation contract for
/// gateways"): long-polls <c>GET /api/v1/projects/{project}/revocations?after={next}&amp;wait={wait}</c> with the read
/// token from the environment, adds what comes back, and remembers when the list was last brought up to date. On any
/// failure (unreachable, non-200, an answer that is not the documented JSON) it keeps the list it has and tries again
/// after <see cref="RevocationConfig.RetrySeconds"/>; <see cref="Judge"/> turns a list older than
/// <see cref="RevocationConfig.MaxStalenessSeconds"/> into a refusal.
/// </summary>
internal sealed partial class RevocationWatcher : IAsyncDisposable
{
    private const long MaxAnswerBytes = 8L << 20;

    private readonly RevocationConfig _config;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private ModelRevocations _list = ModelRevocations.Empty;
    private long _next = -1;
    private long _refreshed = -1;

    public RevocationWatcher(RevocationConfig config, TimeProvider time, ILogger logger)
    {
        _config = config;
        _time = time;
        _logger = logger;
        _client = new HttpClient
        {
            BaseAddress = new Uri(config.Server.TrimEnd('/') + "/"),
            Timeout = TimeSpan.FromSeconds(config.WaitSeconds + 15),
            MaxResponseContentBufferSize = MaxAnswerBytes,
        };
        if (Environment.GetEnvironmentVariable(config.TokenEnv) is { Length: > 0 } token)
        {
            _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>The revocations known so far.</summary>
    public ModelRevocations List => Volatile.Read(ref _list);

    /// <summary>Null when <paramref name="model"/> may be served; otherwise the signal (revoked, or the list is stale).</summary>
    public GuardSignal? Judge(ModelVersionRef model)
    {
        var refreshed = Volatile.Read(ref _refreshed);
        TimeSpan? age = refreshed < 0 ? null : _time.GetElapsedTime(refreshed);
        return List.Judge(model, age, TimeSpan.FromSeconds(_config.MaxStalenessSeconds));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _client.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // The first poll does not wait, so a gateway that starts knows the list as soon as the server answers.
        var wait = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await PollAsync(wait, cancellationToken).ConfigureAwait(false);
                wait = _config.WaitSeconds;
                if (wait == 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(_config.RetrySeconds), _time, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the watcher must outlive any failure: a dead loop would leave the list stale (routes then fail closed) with no retry
            catch (Exception e)
#pragma warning restore CA1031
            {
                PollFailed(_logger, e, _config.Server, _config.Project);
                await Task.Delay(TimeSpan.FromSeconds(_config.RetrySeconds), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task PollAsync(int wait, CancellationToken cancellationToken)
    {
        var after = Volatile.Read(ref _next);
        var path = $"api/v1/projects/{Uri.EscapeDataString(_config.Project)}/revocations?wait={wait}" + (after >= 0 ? $"&after={after}" : "");
        using var response = await _client.GetAsync(new Uri(path, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var (entries, next) = Parse(bytes);
        if (entries.Count > 0)
        {
            Volatile.Write(ref _list, List.Add(entries));
            Revoked(_logger, entries.Count, string.Join(", ", entries.Select(e => $"{e.Artifact}@{e.Version}")));
        }

        Volatile.Write(ref _next, Math.Max(after, next));
        Volatile.Write(ref _refreshed, _time.GetTimestamp());
    }

    /// <summary>Reads <c>{"revocations":[{sequence, digest, artifact, version, reason}], "next": n}</c>; anything else is <see cref="InvalidDataException"/>.</summary>
    internal static (List<ModelRevocation> Entries, long Next) Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("revocations", out var list) || list.ValueKind != JsonValueKind.Array
                || !root.TryGetProperty("next", out var nextElement) || !nextElement.TryGetInt64(out var next))
            {
                throw new InvalidDataException("the answer lacks 'revocations' (a list) or 'next' (a number)");
            }

            var entries = new List<ModelRevocation>();
            foreach (var item in list.EnumerateArray())
            {
                entries.Add(new ModelRevocation(
                    item.GetProperty("sequence").GetInt64(),
                    Required(item, "digest"),
                    Required(item, "artifact"),
                    Required(item, "version"),
                    item.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null));
            }

            return (entries, next);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"the revocation list is not the documented JSON: {e.Message}", e);
        }
    }

    private static string Required(JsonElement item, string name) =>
        item.GetProperty(name).GetString() is { Length: > 0 } value ? value : throw new InvalidDataException($"a revocation lacks '{name}'");

    [LoggerMessage(Level = LogLevel.Warning, Message = "polling the revocation list of {Server} (project {Project}) failed; keeping the last list")]
    private static partial void PollFailed(ILogger logger, Exception exception, string server, string project);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} model version(s) revoked: {Versions}")]
    private static partial void Revoked(ILogger logger, int count, string versions);
}
