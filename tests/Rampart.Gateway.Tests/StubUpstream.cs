using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Rampart.Gateway.Tests;

/// <summary>
/// A small OpenAI-compatible server on loopback (a real Kestrel app): answers with the text of header
/// <c>X-Stub-Answer</c> (stream chunks split on '|'), records the bodies it received, and has fault endpoints.
/// </summary>
public sealed class StubUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubUpstream(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public ConcurrentQueue<string> Received { get; } = new();

    public TaskCompletionSource StreamCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Requests that reached <c>/flaky</c> (which reads them, then resets the connection).</summary>
    public int FlakyHits => Volatile.Read(ref _flakyHits);

    /// <summary>What <c>/health-flap</c> answers: 200 while true, 503 while false.</summary>
    public bool Healthy { get; set; } = true;

    private int _flakyHits;

    public static async Task<StubUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var stub = new StubUpstream(app);
        app.MapPost("/v1/chat/completions", stub.ChatAsync);
        app.MapPost("/v1/completions", stub.ChatAsync);
        app.MapPost("/limited/v1/chat/completions", stub.ChatAsync);
        app.MapGet("/health", () => "ok");
        app.MapPost("/v1/models/{m}:predict", async (HttpContext c) =>
        {
            stub.Received.Enqueue(await new StreamReader(c.Request.Body).ReadToEndAsync());
            return Results.Text("""{"predictions":[[0.123456,0.876544]]}""", "application/json");
        });
        app.MapPost("/slow/v1/chat/completions", async (HttpContext c) => { await Task.Delay(TimeSpan.FromSeconds(30), c.RequestAborted); });
        app.MapPost("/garbage/v1/chat/completions", () => Results.Text("<html>oops</html>", "application/json"));
        app.MapPost("/reset/v1/chat/completions", (HttpContext c) => { c.Abort(); return Task.CompletedTask; });
        app.MapMethods("/flaky", ["GET", "POST"], (HttpContext c) => { Interlocked.Increment(ref stub._flakyHits); c.Abort(); return Task.CompletedTask; });
        app.MapGet("/health-flap", () => stub.Healthy ? Results.Text("ok") : Results.StatusCode(503));
        app.MapGet("/ok", () => Results.Json(new { ok = true }));
        await app.StartAsync();
        stub.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return stub;
    }

    private async Task ChatAsync(HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        Received.Enqueue(body);
        var request = JsonNode.Parse(body)!;
        var answer = context.Request.Headers["X-Stub-Answer"].FirstOrDefault() ?? "hello";
        if (request["stream"]?.GetValue<bool>() != true)
        {
            var response = new JsonObject
            {
                ["id"] = "c1",
                ["object"] = "chat.completion",
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = answer.Replace("|", "", StringComparison.Ordinal) }, ["finish_reason"] = "stop" }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 20, ["total_tokens"] = 30 },
            };
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(response.ToJsonString());
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var endless = answer == "endless";
        try
        {
            var pieces = endless ? Enumerable.Repeat("tick ", 100_000) : answer.Split('|');
            foreach (var piece in pieces)
            {
                var chunk = new JsonObject { ["id"] = "c1", ["object"] = "chat.completion.chunk", ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["content"] = piece }, ["finish_reason"] = null }) };
                await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(endless ? 50 : 5, context.RequestAborted);
            }

            await context.Response.WriteAsync("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            StreamCancelled.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
