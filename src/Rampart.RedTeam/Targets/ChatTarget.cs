using System.Text.Json.Nodes;

namespace Rampart.RedTeam.Targets;

/// <summary>One chat message sent to a target.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>A function the target may call (OpenAI "tools").</summary>
public sealed record ChatTool(string Name, string Description);

/// <summary>What a chat target answered.</summary>
/// <param name="Text">The answer's text (empty when it only called tools).</param>
/// <param name="ToolCalls">Names of the functions the answer asked to call.</param>
/// <param name="Status">HTTP status.</param>
/// <param name="Refused">The target (or a gateway before it) refused the request with 400/403/451 and a reason.</param>
/// <param name="RateLimited">The target answered 429.</param>
public sealed record ChatAnswer(string Text, IReadOnlyList<string> ToolCalls, int Status, bool Refused, bool RateLimited);

/// <summary>
/// An OpenAI-compatible chat endpoint (<c>/v1/chat/completions</c>). A refusal status (400, 403, 451: a gateway's input
/// check or the provider's moderation) is an answer, not an error: the probe it refused did not get through.
/// </summary>
public sealed class ChatTarget(HttpTarget http, string model, bool stream = false)
{
    public HttpTarget Http { get; } = http;

    /// <summary>The chat completions URL for a base URL: used as is when it already ends in /chat/completions.</summary>
    public static Uri CompletionsUri(Uri target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var text = target.ToString();
        return text.TrimEnd('/').EndsWith("/chat/completions", StringComparison.Ordinal)
            ? target
            : new Uri(text.TrimEnd('/') + (text.TrimEnd('/').EndsWith("/v1", StringComparison.Ordinal) ? "/chat/completions" : "/v1/chat/completions"));
    }

    /// <summary>A gateway that withholds an answer says so in its error body (Rampart: 502 "answer_blocked_by_guard").</summary>
    private static bool IsGuardBlock(JsonNode? body) =>
        body?["error"] is JsonObject error && error.Any(p => p.Value is JsonValue v && v.TryGetValue<string>(out var s) && s.Contains("blocked", StringComparison.OrdinalIgnoreCase));

    public async Task<ChatAnswer> CompleteAsync(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool> tools, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(tools);
        var body = new JsonObject
        {
            ["model"] = model,
            ["stream"] = stream,
            ["temperature"] = 0,
            ["messages"] = new JsonArray([.. messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content })]),
        };
        if (tools.Count > 0)
        {
            body["tools"] = new JsonArray([.. tools.Select(t => (JsonNode)new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = t.Name, ["description"] = t.Description, ["parameters"] = new JsonObject { ["type"] = "object" } },
            })]);
        }

        var response = await Http.PostJsonAsync(body, null, cancellationToken).ConfigureAwait(false);
        if (response.Status == 429)
        {
            return new ChatAnswer("", [], 429, Refused: false, RateLimited: true);
        }

        if (response.Status is 400 or 403 or 451 || (!response.IsSuccess && IsGuardBlock(response.Body)))
        {
            return new ChatAnswer(response.Body?["error"]?["message"]?.ToString() ?? response.Body?.ToJsonString() ?? "", [], response.Status, Refused: true, RateLimited: false);
        }

        if (!response.IsSuccess)
        {
            throw new TargetException(TargetFailure.HttpStatus, $"{HttpTarget.Describe(Http.Endpoint)} answered HTTP {response.Status}");
        }

        if (response.StreamedText is not null)
        {
            return new ChatAnswer(response.StreamedText, response.StreamedToolCalls, response.Status, false, false);
        }

        var message = response.Body?["choices"]?[0]?["message"]
            ?? throw new TargetException(TargetFailure.Protocol, $"{HttpTarget.Describe(Http.Endpoint)} answered JSON without choices[0].message");
        var text = message["content"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
        var calls = message["tool_calls"] is JsonArray a
            ? a.Select(c => c?["function"]?["name"] is JsonValue n && n.TryGetValue<string>(out var name) ? name : null).OfType<string>().ToList()
            : [];
        return new ChatAnswer(text, calls, response.Status, false, false);
    }
}
