using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Protocols;

/// <summary>
/// Parses an untrusted body into a mutable <see cref="JsonNode"/> tree (so a rewrite keeps every field we do not
/// understand). System.Text.Json does the parsing; the pre-checks here exist because its exceptions do not tell a
/// caller apart "too deep" from "not JSON" from "not UTF-8", and a gateway must answer each with a clear error.
/// </summary>
internal static class BoundedJson
{
    public static JsonNode Parse(ReadOnlySpan<byte> body, ProtocolLimits limits)
    {
        if (body.Length > limits.MaxBodyBytes)
        {
            throw new ProtocolException(ProtocolErrorKind.BodyTooLarge, $"the body has {body.Length} bytes; the limit is {limits.MaxBodyBytes}");
        }

        if (!Utf8.IsValid(body))
        {
            throw new ProtocolException(ProtocolErrorKind.InvalidUtf8, "the body is not valid UTF-8");
        }

        // One pass with the reader: syntax errors with their position, and our own depth bound (the reader's bound
        // is set above ours so that ours is the one that trips).
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = limits.MaxDepth + 2 });
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth >= limits.MaxDepth)
                {
                    throw new ProtocolException(ProtocolErrorKind.TooDeep, $"the JSON nests deeper than {limits.MaxDepth} levels");
                }
            }
        }
        catch (JsonException e)
        {
            throw new ProtocolException(ProtocolErrorKind.MalformedJson, $"the body is not valid JSON (byte {e.BytePositionInLine}, line {e.LineNumber + 1})");
        }

        return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = limits.MaxDepth + 2 })
            ?? throw ProtocolException.Shape("the body is JSON null");
    }
}
