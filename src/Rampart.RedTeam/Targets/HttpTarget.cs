using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rampart.RedTeam.Targets;

/// <summary>What came back from one request: a status and a JSON body, or the text of a stream.</summary>
/// <param name="Status">HTTP status code.</param>
/// <param name="Body">The JSON body (null for a stream or an error status without JSON).</param>
/// <param name="StreamedText">For a server-sent-events answer: the concatenated content deltas.</param>
/// <param name="StreamedToolCalls">For a streamed answer: the names of the functions it called.</param>
/// <param name="Bytes">Bytes of the answer body read.</param>
public sealed record TargetResponse(int Status, JsonNode? Body, string? StreamedText, IReadOnlyList<string> StreamedToolCalls, long Bytes)
{
    public bool IsSuccess => Status is >= 200 and < 300;
}

/// <summary>
/// One JSON-over-HTTP endpoint with the harness's bounds applied to every request (<see cref="TargetLimits"/>). The
/// answer is read through a byte cap before it is parsed, a server-sent-events answer is read event by event under
/// an event cap, and the timeout covers the whole exchange, so a slow, huge or endless target costs at most the bounds.
/// </summary>
public sealed class HttpTarget : IDisposable
{
    private readonly HttpClient _client;
    private readonly bool _ownsClient;

    public HttpTarget(Uri endpoint, TargetLimits limits, string? apiKey = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(limits);
        Endpoint = endpoint;
        Limits = limits;
        ApiKey = apiKey;
        _ownsClient = true;
        _client = handler is null
            ? new HttpClient(new SocketsHttpHandler { ConnectTimeout = limits.Timeout, PooledConnectionLifetime = TimeSpan.FromMinutes(5), AutomaticDecompression = DecompressionMethods.None })
            : new HttpClient(handler, disposeHandler: false);
        _client.Timeout = Timeout.InfiniteTimeSpan; // the per-request token below bounds the whole exchange, body included
    }

    public Uri Endpoint { get; }

    public TargetLimits Limits { get; }

    public string? ApiKey { get; }

    /// <summary>POSTs <paramref name="body"/> to <paramref name="uri"/> (default: the endpoint) and reads the bounded answer.</summary>
    public async Task<TargetResponse> PostJsonAsync(JsonNode body, Uri? uri = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await PostOnceAsync(body, uri, cancellationToken).ConfigureAwait(false);
        }
        catch (TargetException e) when (e.InnerException is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded })
        {
            // A keep-alive connection the server closed between two requests ends before any answer: one retry on a
            // fresh connection, as browsers do. A target that does it again is reported.
            return await PostOnceAsync(body, uri, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<TargetResponse> PostOnceAsync(JsonNode body, Uri? uri, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var target = uri ?? Endpoint;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Limits.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (ApiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        }

        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.Content.Headers.ContentLength is { } length && length > Limits.MaxResponseBytes)
            {
                throw new TargetException(TargetFailure.TooLarge, $"{Describe(target)} announced a {length:N0}-byte answer (limit {Limits.MaxResponseBytes:N0} bytes)");
            }

            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
                {
                    return await ReadEventStreamAsync((int)response.StatusCode, stream, target, timeout.Token).ConfigureAwait(false);
                }

                var bytes = await ReadCappedAsync(stream, target, timeout.Token).ConfigureAwait(false);
                var json = TryParse(bytes);
                if (response.IsSuccessStatusCode && json is null)
                {
                    throw new TargetException(TargetFailure.NotJson, $"{Describe(target)} answered {(int)response.StatusCode} with a body that is not JSON ({Snippet(bytes)})");
                }

                return new TargetResponse((int)response.StatusCode, json, null, [], bytes.Length);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TargetException(TargetFailure.Timeout, $"{Describe(target)} did not answer completely within {Limits.Timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException || e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError)
        {
            throw new TargetException(TargetFailure.Unreachable, $"{Describe(target)} is unreachable: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new TargetException(TargetFailure.Protocol, $"{Describe(target)}: the exchange failed: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new TargetException(TargetFailure.Protocol, $"{Describe(target)}: the connection broke while reading the answer: {e.Message}", e);
        }
    }

    private async Task<byte[]> ReadCappedAsync(Stream stream, Uri target, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > Limits.MaxResponseBytes)
            {
                throw new TargetException(TargetFailure.TooLarge, $"{Describe(target)} sent more than {Limits.MaxResponseBytes:N0} bytes; the answer was cut off there");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Reads an OpenAI-style SSE stream: "data: {json}" lines until "data: [DONE]", under the byte and event caps.</summary>
    private async Task<TargetResponse> ReadEventStreamAsync(int status, Stream stream, Uri target, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var tools = new List<string>();
        long bytes = 0;
        var events = 0;
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
        while (true)
        {
            var line = await ReadLineCappedAsync(reader, target, cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                break;
            }

            bytes += line.Length + 1;
            if (bytes > Limits.MaxResponseBytes)
            {
                throw new TargetException(TargetFailure.TooLarge, $"{Describe(target)} streamed more than {Limits.MaxResponseBytes:N0} bytes; the stream was cut off there");
            }

            if (!line.StartsWith("data:", StringComparison.Ordinal))
            {
                continue;
            }

            if (++events > Limits.MaxStreamEvents)
            {
                throw new TargetException(TargetFailure.TooLarge, $"{Describe(target)} streamed more than {Limits.MaxStreamEvents:N0} events; the stream was cut off there");
            }

            var data = line[5..].Trim();
            if (data == "[DONE]")
            {
                break;
            }

            var delta = TryParse(Encoding.UTF8.GetBytes(data))?["choices"]?[0]?["delta"];
            if (delta?["content"] is JsonValue content && content.TryGetValue<string>(out var piece))
            {
                text.Append(piece);
            }

            if (delta?["tool_calls"] is JsonArray calls)
            {
                tools.AddRange(calls.Select(c => c?["function"]?["name"]?.GetValue<string>()).OfType<string>());
            }
        }

        return new TargetResponse(status, null, text.ToString(), tools, bytes);
    }

    /// <summary>One line, refusing lines longer than the byte cap (a stream of one endless line is bounded too).</summary>
    private async Task<string?> ReadLineCappedAsync(StreamReader reader, Uri target, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new char[1];
        while (true)
        {
            var n = await reader.ReadAsync(one.AsMemory(), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return line.Length == 0 ? null : line.ToString();
            }

            if (one[0] == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            if (line.Length >= Limits.MaxResponseBytes)
            {
                throw new TargetException(TargetFailure.TooLarge, $"{Describe(target)} streamed a line longer than {Limits.MaxResponseBytes:N0} bytes");
            }

            line.Append(one[0]);
        }
    }

    private static JsonNode? TryParse(byte[] bytes)
    {
        try
        {
            return bytes.Length == 0 ? null : JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Snippet(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 60)).ReplaceLineEndings(" ");
        return bytes.Length == 0 ? "empty" : $"starts \"{text}\"";
    }

    internal static string Describe(Uri uri) => uri.GetLeftPart(UriPartial.Path);

    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }
}
