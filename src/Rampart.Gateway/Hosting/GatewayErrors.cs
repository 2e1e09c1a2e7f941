using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Rampart.Gateway.Hosting;

/// <summary>Every error the gateway itself answers with: <c>{"error": {"code", "message"}}</c>, JSON, never a stack trace.</summary>
internal static class GatewayErrors
{
    public static byte[] Body(string code, string message, string? rule = null)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteString("code", code);
            w.WriteString("message", message);
            if (rule is not null)
            {
                w.WriteString("rule", rule);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return stream.ToArray();
    }

    public static async Task WriteAsync(HttpContext context, Stream body, int status, string code, string message, string? rule = null)
    {
        var bytes = Body(code, message, rule);
        if (!context.Response.HasStarted)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = null; // chunked: complete only after the audit entry is written
        }

        await body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }
}
