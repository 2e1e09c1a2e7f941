using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Rampart.RedTeam.Tests.Targets;

/// <summary>
/// A scripted binary classifier behind an MLflow <c>/invocations</c> endpoint on loopback, over rows (f0, s): when
/// <c>usesSensitive</c> it predicts class (f0 &gt; 0) XOR s with confidence 0.9, so s is recoverable from the label and
/// f0; otherwise it predicts (f0 &gt; 0) and s changes nothing.
/// </summary>
public sealed class ScriptedModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ScriptedModelServer(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public static async Task<ScriptedModelServer> StartAsync(bool usesSensitive)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/invocations", async (HttpContext c) =>
        {
            var body = JsonNode.Parse(await new StreamReader(c.Request.Body).ReadToEndAsync())!;
            var rows = body["dataframe_split"]!["data"]!.AsArray();
            var predictions = new JsonArray();
            foreach (var row in rows)
            {
                var f0 = row![0]!.GetValue<double>();
                var s = row[1]!.GetValue<double>();
                var positive = (f0 > 0) ^ (usesSensitive && s > 0.5);
                predictions.Add(new JsonArray(positive ? 0.1 : 0.9, positive ? 0.9 : 0.1));
            }

            c.Response.ContentType = "application/json";
            await c.Response.WriteAsync(new JsonObject { ["predictions"] = predictions }.ToJsonString());
        });
        await app.StartAsync();
        return new ScriptedModelServer(app) { Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/") };
    }

    /// <summary>200 rows (f0, s, label, member) from a seed, labelled by the model that uses s.</summary>
    public static string WriteSample(string folder)
    {
        var random = new Random(11);
        var lines = new List<string> { "f0,s,label,member" };
        for (var i = 0; i < 200; i++)
        {
            var f0 = (random.NextDouble() * 2) - 1;
            var s = random.Next(2);
            var label = (f0 > 0) ^ (s == 1) ? 1 : 0;
            lines.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{f0:R},{s},{label},{(i < 100 ? 1 : 0)}"));
        }

        var path = Path.Combine(folder, "sample.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
