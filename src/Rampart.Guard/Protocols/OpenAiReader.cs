using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Protocols;

/// <summary>
/// OpenAI-compatible chat/completions, completions and embeddings: request texts (messages, prompts, inputs), response
/// texts (choices), streamed chunks (choices[].delta.content / choices[].text), the model name and token usage.
/// </summary>
internal static class OpenAiReader
{
    public static GuardBody Read(GuardProtocol protocol, JsonNode root, bool isResponse, ProtocolLimits limits)
    {
        var obj = root as JsonObject ?? throw ProtocolException.Shape("an OpenAI body is a JSON object");
        var texts = new TextCollector(limits);
        GuardPayload payload;
        if (!isResponse)
        {
            payload = protocol switch
            {
                GuardProtocol.OpenAiChat => ReadMessages(obj, texts),
                GuardProtocol.OpenAiCompletions => ReadStrings(obj, "prompt", TextSource.UserInput, texts),
                _ => ReadStrings(obj, "input", TextSource.UserInput, texts),
            };
        }
        else if (protocol == GuardProtocol.OpenAiEmbeddings)
        {
            payload = new TextPayload([], TextSource.ModelOutput);
        }
        else
        {
            payload = ReadChoices(obj, protocol, texts);
        }

        return new GuardBody(protocol, isResponse, payload, root, texts.Slots)
        {
            Model = obj["model"] is JsonValue m && m.TryGetValue(out string? model) ? model : null,
            Stream = obj["stream"] is JsonValue s && s.TryGetValue(out bool stream) && stream,
            Usage = ReadUsage(obj["usage"]),
        };
    }

    private static ChatPayload ReadMessages(JsonObject root, TextCollector texts)
    {
        var messages = root["messages"] as JsonArray ?? throw ProtocolException.Shape("a chat request needs a 'messages' array");
        var result = ImmutableArray.CreateBuilder<ChatMessage>();
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i] as JsonObject ?? throw ProtocolException.Shape($"messages[{i}] is not an object");
            var role = message["role"] is JsonValue r && r.TryGetValue(out string? roleText) ? roleText : throw ProtocolException.Shape($"messages[{i}] has no role");
            var name = message["name"] is JsonValue n && n.TryGetValue(out string? nameText) ? nameText : null;
            switch (message["content"])
            {
                case JsonValue v when v.TryGetValue(out string? content):
                    texts.Add(content, "messages", i, "content");
                    result.Add(new ChatMessage(role, content, name));
                    break;
                case JsonArray parts:
                    // Multi-part content: every text part is a message of its own to the checks, so each can be redacted in place.
                    for (var p = 0; p < parts.Count; p++)
                    {
                        if (parts[p] is JsonObject part && part["type"] is JsonValue t && t.TryGetValue(out string? type) && type == "text"
                            && part["text"] is JsonValue pt && pt.TryGetValue(out string? partText))
                        {
                            texts.Add(partText, "messages", i, "content", p, "text");
                            result.Add(new ChatMessage(role, partText, name));
                        }
                    }

                    break;
                case null:
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.Null:
                    break;
                default:
                    throw ProtocolException.Shape($"messages[{i}].content is neither text nor a list of parts");
            }
        }

        return new ChatPayload(result.ToImmutable());
    }

    private static TextPayload ReadStrings(JsonObject root, string property, TextSource source, TextCollector texts)
    {
        var items = ImmutableArray.CreateBuilder<string>();
        switch (root[property])
        {
            case JsonValue v when v.TryGetValue(out string? single):
                texts.Add(single, property);
                items.Add(single);
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    // Token-id arrays (lists of integers) carry no text to check.
                    if (array[i] is JsonValue e && e.TryGetValue(out string? text))
                    {
                        texts.Add(text, property, i);
                        items.Add(text);
                    }
                }

                break;
            case null:
                throw ProtocolException.Shape($"the request has no '{property}'");
            default:
                break;
        }

        return new TextPayload(items.ToImmutable(), source);
    }

    /// <summary>Choices of a whole response (message.content / text) or of a streamed chunk (delta.content / text).</summary>
    private static GuardPayload ReadChoices(JsonObject root, GuardProtocol protocol, TextCollector texts)
    {
        var messages = ImmutableArray.CreateBuilder<ChatMessage>();
        var items = ImmutableArray.CreateBuilder<string>();
        if (root["choices"] is JsonArray choices)
        {
            for (var i = 0; i < choices.Count; i++)
            {
                if (choices[i] is not JsonObject choice)
                {
                    throw ProtocolException.Shape($"choices[{i}] is not an object");
                }

                if (protocol == GuardProtocol.OpenAiChat)
                {
                    var key = choice["delta"] is JsonObject ? "delta" : "message";
                    if (choice[key] is JsonObject message && message["content"] is JsonValue c && c.TryGetValue(out string? content))
                    {
                        texts.Add(content, "choices", i, key, "content");
                        messages.Add(new ChatMessage("assistant", content));
                    }
                }
                else if (choice["text"] is JsonValue t && t.TryGetValue(out string? text))
                {
                    texts.Add(text, "choices", i, "text");
                    items.Add(text);
                }
            }
        }

        return protocol == GuardProtocol.OpenAiChat
            ? new ChatPayload(messages.ToImmutable(), IsResponse: true)
            : new TextPayload(items.ToImmutable(), TextSource.ModelOutput);
    }

    private static TokenUsage? ReadUsage(JsonNode? node)
    {
        if (node is not JsonObject usage)
        {
            return null;
        }

        static long Get(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out long n) && n >= 0 ? n : 0;
        var prompt = Get(usage, "prompt_tokens");
        var completion = Get(usage, "completion_tokens");
        var total = Get(usage, "total_tokens");
        return new TokenUsage(prompt, completion, total > 0 ? total : prompt + completion);
    }
}

/// <summary>Collects texts with their JSON paths, counting them against the item limit.</summary>
internal sealed class TextCollector(ProtocolLimits limits)
{
    private readonly ImmutableArray<TextSlot>.Builder _slots = ImmutableArray.CreateBuilder<TextSlot>();

    public ImmutableArray<TextSlot> Slots => _slots.ToImmutable();

    public void Add(string text, params object[] path)
    {
        _ = text;
        if (_slots.Count >= limits.MaxItems)
        {
            throw new ProtocolException(ProtocolErrorKind.TooManyItems, $"more than {limits.MaxItems} texts");
        }

        _slots.Add(new TextSlot([.. path]));
    }
}
