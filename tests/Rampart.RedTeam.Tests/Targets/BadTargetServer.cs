using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Rampart.RedTeam.Tests.Targets;

/// <summary>
/// Targets that misbehave, on loopback: slow (never answers within a test timeout), non-JSON, huge (with and without
/// a Content-Length), an endless event stream, a server error, a reset connection.
/// </summary>
public sealed class BadTargetServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BadTargetServer(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public Uri At(string path) => new(Address, path);

    public static async Task<BadTargetServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/slow/v1/chat/completions", async (HttpContext c) => await Task.Delay(TimeSpan.FromSeconds(60), c.RequestAborted));
        app.MapPost("/html/v1/chat/completions", () => Results.Text("<html><body>Service Unavailable</body></html>", "text/html"));
        app.MapPost("/huge/v1/chat/completions", () => Results.Text("{\"choices\":[{\"message\":{\"content\":\"" + new string('a', 4 << 20) + "\"}}]}", "application/json"));
        app.MapPost("/huge-chunked/v1/chat/completions", async (HttpContext c) =>
        {
            c.Response.ContentType = "application/json";
            var chunk = Encoding.UTF8.GetBytes(new string('a', 64 * 1024));
            await c.Response.WriteAsync("{\"choices\":[{\"message\":{\"content\":\"");
            for (var i = 0; i < 1000 && !c.RequestAborted.IsCancellationRequested; i++)
            {
                await c.Response.Body.WriteAsync(chunk, c.RequestAborted);
            }
        });
        app.MapPost("/endless/v1/chat/completions", async (HttpContext c) =>
        {
            c.Response.ContentType = "text/event-stream";
            while (!c.RequestAborted.IsCancellationRequested)
            {
                await c.Response.WriteAsync("data: {\"choices\":[{\"delta\":{\"content\":\"more \"}}]}\n\n", c.RequestAborted);
                await c.Response.Body.FlushAsync(c.RequestAborted);
            }
        });
        app.MapPost("/error/v1/chat/completions", () => Results.StatusCode(500));
        app.MapPost("/busy/v1/chat/completions", () => Results.StatusCode(429));
        app.MapPost("/reset/v1/chat/completions", (HttpContext c) => { c.Abort(); return Task.CompletedTask; });
        app.MapPost("/html/invocations", () => Results.Text("not json", "text/plain"));
        app.MapPost("/wrong/invocations", () => Results.Text("{\"predictions\": [[\"a\", \"b\"]]}", "application/json"));
        await app.StartAsync();
        var server = new BadTargetServer(app) { Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/") };
        return server;
    }

    /// <summary>A loopback URL where nothing listens (a port bound and released).</summary>
    public static Uri Unreachable()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
