using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Protocols;

/// <summary>Token counts from an LLM response's <c>usage</c> field (what token quotas and caps are charged on).</summary>
public sealed record TokenUsage(long PromptTokens, long CompletionTokens, long TotalTokens);

/// <summary>
/// A body read by a protocol reader: the payload the checks see, what the protocol says about the call (model,
/// streaming, token usage), and the JSON tree it came from so that <see cref="Write"/> can put a rewritten payload
/// back into the original document with every unknown field kept.
/// </summary>
public sealed class GuardBody
{
    private readonly JsonNode? _root;
    private readonly ImmutableArray<TextSlot> _texts;
    private readonly Action<JsonNode, PredictionPayload>? _writePredictions;

    internal GuardBody(GuardProtocol protocol, bool isResponse, GuardPayload payload, JsonNode? root, ImmutableArray<TextSlot> texts = default, Action<JsonNode, PredictionPayload>? writePredictions = null)
    {
        Protocol = protocol;
        IsResponse = isResponse;
        Payload = payload;
        _root = root;
        _texts = texts.IsDefault ? [] : texts;
        _writePredictions = writePredictions;
    }

    public GuardProtocol Protocol { get; }

    public bool IsResponse { get; }

    public GuardPayload Payload { get; }

    /// <summary>The model the body names (<c>model</c> of an OpenAI request), when it names one.</summary>
    public string? Model { get; init; }

    /// <summary>True for an OpenAI request with <c>"stream": true</c>.</summary>
    public bool Stream { get; init; }

    /// <summary>The <c>usage</c> of an OpenAI response, when present.</summary>
    public TokenUsage? Usage { get; init; }

    /// <summary>
    /// The body with <paramref name="rewritten"/> (a payload of the same kind, e.g. from a redaction) written into the
    /// original JSON. Only the changed texts or predictions are touched; every other field stays as it was.
    /// </summary>
    public byte[] Write(GuardPayload rewritten)
    {
        ArgumentNullException.ThrowIfNull(rewritten);
        if (_root is null)
        {
            return rewritten is OpaquePayload opaque ? opaque.Body.ToArray() : throw new InvalidOperationException("an opaque body can only be written from an opaque payload");
        }

        var root = _root.DeepClone();
        switch (rewritten)
        {
            case PredictionPayload predictions when _writePredictions is not null:
                _writePredictions(root, predictions);
                break;
            case PredictionPayload:
                throw new InvalidOperationException($"{Protocol} bodies carry no predictions to rewrite");
            default:
                var original = Payload.Texts().ToDictionary(t => t.Index, t => t.Text);
                foreach (var text in rewritten.Texts())
                {
                    if (text.Index < _texts.Length && (!original.TryGetValue(text.Index, out var before) || !string.Equals(before, text.Text, StringComparison.Ordinal)))
                    {
                        _texts[text.Index].Set(root, text.Text);
                    }
                }

                break;
        }

        return Serialize(root);
    }

    internal static byte[] Serialize(JsonNode node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            node.WriteTo(writer);
        }

        return stream.ToArray();
    }
}

/// <summary>Where a text lives in the JSON tree: a path of property names and array indexes from the root.</summary>
internal sealed record TextSlot(ImmutableArray<object> Path)
{
    public void Set(JsonNode root, string value)
    {
        var node = root;
        for (var i = 0; i < Path.Length - 1; i++)
        {
            node = Path[i] is int index ? node.AsArray()[index]! : node.AsObject()[(string)Path[i]]!;
        }

        switch (Path[^1])
        {
            case int index:
                node.AsArray()[index] = value;
                break;
            default:
                node.AsObject()[(string)Path[^1]] = value;
                break;
        }
    }
}
