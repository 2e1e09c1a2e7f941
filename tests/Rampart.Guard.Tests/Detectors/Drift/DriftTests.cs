using System.Globalization;
using Rampart.Guard.Detectors.Drift;
using Rampart.Guard.Pipeline;
using Rampart.Guard.Tests.Detectors.Extraction;
using Rampart.TestKit;

namespace Rampart.Guard.Tests.Detectors.Drift;

public sealed class DriftTests
{
    private static double Normal(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    [Fact]
    public void Profile_RoundTrip_KeepsWhatComparisonNeeds()
    {
        var rows = Enumerable.Range(0, 1000).Select(i => (IReadOnlyDictionary<string, string?>)new Dictionary<string, string?>
        {
            ["x"] = (i * 0.37 % 11).ToString(CultureInfo.InvariantCulture),
            ["colour"] = i % 3 == 0 ? "red" : "blue",
            ["maybe"] = i % 10 == 0 ? null : "1",
        }).ToList();
        var profile = DataProfile.Build(rows);
        using var stream = new MemoryStream();
        profile.Write(stream);
        stream.Position = 0;
        var read = DataProfile.Read(stream);
        read.Rows.Should().Be(1000);
        read.Features.Select(f => (f.Name, f.IsNumeric)).Should().Equal(("x", true), ("colour", false), ("maybe", true));
        read.Features[2].MissingRate.Should().BeApproximately(0.1, 1e-9);
        DriftComparer.Compare(read, profile).Should().OnlyContain(d => !d.Drifted);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"format\": \"other\"}")]
    [InlineData("not json")]
    [InlineData("{\"format\": \"rampart-profile/1\", \"rows\": 1, \"features\": [{\"name\": \"x\", \"kind\": \"weird\"}]}")]
    public void Profile_Malformed_IsInvalidData(string text)
    {
        var act = () => DataProfile.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)));
        act.Should().Throw<InvalidDataException>();
    }

    [Theory]
    [InlineData("a,b\n1,2\n3\n", "line 3")]
    [InlineData("a,b\n1,\"2\n", "unterminated")]
    [InlineData("a,a\n1,2\n", "repeats a column")]
    public void TableReader_MalformedCsv_NamesTheProblem(string csv, string expected)
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "d.csv");
        File.WriteAllText(path, csv);
        var act = () => TableReader.Read(path).ToList();
        act.Should().Throw<InvalidDataException>().WithMessage($"*{expected}*");
    }

    [DebianSklearnFact]
    public void Drift_BreastCancerData_ShiftedSplitIsFlagged_UnshiftedIsNot()
    {
        using var temp = new TempDirectory();
        const string Script = """
            import sys
            import numpy as np
            from sklearn.datasets import load_breast_cancer
            from sklearn.model_selection import train_test_split
            d = load_breast_cancer(as_frame=True)
            frame = d.frame
            train, test = train_test_split(frame, test_size=0.4, random_state=1, stratify=frame["target"])
            out = sys.argv[1]
            train.to_csv(out + "/train.csv", index=False)
            test.to_csv(out + "/test.csv", index=False)
            shifted = test.copy()
            shifted["mean radius"] = shifted["mean radius"] * 1.3
            shifted["worst texture"] = shifted["worst texture"] + shifted["worst texture"].std()
            shifted.to_csv(out + "/shifted.csv", index=False)
            """;
        var (code, _, stderr) = DebianPython.Run(["-", temp.Path], Script);
        code.Should().Be(0, stderr);
        var reference = DataProfile.Build(TableReader.Read(Path.Combine(temp.Path, "train.csv")), "target");
        reference.Features.Should().HaveCount(31);

        var unshifted = DriftComparer.Compare(reference, DataProfile.Build(TableReader.Read(Path.Combine(temp.Path, "test.csv")), "target"));
        unshifted.Where(d => d.Drifted).Select(d => d.Name + ": " + d.Reason).Should().BeEmpty();

        var shifted = DriftComparer.Compare(reference, DataProfile.Build(TableReader.Read(Path.Combine(temp.Path, "shifted.csv")), "target"));
        shifted.Where(d => d.Drifted).Select(d => d.Name).Should().BeEquivalentTo("mean radius", "worst texture");
    }

    [Fact]
    public void WindowedMonitor_ReportsOncePerWindow()
    {
        var r = new Random(4);
        var reference = DataProfile.Build(Enumerable.Range(0, 2000).Select(_ => Row(Normal(r))));
        var monitor = new WindowedDriftMonitor(reference, windowRows: 500);
        var reports = new List<System.Collections.Immutable.ImmutableArray<FeatureDrift>>();
        for (var i = 0; i < 1000; i++)
        {
            if (monitor.Add(Row(Normal(r) + (i >= 500 ? 1.5 : 0))) is { } report)
            {
                reports.Add(report);
            }
        }

        reports.Should().HaveCount(2);
        reports[0].Single().Drifted.Should().BeFalse();
        reports[1].Single().Drifted.Should().BeTrue();
    }

    private static Dictionary<string, string?> Row(double x) => new() { ["x"] = x.ToString("R", CultureInfo.InvariantCulture) };
}

public sealed class DriftCheckTests
{
    private static GuardRequest Predict(double x, int i) =>
        new("r", GuardPrincipal.Offline, "/v2/models/m/infer", "m", "predict", GuardProtocol.InferenceV2,
            new PredictPayload([[FeatureValue.Of(x), FeatureValue.Of("a")]], ["x", "kind"]), DateTimeOffset.UnixEpoch.AddSeconds(i));

    [Fact]
    public async Task DriftCheck_ShiftedWindow_AnnotatesTheDriftedFeatureOnly()
    {
        var r = new Random(8);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
        var reference = DataProfile.Build(Enumerable.Range(0, 3000).Select(_ => (IReadOnlyDictionary<string, string?>)new Dictionary<string, string?>
        {
            ["x"] = Normal().ToString("R", CultureInfo.InvariantCulture),
            ["kind"] = "a",
        }));
        var check = new DriftCheck(reference, windowRows: 400);
        var decisions = new List<GuardDecision>();
        for (var i = 0; i < 800; i++)
        {
            decisions.Add(await check.CheckAsync(Predict(Normal() + (i >= 400 ? 2 : 0), i), GuardContext.System, CancellationToken.None));
        }

        decisions.Take(400).Should().OnlyContain(d => d.Action == GuardAction.Allow);
        decisions[^1].Signals.Should().ContainSingle().Which.Reason.Should().Contain("feature 'x' drifted");
        decisions.Skip(400).Take(399).Should().OnlyContain(d => d.Action == GuardAction.Allow);
    }

    [Fact]
    public void HealthMonitor_RefusalRateJump_AlarmsOnThatSignal()
    {
        var monitor = new HealthMonitor();
        var r = new Random(3);
        for (var i = 0; i < 2000; i++)
        {
            monitor.Observe(refused: r.NextDouble() < 0.05, injectionScore: 0.05, error: false, latencyMs: 100 + r.Next(20)).Should().BeEmpty($"steady state at {i}");
        }

        var fired = new List<GuardSignal>();
        for (var i = 0; i < 100 && fired.Count == 0; i++)
        {
            fired.AddRange(monitor.Observe(refused: r.NextDouble() < 0.6, injectionScore: 0.05, error: false, latencyMs: 100 + r.Next(20)));
        }

        fired.Should().ContainSingle().Which.Reason.Should().Contain("refusal-rate");
    }
}

public sealed class ProfileOptionsTests
{
    [Fact]
    public async Task WithProfile_InputsOutsideTheTrainingRange_RaiseOutOfProfile()
    {
        var rows = Enumerable.Range(0, 1000).Select(i => (IReadOnlyDictionary<string, string?>)new Dictionary<string, string?>
        {
            ["age"] = (18 + (i % 60)).ToString(CultureInfo.InvariantCulture),
            ["city"] = i % 2 == 0 ? "Oslo" : "Bergen",
        });
        var options = new Rampart.Guard.Detectors.Extraction.ExtractionOptions().WithProfile(DataProfile.Build(rows), ["age", "city"]);
        options.FeatureRanges[0].Low.Should().BeApproximately(18 - 2.95, 1e-9);
        options.FeatureRanges[1].High.Should().Be(double.PositiveInfinity);
        options.FeatureScales[0].Should().BeInRange(20, 25, "the IQR of a uniform 18..77 is about 30, /1.349");

        var check = new Rampart.Guard.Detectors.Extraction.ExtractionCheck(new Rampart.Guard.Detectors.Extraction.InMemoryExtractionStateStore(options), options);
        async Task<bool> OutOfProfile(double age)
        {
            var request = new GuardRequest("r", GuardPrincipal.Offline, "/", "m", "predict", GuardProtocol.InferenceV2,
                new PredictPayload([[FeatureValue.Of(age), FeatureValue.Of("Oslo")]], []), DateTimeOffset.UnixEpoch);
            var decision = await check.CheckAsync(request, GuardContext.System, CancellationToken.None);
            return decision.Signals.Any(s => s.RuleId == Rampart.Guard.Detectors.Extraction.ExtractionCheck.OutOfProfileRuleId);
        }

        (await OutOfProfile(40)).Should().BeFalse();
        (await OutOfProfile(16)).Should().BeFalse("within the 5% margin");
        (await OutOfProfile(150)).Should().BeTrue();
        (await OutOfProfile(-1)).Should().BeTrue();
    }
}
