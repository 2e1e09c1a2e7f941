using System.Globalization;
using Rampart.Data.Anonymize;
using Rampart.Data.Tests.Kit;
using Rampart.TestKit;

namespace Rampart.Data.Tests.Anonymize;

public sealed class AnonymizerTests
{
    private static DatasetBuilder Patients(int rows, int seed)
    {
        var random = new Random(seed);
        string[] diagnoses = ["flu", "asthma", "diabetes", "migraine"];
        var b = new DatasetBuilder("name", "email", "age", "zip", "gender", "diagnosis", "income");
        for (var i = 0; i < rows; i++)
        {
            b.Row($"Person {i}", $"p{i}@clinic.test", 18 + random.Next(70), $"{75000 + random.Next(40):00000}", random.Next(2) == 0 ? "f" : "m", diagnoses[random.Next(4)], random.Next(20_000, 150_000));
        }

        return b;
    }

    private const string Policy = """
        key-env: RAMPART_TEST_ANON_KEY
        columns:
          name: suppress
          email: hash
          age: { generalize: 20 }
          zip: { generalize: "prefix:3" }
        quasi-identifiers: [age, zip, gender]
        sensitive: diagnosis
        k: 5
        l: 2
        dp:
          epsilon: 1.0
          delta: 0.00001
          queries:
            - { stat: count, by: diagnosis, epsilon: 0.5 }
            - { stat: mean, column: income, lower: 0, upper: 200000, epsilon: 0.4, mechanism: gaussian, delta: 0.00001 }
        """;

    /// <summary>Reads the output with a plain split (no Rampart code) and checks k-anonymity and l-diversity itself.</summary>
    private static (int K, int L, int Rows) IndependentCheck(string csv, string[] qi, string sensitive)
    {
        var lines = File.ReadAllLines(csv).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',');
        var q = qi.Select(c => Array.IndexOf(header, c)).ToArray();
        var s = Array.IndexOf(header, sensitive);
        var groups = lines.Skip(1).Select(l => l.Split(',')).GroupBy(f => string.Join("|", q.Select(i => f[i]))).ToList();
        return (groups.Min(g => g.Count()), groups.Min(g => g.Select(f => f[s]).Distinct().Count()), lines.Count - 1);
    }

    [Theory]
    [InlineData(400, 1, 5)]
    [InlineData(150, 2, 5)]
    [InlineData(1000, 3, 10)]
    public void Run_Policy_OutputIsKAnonymousByAnIndependentCheck(int rows, int seed, int k)
    {
        using var temp = new TempDirectory();
        Environment.SetEnvironmentVariable("RAMPART_TEST_ANON_KEY", "a-test-secret-of-enough-length");
        var input = Patients(rows, seed).WriteCsv(temp.File("in.csv"));
        var policy = AnonymizationPolicy.Parse(Policy.Replace("k: 5", $"k: {k}", StringComparison.Ordinal), temp.File("p.yaml"), temp.Path);
        var result = Anonymizer.Run(input, temp.File("out.csv"), policy);
        var (minK, minL, written) = IndependentCheck(temp.File("out.csv"), ["age", "zip", "gender"], "diagnosis");
        minK.Should().BeGreaterThanOrEqualTo(k);
        result.K.Should().Be(minK);
        written.Should().Be((int)result.RowsOut);
        (result.RowsOut + result.Suppressed).Should().Be(rows);
        result.L.Should().Be(Math.Min(minL, 2), "l is counted up to the required l");
        var text = File.ReadAllText(temp.File("out.csv"));
        text.Should().NotContain("Person ").And.NotContain("@clinic.test");
        File.ReadLines(temp.File("out.csv")).First().Should().Be("email,age,zip,gender,diagnosis,income");
    }

    [Fact]
    public void Run_WithoutGeneralisation_SuppressesRowsThatWouldBeUnique()
    {
        using var temp = new TempDirectory();
        var input = Patients(200, 4).WriteCsv(temp.File("in.csv"));
        var policy = AnonymizationPolicy.Parse("quasi-identifiers: [age, zip]\nk: 3\n", temp.File("p.yaml"), temp.Path);
        var result = Anonymizer.Run(input, temp.File("out.csv"), policy);
        result.Suppressed.Should().BeGreaterThan(150, "exact age and zip are nearly unique");
        if (result.RowsOut > 0)
        {
            IndependentCheck(temp.File("out.csv"), ["age", "zip"], "diagnosis").K.Should().BeGreaterThanOrEqualTo(3);
        }
    }

    [Theory]
    [InlineData("ada@corp.test", ColumnAction.Mask, 4, "*********test")]
    [InlineData("75012", ColumnAction.Generalize, 2, "75***")]
    [InlineData("1987-04-02", ColumnAction.Generalize, -1, "1987")]
    [InlineData("37", ColumnAction.Generalize, -10, "30-40")]
    public void Transform_Rules(string value, ColumnAction action, int parameter, string expected)
    {
        var rule = parameter switch
        {
            -1 => new ColumnRule(action, Year: true),
            < -1 => new ColumnRule(action, BinWidth: -parameter),
            _ => new ColumnRule(action, Keep: parameter),
        };
        Anonymizer.Transform(rule, value, null).Should().Be(expected);
    }

    [Fact]
    public void Hash_IsKeyedAndStable()
    {
        var rule = new ColumnRule(ColumnAction.Hash);
        var a = Anonymizer.Transform(rule, "ada@corp.test", "key-one-0123456789"u8.ToArray());
        a.Should().Be(Anonymizer.Transform(rule, "ada@corp.test", "key-one-0123456789"u8.ToArray())).And.HaveLength(32);
        a.Should().NotBe(Anonymizer.Transform(rule, "ada@corp.test", "key-two-0123456789"u8.ToArray()));
    }

    [Theory]
    [InlineData("columns: { email: hash }\n", "hash needs a secret")]
    [InlineData("columns: { email: scramble }\n", "unknown action")]
    [InlineData("colums: {}\n", "unknown key 'colums'")]
    [InlineData("dp: { epsilon: 0.5, queries: [ { stat: count, epsilon: 0.4 }, { stat: count, epsilon: 0.3 } ] }\n", "over the budget")]
    [InlineData("dp: { epsilon: 5, delta: 0.1, queries: [ { stat: mean, column: x, lower: 0, upper: 1, epsilon: 2, mechanism: gaussian, delta: 0.01 } ] }\n", "invalid")]
    public void Parse_BadPolicy_ClearError(string yaml, string message)
    {
        var act = () => AnonymizationPolicy.Parse(yaml, "p.yaml", "/");
        act.Should().Throw<AnonymizationException>().WithMessage($"*{message}*");
    }

    [Fact]
    public void Dp_LaplaceNoise_HasTheRightScaleAndTheBudgetIsReported()
    {
        var random = new Random(42);
        var draws = Enumerable.Range(0, 200_000).Select(_ => Anonymizer.Laplace(2.0, () => random.NextDouble() is var u && u == 0 ? 0.5 : u)).ToArray();
        draws.Average().Should().BeApproximately(0, 0.05);
        draws.Average(Math.Abs).Should().BeApproximately(2.0, 0.05, "the mean absolute value of Laplace(b) is b");
        var gauss = Enumerable.Range(0, 200_000).Select(_ => Anonymizer.Gaussian(3.0, () => 1 - random.NextDouble())).ToArray();
        Math.Sqrt(gauss.Average(x => x * x)).Should().BeApproximately(3.0, 0.05);

        using var temp = new TempDirectory();
        Environment.SetEnvironmentVariable("RAMPART_TEST_ANON_KEY", "a-test-secret-of-enough-length");
        var input = Patients(2000, 9).WriteCsv(temp.File("in.csv"));
        var result = Anonymizer.Run(input, temp.File("out.csv"), AnonymizationPolicy.Parse(Policy, temp.File("p.yaml"), temp.Path));
        result.EpsilonSpent.Should().BeApproximately(0.9, 1e-9);
        result.ToJson().Should().Contain("\"epsilonRemaining\"");
        var counts = result.Releases.Where(r => r.Query.StartsWith("count", StringComparison.Ordinal)).ToList();
        counts.Should().HaveCount(4);
        counts.Sum(r => r.Value).Should().BeApproximately(2000, 60, "Laplace(2) noise on four counts");
        var mean = result.Releases.Single(r => r.Query.StartsWith("mean", StringComparison.Ordinal));
        mean.Value.Should().BeInRange(60_000, 110_000);
        mean.Scale.Should().BeApproximately(200_000 * Math.Sqrt(2 * Math.Log(1.25 / 0.000005)) / 0.2, 1);
        _ = CultureInfo.InvariantCulture;
    }
}
