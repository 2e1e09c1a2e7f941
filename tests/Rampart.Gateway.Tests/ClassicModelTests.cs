using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rampart.Guard.Audit;

namespace Rampart.Gateway.Tests;

/// <summary>Runs only where Debian's /usr/bin/python3 has scikit-learn; otherwise skipped with the reason.</summary>
public sealed class SklearnFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> Available = new(() =>
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            return false;
        }

        using var p = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", "import sklearn"]) { RedirectStandardError = true })!;
        p.WaitForExit();
        return p.ExitCode == 0;
    });

    public SklearnFactAttribute()
    {
        if (!Available.Value)
        {
            Skip = "Debian's /usr/bin/python3 with scikit-learn is not available: the classic-model test serves a real sklearn model with it";
        }
    }
}

/// <summary>
/// A real scikit-learn model (iris, LogisticRegression) served by Debian's python over the Open Inference Protocol v2,
/// behind the gateway: predict-schema and range checks refuse bad rows before the model sees them, and confidence
/// masking changes what the caller gets back, observed end to end.
/// </summary>
public sealed class ClassicModelTests : IAsyncLifetime
{
    private const string Path = "/v2/models/iris/infer";
    private readonly string _log = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"rampart-iris-{Guid.NewGuid():N}.log");
    private Process? _server;
    private Uri _model = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            return;
        }

        var script = Rampart.TestKit.ModelServerScript.Path;
        _server = Process.Start(new ProcessStartInfo("/usr/bin/python3", [script, "--model", "iris", "--log", _log]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var port = await _server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        _model = new Uri($"http://127.0.0.1:{int.Parse(port!, CultureInfo.InvariantCulture)}");
    }

    public Task DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill();
        }

        _server?.Dispose();
        File.Delete(_log);
        return Task.CompletedTask;
    }

    private string Config(string masking) => $$$"""
        auth: { apiKeys: keys.json }
        audit: { directory: audit, bodies: redacted }
        clusters: { iris: { destinations: ["{{{_model}}}"], healthPath: /v2/health/ready } }
        routes:
          - name: iris
            path: "/v2/models/{model}/infer"
            protocol: v2-infer
            cluster: iris
            allow: [ { role: analyst, operations: [predict], models: [iris] } ]
            checks: { profile: iris.yaml, {{{masking}}} }
        """;

    private static void Profile(string directory) => File.WriteAllText(System.IO.Path.Combine(directory, "iris.yaml"), """
        model: iris
        maxBatch: 16
        features:
          - { name: "input-0[0]", type: number, min: 4, max: 8 }
          - { name: "input-0[1]", type: number, min: 2, max: 4.5 }
          - { name: "input-0[2]", type: number, min: 1, max: 7 }
          - { name: "input-0[3]", type: number, min: 0.1, max: 2.5 }
        """);

    private static string Infer(params double[][] rows) => JsonSerializer.Serialize(new
    {
        inputs = new[] { new { name = "input-0", shape = new[] { rows.Length, rows[0].Length }, datatype = "FP64", data = rows.SelectMany(r => r).ToArray() } },
    });

    private static readonly double[][] Flowers = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]];

    private static double[] Output(JsonNode answer, string name) =>
        [.. answer["outputs"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == name)!["data"]!.AsArray().Select(v => v!.GetValue<double>())];

    [SklearnFact]
    public async Task RoundedScores_AreTheModelsScoresRoundedTo2Decimals_AndLabelsAreKept()
    {
        await using var rig = await GatewayRig.StartAsync(Config("masking: round, maskingDecimals: 2"), prepare: Profile);
        using var direct = new HttpClient();
        var raw = JsonNode.Parse(await (await direct.PostAsync(new Uri(_model, Path), new StringContent(Infer(Flowers)))).Content.ReadAsStringAsync())!;
        var (status, masked, _) = await rig.PostAsync("alice", Path, Infer(Flowers));
        status.Should().Be(HttpStatusCode.OK, masked?.ToJsonString());
        Output(masked!, "label").Should().Equal([0, 2, 1], "the real model's classes for a setosa, a virginica and a versicolor");
        var exact = Output(raw, "probabilities");
        exact.Should().Contain(v => Math.Abs((v * 100) - Math.Round(v * 100)) > 1e-6, "the model itself answers with full precision");
        Output(masked!, "probabilities").Should().Equal(exact.Select(v => Math.Round(v, 2)), (a, b) => Math.Abs(a - b) < 1e-9);
        rig.Audit(new AuditQuery(Rule: "RAMP-GUARD-011")).Should().ContainSingle().Which.Decision.Should().Be("redact");
    }

    [SklearnFact]
    public async Task LabelOnly_RemovesTheScoresTensor()
    {
        await using var rig = await GatewayRig.StartAsync(Config("masking: label"), prepare: Profile);
        var (status, answer, _) = await rig.PostAsync("alice", Path, Infer(Flowers));
        status.Should().Be(HttpStatusCode.OK);
        answer!["outputs"]!.AsArray().Select(o => o!["name"]!.GetValue<string>()).Should().Equal("label");
        Output(answer, "label").Should().Equal([0, 2, 1]);
    }

    [SklearnFact]
    public async Task OutOfRangeOrMisShapedRows_AreRefusedBeforeTheModelSeesThem()
    {
        await using var rig = await GatewayRig.StartAsync(Config("masking: round"), prepare: Profile);
        var cases = new (string Body, string Rule)[]
        {
            (Infer([50, 3.0, 1.4, 0.2]), "RAMP-GUARD-010"),              // a sepal 50 cm long: outside the profile's range
            (Infer([5.1, 3.5, 1.4, -9]), "RAMP-GUARD-010"),
            (Infer([5.1, 3.5, 1.4]), "RAMP-GUARD-009"),                   // three features where the model takes four
            (Infer([.. Enumerable.Repeat(Flowers[0], 17)]), "RAMP-GUARD-009"), // a batch over maxBatch
        };
        foreach (var (body, rule) in cases)
        {
            var (status, json, _) = await rig.PostAsync("alice", Path, body);
            status.Should().Be(HttpStatusCode.Forbidden, body);
            json!["error"]!["rule"]!.GetValue<string>().Should().Be(rule, body);
        }

        var reached = File.Exists(_log) ? File.ReadAllLines(_log) : [];
        reached.Should().BeEmpty("no refused row reached the model");
        (await rig.PostAsync("alice", Path, Infer(Flowers[0]))).Status.Should().Be(HttpStatusCode.OK);
        File.ReadAllLines(_log).Should().ContainSingle();
    }
}
