using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rampart.Provenance.Records;

/// <summary>
/// The one JSON encoding a record is signed and hashed in: object keys sorted by ordinal (UTF-16) order, no
/// insignificant whitespace, strings escaped minimally. The same record always gives the same bytes.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The canonical UTF-8 bytes of <paramref name="node"/>.</summary>
    public static byte[] Encode(JsonNode? node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            Write(writer, node);
        }

        return buffer.ToArray();
    }

    /// <summary>The canonical text of <paramref name="node"/>.</summary>
    public static string EncodeToString(JsonNode? node) => Encoding.UTF8.GetString(Encode(node));

    /// <summary>Whether <paramref name="text"/> parses and is already in canonical form.</summary>
    public static bool IsCanonical(string text, out JsonNode? parsed)
    {
        parsed = null;
        try
        {
            parsed = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return false;
        }

        return string.Equals(EncodeToString(parsed), text, StringComparison.Ordinal);
    }

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var pair in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(pair.Key);
                    Write(writer, pair.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
