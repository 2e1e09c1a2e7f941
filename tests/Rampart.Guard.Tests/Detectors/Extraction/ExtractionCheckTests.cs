using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Rampart.Guard.Detectors.Drift;
using Rampart.Guard.Detectors.Extraction;
using Rampart.Guard.Pipeline;
using Rampart.Text.Statistics;
using Rampart.TestKit;

namespace Rampart.Guard.Tests.Detectors.Extraction;

/// <summary>Runs only where Debian's /usr/bin/python3 with numpy, scipy and scikit-learn exists; otherwise skipped with the reason.</summary>
public sealed class DebianSklearnFactAttribute() : DebianPythonFactAttribute("numpy", "scipy", "sklearn");

public sealed class ExtractionCheckTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static GuardRequest Request(string principal, double[] row, DateTimeOffset at, string operation = "predict") =>
        new("r", new GuardPrincipal(principal, []), "/v2/models/m/infer", "m", operation, GuardProtocol.InferenceV2,
            new PredictPayload([[.. row.Select(FeatureValue.Of)]], []), at);

    private static async Task<GuardDecision> Send(ExtractionCheck check, string principal, double[] row, DateTimeOffset at, string operation = "predict") =>
        await check.CheckAsync(Request(principal, row, at, operation), GuardContext.System, CancellationToken.None);

    /// <summary>
    /// The issue's test, at scale: a real extraction attack against a real scikit-learn model is blocked within a stated
    /// number of queries (MinEarlierQueries + MinDistancesForTest = 66), while at most 1% of 200 benign clients replaying
    /// held-out real data (100 queries each, interleaved) is ever flagged, in raw units and with the profile's scales.
    /// </summary>
    [DebianSklearnFact]
    public async Task Prada_ScriptedJacobianAttackOnSklearnModel_IsBlockedWithin66Queries_And200BenignClientsAreNot()
    {
        var script = File.ReadAllText(Path.Combine(Rampart.TestKit.RepositoryPaths.Root, "tests", "Rampart.Guard.Tests", "Detectors", "Extraction", "extraction_attack.py"));
        var (code, stdout, stderr) = DebianPython.Run(["-"], script);
        code.Should().Be(0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        static double[][] Rows(JsonElement e) => [.. e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray())];

        var benign = root.GetProperty("benign").EnumerateArray().Select(Rows).ToArray();
        benign.Should().HaveCount(200);
        var attack = Rows(root.GetProperty("attack"));
        var train = Rows(root.GetProperty("train"));
        var names = Enumerable.Range(0, train[0].Length).Select(i => $"f{i}").ToArray();
        var profile = DataProfile.Build(train.Select(r => (IReadOnlyDictionary<string, string?>)names.Select((n, i) => (n, r[i])).ToDictionary(p => p.n, p => (string?)p.Item2.ToString("R", CultureInfo.InvariantCulture))));

        foreach (var (name, options) in new[] { ("raw units", new ExtractionOptions()), ("profile scales", new ExtractionOptions().WithProfile(profile, names)) })
        {
            var check = new ExtractionCheck(new InMemoryExtractionStateStore(options), options);
            var flagged = new SortedSet<int>();
            var at = T0;
            for (var i = 0; i < benign[0].Length; i++)
            {
                for (var c = 0; c < benign.Length; c++)
                {
                    at = at.AddSeconds(3);
                    var decision = await Send(check, $"benign-{c}", benign[c][i], at);
                    if (decision.Signals.Any(s => s.RuleId == ExtractionCheck.PradaRuleId))
                    {
                        flagged.Add(c);
                    }
                }
            }

            flagged.Count.Should().BeLessThanOrEqualTo(2, $"{name}: at most 1% of 200 benign clients may be flagged (flagged: {string.Join(", ", flagged)})");

            int? flaggedAt = null;
            for (var i = 0; i < attack.Length && flaggedAt is null; i++)
            {
                var decision = await Send(check, "attacker", attack[i], at.AddSeconds(i));
                if (decision.Action == GuardAction.Block && decision.Signals.Any(s => s.RuleId == ExtractionCheck.PradaRuleId))
                {
                    flaggedAt = i + 1;
                }
            }

            flaggedAt.Should().NotBeNull($"{name}: the attack is caught").And.BeLessThanOrEqualTo(66, $"{name}: PRADA tests from the 66th query on (16 earlier queries, then 50 distances)");
        }
    }

    /// <summary>
    /// 200 simulated benign clients sending independent Gaussian queries (the case that flagged 7-10% before the
    /// warm-up and the larger minimum sample): at most 1% is ever flagged, with the test run after every query.
    /// </summary>
    [Theory]
    [InlineData(12)]
    [InlineData(16)]
    [InlineData(64)]
    public async Task Prada_200BenignGaussianClients_AtMostOnePercentFlagged(int features)
    {
        var random = new Random(features);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var options = new ExtractionOptions();
        var check = new ExtractionCheck(new InMemoryExtractionStateStore(options), options);
        var flagged = 0;
        for (var c = 0; c < 200; c++)
        {
            var hit = false;
            for (var q = 0; q < 120; q++)
            {
                var decision = await Send(check, $"client-{c}", [.. Enumerable.Range(0, features).Select(_ => Normal())], T0.AddSeconds((c * 1000) + q));
                hit |= decision.Signals.Any(s => s.RuleId == ExtractionCheck.PradaRuleId);
            }

            flagged += hit ? 1 : 0;
        }

        flagged.Should().BeLessThanOrEqualTo(2, $"{features} features: at most 1% of 200 benign clients");
    }

    [Fact]
    public async Task Prada_FewFeatures_IsNotApplied_UnlessConfigured()
    {
        // a fixed-step walk in 4 dimensions: PRADA's signature, but 4 features are below MinFeaturesForPrada
        async Task<bool> Flagged(ExtractionOptions options)
        {
            var check = new ExtractionCheck(new InMemoryExtractionStateStore(options), options);
            var random = new Random(5);
            var x = new double[4];
            var hit = false;
            for (var i = 0; i < 120; i++)
            {
                x[random.Next(x.Length)] += random.Next(2) == 0 ? 0.5 : -0.5;
                hit |= (await Send(check, "walker", x, T0.AddSeconds(i))).Signals.Any(s => s.RuleId == ExtractionCheck.PradaRuleId);
            }

            return hit;
        }

        (await Flagged(new ExtractionOptions())).Should().BeFalse();
        (await Flagged(new ExtractionOptions { MinFeaturesForPrada = 4 })).Should().BeTrue();
    }

    [Fact]
    public void WithProfile_FloorsTheScaleOfNearlyConstantFeatures()
    {
        var rows = Enumerable.Range(0, 1000).Select(i => (IReadOnlyDictionary<string, string?>)new Dictionary<string, string?>
        {
            ["wide"] = (i % 100).ToString(CultureInfo.InvariantCulture),
            ["also-wide"] = (i % 50).ToString(CultureInfo.InvariantCulture),
            ["nearly-constant"] = (i % 40 == 0 ? 1 : 0).ToString(CultureInfo.InvariantCulture),
            ["narrow"] = (i % 2 * 0.01).ToString(CultureInfo.InvariantCulture),
        });
        var options = new ExtractionOptions().WithProfile(DataProfile.Build(rows), ["wide", "also-wide", "nearly-constant", "narrow"]);
        var robustWide = options.FeatureScales[0];
        robustWide.Should().BeApproximately(50 / 1.349, 2);
        var floor = options.FeatureScales.Take(2).Order().First() / 2;
        options.FeatureScales[2].Should().BeApproximately(floor, 1e-9, "a feature with no spread between its quartiles gets the floor, not 1");
        options.FeatureScales[3].Should().BeApproximately(floor, 1e-9, "a narrow feature is not divided by its tiny spread");
    }

    [DebianSklearnFact]
    public void ShapiroWilk_MatchesScipy()
    {
        var random = new Random(3);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var samples = new List<double[]>
        {
            Enumerable.Range(0, 20).Select(_ => Normal()).ToArray(),
            Enumerable.Range(0, 50).Select(_ => random.NextDouble()).ToArray(),
            Enumerable.Range(0, 200).Select(_ => -Math.Log(1 - random.NextDouble())).ToArray(),
            Enumerable.Range(0, 1000).Select(_ => Normal() * 3 + 10).ToArray(),
            new double[] { 1, 2, 3, 4, 100 },
            new double[] { 5, 1, 9 },
        };
        var json = JsonSerializer.Serialize(samples);
        var (code, stdout, stderr) = DebianPython.Run(["-c", "import json,sys; from scipy.stats import shapiro; print(json.dumps([float(shapiro(s).statistic) for s in json.load(sys.stdin)]))"], json);
        code.Should().Be(0, stderr);
        var expected = JsonSerializer.Deserialize<double[]>(stdout)!;
        for (var i = 0; i < samples.Count; i++)
        {
            ShapiroWilk.W(samples[i]).Should().BeApproximately(expected[i], 2e-3, $"sample {i} (n={samples[i].Length})");
        }
    }

    [Fact]
    public async Task Budget_OverTheLimit_Annotates()
    {
        var options = new ExtractionOptions { QueryBudget = 5, MinDistancesForTest = 1000 };
        var check = new ExtractionCheck(new InMemoryExtractionStateStore(options), options);
        for (var i = 0; i < 5; i++)
        {
            (await Send(check, "p", [i * 10.0, i * 7.0], T0.AddSeconds(i))).Action.Should().Be(GuardAction.Allow);
        }

        var over = await Send(check, "p", [99, 1], T0.AddSeconds(9));
        over.Action.Should().Be(GuardAction.Annotate);
        over.Signals.Should().ContainSingle(s => s.RuleId == ExtractionCheck.BudgetRuleId).Which.Reason.Should().Contain("6 queries exceed the budget of 5");
    }

    [Theory]
    [InlineData("predict", false)]
    [InlineData("predict_proba", true)]
    public async Task NearDuplicateBurst_AroundOnePoint_IsReported(string operation, bool confidenceProbing)
    {
        var options = new ExtractionOptions { BurstCount = 10, MinDistancesForTest = 1000 };
        var check = new ExtractionCheck(new InMemoryExtractionStateStore(options), options);
        GuardDecision last = GuardDecision.Allow;
        for (var i = 0; i < 12; i++)
        {
            last = await Send(check, "prober", [5.0 + (i * 0.001), 3.0], T0.AddSeconds(i), operation);
        }

        last.Signals.Select(s => s.RuleId).Should().Contain(ExtractionCheck.BurstRuleId);
        last.Signals.Any(s => s.RuleId == ExtractionCheck.ConfidenceProbingRuleId).Should().Be(confidenceProbing);
    }

    [Fact]
    public async Task NearDuplicates_SpreadBeyondTheWindow_AreNotABurst()
    {
        var options = new ExtractionOptions { BurstCount = 10, BurstWindow = TimeSpan.FromMinutes(1), MinDistancesForTest = 1000 };
        var check = new ExtractionCheck(new InMemoryExtractionStateStore(options), options);
        GuardDecision last = GuardDecision.Allow;
        for (var i = 0; i < 12; i++)
        {
            last = await Send(check, "slow", [5.0 + (i * 0.001), 3.0], T0.AddMinutes(i));
        }

        last.Signals.Select(s => s.RuleId).Should().NotContain(ExtractionCheck.BurstRuleId);
    }

    [Theory]
    [InlineData(new[] { 0.5, 0.5 }, false)]
    [InlineData(new[] { 5.0, 0.5 }, true)]
    [InlineData(new[] { 0.5, -3.0 }, true)]
    [InlineData(new[] { double.NaN, 0.5 }, true)]
    public async Task OutOfProfile_FeatureOutsideTrainingRange_IsReported(double[] row, bool expected)
    {
        var options = new ExtractionOptions { FeatureRanges = [(0, 1), (0, 1)] };
        var check = new ExtractionCheck(new InMemoryExtractionStateStore(options), options);
        var decision = await Send(check, "p", row, T0);
        decision.Signals.Any(s => s.RuleId == ExtractionCheck.OutOfProfileRuleId).Should().Be(expected);
    }

    [Fact]
    public async Task NonPredictPayload_IsIgnored()
    {
        var options = new ExtractionOptions();
        var check = new ExtractionCheck(new InMemoryExtractionStateStore(options), options);
        var request = new GuardRequest("r", GuardPrincipal.Offline, "/", null, "chat", GuardProtocol.OpenAiChat, new TextPayload(["hi"], TextSource.UserInput), T0);
        (await check.CheckAsync(request, GuardContext.System, CancellationToken.None)).Should().Be(GuardDecision.Allow);
    }

    [Fact]
    public async Task InMemoryStore_EvictsLeastRecentlyUsedPrincipal_AndBoundsHistory()
    {
        var options = new ExtractionOptions { MaxPrincipals = 3, MaxRecent = 4, MaxDistances = 5 };
        var store = new InMemoryExtractionStateStore(options);
        foreach (var p in new[] { "a", "b", "c" })
        {
            await store.AddAsync(p, new QueryRecord([1], null, 1, false, T0), CancellationToken.None);
        }

        await store.AddAsync("a", new QueryRecord([2], 1, 2, false, T0), CancellationToken.None); // a is now most recent
        await store.AddAsync("d", new QueryRecord([3], null, 3, false, T0), CancellationToken.None); // evicts b
        store.Count.Should().Be(3);
        (await store.GetAsync("b", CancellationToken.None)).Count.Should().Be(0);
        (await store.GetAsync("a", CancellationToken.None)).Count.Should().Be(2);
        for (var i = 0; i < 20; i++)
        {
            await store.AddAsync("a", new QueryRecord([i], i, i, false, T0), CancellationToken.None);
        }

        var a = await store.GetAsync("a", CancellationToken.None);
        a.Recent.Should().HaveCount(4);
        a.Distances.Should().HaveCount(5);
        a.Count.Should().Be(22);
        a.Recent[^1].Should().Equal(19f);
    }

    [Fact]
    public async Task Coverage_ManyDistinctCells_IsReported()
    {
        var options = new ExtractionOptions { CoverageCells = 50, MinDistancesForTest = 100_000 };
        var check = new ExtractionCheck(new InMemoryExtractionStateStore(options), options);
        var random = new Random(5);
        GuardDecision last = GuardDecision.Allow;
        for (var i = 0; i < 400; i++)
        {
            last = await Send(check, "explorer", [.. Enumerable.Range(0, 8).Select(_ => (random.NextDouble() * 6) - 3)], T0.AddSeconds(i));
        }

        last.Signals.Select(s => s.RuleId).Should().Contain(ExtractionCheck.CoverageRuleId);
    }
}

/// <summary>Runs against a real Redis only when RAMPART_TEST_REDIS (a StackExchange.Redis configuration string) is set.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("RAMPART_TEST_REDIS")))
        {
            Skip = "RAMPART_TEST_REDIS is not set (e.g. localhost:6379): the Redis store test needs a running redis-server";
        }
    }
}

public sealed class RedisExtractionStateStoreTests
{
    [RedisFact]
    public async Task RedisStore_BehavesLikeTheInMemoryStore()
    {
        using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Environment.GetEnvironmentVariable("RAMPART_TEST_REDIS")!);
        var options = new ExtractionOptions { MaxRecent = 4, MaxDistances = 5, BurstCount = 2 };
        var prefix = $"rampart-test:{Guid.NewGuid():N}:";
        var redisStore = new RedisExtractionStateStore(redis.GetDatabase(), options, TimeSpan.FromMinutes(5), prefix);
        var memoryStore = new InMemoryExtractionStateStore(options);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 12; i++)
        {
            var record = new QueryRecord([i, i * 0.5f], i == 0 ? null : i * 0.25, i % 3, i % 2 == 0, t0.AddSeconds(i));
            await redisStore.AddAsync("p:1", record, CancellationToken.None);
            await memoryStore.AddAsync("p:1", record, CancellationToken.None);
        }

        var fromRedis = await redisStore.GetAsync("p:1", CancellationToken.None);
        var fromMemory = await memoryStore.GetAsync("p:1", CancellationToken.None);
        fromRedis.Count.Should().Be(fromMemory.Count);
        fromRedis.DistinctCells.Should().Be(fromMemory.DistinctCells);
        fromRedis.Distances.Should().Equal(fromMemory.Distances);
        fromRedis.Recent.Select(v => v.ToArray()).Should().BeEquivalentTo(fromMemory.Recent.Select(v => v.ToArray()), o => o.WithStrictOrdering());
        fromRedis.NearDuplicates.Should().Equal(fromMemory.NearDuplicates);
        (await redisStore.GetAsync("other", CancellationToken.None)).Count.Should().Be(0);
    }

    /// <summary>
    /// Two gateway replicas (two connections) and eight writers record one principal's queries at once: every update
    /// is kept, each writer's queries stay in its own order, and the coverage-cell cap holds exactly (a read of the set's
    /// size and a separate write used to let concurrent replicas overshoot it).
    /// </summary>
    [RedisFact]
    public async Task RedisStore_ConcurrentReplicas_LoseNoUpdateAndKeepTheBounds()
    {
        var configuration = Environment.GetEnvironmentVariable("RAMPART_TEST_REDIS")!;
        using var replicaA = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(configuration);
        using var replicaB = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(configuration);
        var options = new ExtractionOptions { MaxRecent = 1000, MaxDistances = 1000, MaxCells = 7, BurstCount = 1000 };
        var prefix = $"rampart-test:{Guid.NewGuid():N}:";
        var stores = new[]
        {
            new RedisExtractionStateStore(replicaA.GetDatabase(), options, TimeSpan.FromMinutes(5), prefix),
            new RedisExtractionStateStore(replicaB.GetDatabase(), options, TimeSpan.FromMinutes(5), prefix),
        };
        const int Writers = 8, PerWriter = 60;
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                await stores[w % 2].AddAsync("client:1", new QueryRecord([w, i], (w * 1000) + i, (w * PerWriter) + i, true, t0.AddSeconds((w * 1000) + i)), CancellationToken.None);
            }
        })));

        var state = await stores[1].GetAsync("client:1", CancellationToken.None);
        state.Count.Should().Be(Writers * PerWriter);
        state.Distances.Should().HaveCount(Writers * PerWriter).And.OnlyHaveUniqueItems();
        state.Recent.Should().HaveCount(Writers * PerWriter);
        state.NearDuplicates.Should().HaveCount(Writers * PerWriter);
        state.DistinctCells.Should().Be(options.MaxCells);
        for (var w = 0; w < Writers; w++)
        {
            state.Recent.Where(v => v[0] == w).Select(v => v[1]).Should().Equal(Enumerable.Range(0, PerWriter).Select(i => (float)i), $"writer {w}'s queries in order");
        }
    }

    [RedisFact]
    public async Task RedisStore_TrimsToItsBoundsUnderConcurrency()
    {
        using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Environment.GetEnvironmentVariable("RAMPART_TEST_REDIS")!);
        var options = new ExtractionOptions { MaxRecent = 16, MaxDistances = 24, MaxCells = 3, BurstCount = 5 };
        var store = new RedisExtractionStateStore(redis.GetDatabase(), options, TimeSpan.FromMinutes(5), $"rampart-test:{Guid.NewGuid():N}:");
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => store.AddAsync("p", new QueryRecord([i], i, i, i % 2 == 0, t0.AddSeconds(i)), CancellationToken.None).AsTask()));
        var state = await store.GetAsync("p", CancellationToken.None);
        state.Count.Should().Be(200);
        state.Recent.Should().HaveCount(16);
        state.Distances.Should().HaveCount(24);
        state.DistinctCells.Should().Be(3);
        state.NearDuplicates.Should().HaveCount(10);
    }
}
