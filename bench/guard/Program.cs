using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using Rampart.Guard;
using Rampart.Guard.Detectors.Extraction;
using Rampart.Guard.Pipeline;
using Rampart.Text;
using Rampart.Text.Detection;
using Rampart.Text.Injection;
using Rampart.Text.Normalization;

// usage: dotnet run -c Release --project bench/guard -- [LABELLED.jsonl]
// Prompts of exactly 2,000 characters are made from the texts of the file (or a built-in paragraph), single thread.
var texts = args.Length > 0
    ? File.ReadLines(args[0]).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToList()
    : ["Please summarise the following meeting notes and list the action items for each person, with deadlines where they were mentioned."];
var prompts = new List<string>();
for (var i = 0; prompts.Count < 500; i++)
{
    var s = "";
    var j = i;
    while (s.Length < 2000)
    {
        s += texts[j++ % texts.Count] + "\n";
    }

    prompts.Add(s[..2000]);
}

var detector = InjectionDetector.Default;
var model = InjectionModel.Shipped;
var patterns = TextPatterns.Default;
var rows = new List<(string Name, double P50, double P99)>
{
    Measure("reference: ToUpperInvariant + Contains(\"IGNORE\")", p => p.ToUpperInvariant().Contains("IGNORE", StringComparison.Ordinal)),
    Measure("normalisation (TextNormalizer)", p => TextNormalizer.Normalize(p)),
    Measure("classifier only (InjectionModel.Score)", p => model.Score(p)),
    Measure("injection detector (normalise + rules + classifier on every view)", p => detector.Analyze(p)),
    Measure("secrets (TextDetectors.FindSecrets)", p => TextDetectors.FindSecrets(p, patterns.Secrets).Count()),
    Measure("personal data (TextDetectors.FindPii)", p => TextDetectors.FindPii(p, patterns.Pii).Count()),
};

Console.WriteLine($"## Per-input latency, 2,000-character prompts, one thread ({prompts.Count} prompts x 4 rounds, after warm-up)\n");
Console.WriteLine("| detector | p50 (ms) | p99 (ms) | p99 / reference p99 |");
Console.WriteLine("| --- | ---: | ---: | ---: |");
foreach (var (name, p50, p99) in rows)
{
    Console.WriteLine($"| {name} | {p50:0.000} | {p99:0.000} | {p99 / rows[0].P99:0.0} |");
}

// extraction check: per request, 30 features, principal history full
var options = new ExtractionOptions();
var store = new InMemoryExtractionStateStore(options);
var check = new ExtractionCheck(store, options);
var random = new Random(1);
var times = new List<double>();
var t0 = DateTimeOffset.UnixEpoch;
for (var i = 0; i < 3000; i++)
{
    var row = ImmutableArray.CreateRange(Enumerable.Range(0, 30).Select(_ => FeatureValue.Of(random.NextDouble())));
    var request = new GuardRequest("r", new GuardPrincipal($"p{i % 50}", []), "/", "m", "predict", GuardProtocol.InferenceV2, new PredictPayload([row], []), t0.AddSeconds(i));
    var sw = Stopwatch.StartNew();
    check.CheckAsync(request, GuardContext.System, CancellationToken.None).AsTask().GetAwaiter().GetResult();
    if (i >= 1000)
    {
        times.Add(sw.Elapsed.TotalMilliseconds);
    }
}

times.Sort();
Console.WriteLine($"| extraction check (30 features, 64-query history, PRADA test) | {times[times.Count / 2]:0.000} | {times[(int)(times.Count * 0.99)]:0.000} | {times[(int)(times.Count * 0.99)] / rows[0].P99:0.0} |");

// memory for 10,000 principals with full histories
GC.Collect();
GC.WaitForPendingFinalizers();
GC.Collect();
var before = GC.GetTotalMemory(true);
var big = new InMemoryExtractionStateStore(options);
for (var p = 0; p < 10_000; p++)
{
    for (var q = 0; q < options.MaxRecent + 1; q++)
    {
        var v = new float[30];
        for (var k = 0; k < v.Length; k++)
        {
            v[k] = (float)random.NextDouble();
        }

        big.AddAsync($"principal-{p}", new QueryRecord(v, random.NextDouble(), q, q % 4 == 0, t0), CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }
}

var after = GC.GetTotalMemory(true);
Console.WriteLine($"\n## Memory: 10,000 principals, each with a full history (64 vectors of 30 features, 65 distances and cells)\n");
Console.WriteLine($"{(after - before) / 1048576.0:0.0} MiB managed heap ({(after - before) / 10_000.0 / 1024:0.0} KiB per principal); principals tracked: {big.Count}");
GC.KeepAlive(big);

(string, double, double) Measure(string name, Func<string, object> run)
{
    foreach (var p in prompts.Take(100))
    {
        run(p);
    }

    var samples = new List<double>();
    for (var round = 0; round < 4; round++)
    {
        foreach (var p in prompts)
        {
            var sw = Stopwatch.StartNew();
            run(p);
            samples.Add(sw.Elapsed.TotalMilliseconds);
        }
    }

    samples.Sort();
    return (name, samples[samples.Count / 2], samples[(int)(samples.Count * 0.99)]);
}
