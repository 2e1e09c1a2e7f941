using System.Globalization;
using System.Text;
using System.Text.Json;
using Rampart.TestKit;

namespace Rampart.Cli.Tests;

public sealed class ProfileCommandTests
{
    private static string Csv(TempDirectory temp, string name, int rows, double shift, int seed)
    {
        var r = new Random(seed);
        var sb = new StringBuilder("age,income,segment\n");
        for (var i = 0; i < rows; i++)
        {
            var age = 40 + (12 * (r.NextDouble() + r.NextDouble() + r.NextDouble() - 1.5)) + shift;
            var segment = r.Next(3) switch { 0 => "a", 1 => "b", _ => "c" };
            sb.Append(CultureInfo.InvariantCulture, $"{age:0.00},{r.Next(20_000, 90_000)},{segment}\n");
        }

        var path = Path.Combine(temp.Path, name);
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Fact]
    public async Task BuildThenCompare_SameDistribution_ExitZero_ShiftedColumn_ExitOne()
    {
        using var temp = new TempDirectory();
        var train = Csv(temp, "train.csv", 3000, 0, 1);
        var profile = Path.Combine(temp.Path, "p.json");
        var build = await CliRunner.RunAsync(["profile", "build", train, "-o", profile]);
        build.ExitCode.Should().Be(0, build.Stderr);
        build.Stdout.Should().Contain("profiled 3000 rows, 3 columns (2 numeric)");

        var same = await CliRunner.RunAsync(["profile", "compare", profile, Csv(temp, "same.csv", 1500, 0, 2)]);
        same.ExitCode.Should().Be(0, same.Stdout);
        same.Stdout.Should().Contain("0 of 3 columns drifted");

        var shifted = await CliRunner.RunAsync(["profile", "compare", profile, Csv(temp, "shifted.csv", 1500, 8, 3), "--format", "json"]);
        shifted.ExitCode.Should().Be(1);
        using var doc = JsonDocument.Parse(shifted.Stdout);
        doc.RootElement.EnumerateArray().Where(e => e.GetProperty("drifted").GetBoolean()).Select(e => e.GetProperty("column").GetString()).Should().Equal("age");
    }

    [Fact]
    public async Task Compare_MalformedProfile_IsAUsageError()
    {
        using var temp = new TempDirectory();
        var bad = Path.Combine(temp.Path, "bad.json");
        File.WriteAllText(bad, "{\"format\": \"nope\"}");
        var run = await CliRunner.RunAsync(["profile", "compare", bad, Csv(temp, "d.csv", 10, 0, 1)]);
        run.ExitCode.Should().Be(3);
        run.Stderr.Should().Contain("cannot read profile");
    }

    [Fact]
    public async Task Build_RaggedCsv_IsAUsageErrorWithTheLine()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "ragged.csv");
        File.WriteAllText(path, "a,b\n1,2\n3,4,5\n");
        var run = await CliRunner.RunAsync(["profile", "build", path]);
        run.ExitCode.Should().Be(3);
        run.Stderr.Should().Contain("line 3");
    }

    [Fact]
    public async Task Build_ParquetTrainingData_ProfilesItAndABrokenFileIsAUsageError()
    {
        using var temp = new TempDirectory();
        var age = new Parquet.Schema.DataField<double>("age");
        var segment = new Parquet.Schema.DataField<string>("segment");
        var path = Path.Combine(temp.Path, "train.parquet");
        await using (var file = File.Create(path))
        {
            await using var writer = await Parquet.ParquetWriter.CreateAsync(new Parquet.Schema.ParquetSchema(age, segment), file);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<double>(age, Enumerable.Range(0, 500).Select(i => 20.0 + (i % 50)).ToArray().AsMemory());
            await group.WriteAsync(segment, Enumerable.Range(0, 500).Select(i => i % 2 == 0 ? "a" : "b").ToArray());
        }

        var build = await CliRunner.RunAsync(["profile", "build", path, "-o", Path.Combine(temp.Path, "p.json")]);
        if (await CliRunner.IsNativeAotAsync())
        {
            build.ExitCode.Should().Be(3, "the NativeAOT binary has no Parquet reader and says so");
            build.Stderr.Should().Contain("train.parquet: reading Parquet needs Parquet.Net, " + CliRunner.LeftOutOfNativeAot).And.NotContain("   at ");
            return;
        }

        build.ExitCode.Should().Be(0, build.Stderr);
        build.Stdout.Should().Contain("profiled 500 rows, 2 columns (1 numeric)");

        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, [.. bytes.AsSpan(0, bytes.Length / 2), .. "PAR1"u8]);
        var broken = await CliRunner.RunAsync(["profile", "build", path, "-o", Path.Combine(temp.Path, "q.json")]);
        broken.ExitCode.Should().Be(3);
        broken.Stderr.Should().Contain("train.parquet: not a readable Parquet file").And.NotContain("   at ");
    }
}
