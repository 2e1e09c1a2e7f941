using System.Globalization;
using System.Text;
using Parquet;
using Parquet.Schema;
using Rampart.Guard.Detectors.Drift;
using Rampart.TestKit;

namespace Rampart.Guard.Tests.Detectors.Drift;

/// <summary>Profiles from Parquet: files written here with Parquet.Net (Debian's python has no pyarrow), read back by content.</summary>
public sealed class ParquetTableTests
{
    private static readonly DataField<double?> Age = new("age");
    private static readonly DataField<int> Income = new("income");
    private static readonly DataField<string> Segment = new("segment");
    private static readonly DataField<bool> Churned = new("churned");

    private sealed record Row(double? Age, int Income, string? Segment, bool Churned);

    private static List<Row> Rows(int count, int seed)
    {
        var r = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(i => new Row(
            i % 17 == 0 ? null : Math.Round(40 + (12 * (r.NextDouble() + r.NextDouble() - 1)), 2),
            r.Next(20_000, 90_000),
            i % 23 == 0 ? null : (r.Next(3) switch { 0 => "a", 1 => "b", _ => "c" }),
            r.Next(4) == 0))];
    }

    private static async Task WriteParquet(string path, List<Row> rows, int groups)
    {
        await using var file = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(Age, Income, Segment, Churned), file);
        foreach (var chunk in rows.Chunk((rows.Count + groups - 1) / groups))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<double>(Age, chunk.Select(x => x.Age).ToArray().AsMemory());
            await group.WriteAsync<int>(Income, chunk.Select(x => x.Income).ToArray().AsMemory());
            await group.WriteAsync(Segment, chunk.Select(x => x.Segment).ToArray());
            await group.WriteAsync<bool>(Churned, chunk.Select(x => x.Churned).ToArray().AsMemory());
        }
    }

    private static void WriteCsv(string path, List<Row> rows)
    {
        var sb = new StringBuilder("age,income,segment,churned\n");
        foreach (var x in rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{x.Age?.ToString("R", CultureInfo.InvariantCulture)},{x.Income},{x.Segment},{(x.Churned ? "true" : "false")}\n");
        }

        File.WriteAllText(path, sb.ToString());
    }

    private static string ProfileJson(DataProfile profile)
    {
        using var stream = new MemoryStream();
        profile.Write(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Read_ParquetFile_GivesTheSameRowsAndProfileAsTheSameDataInCsv(int groups)
    {
        using var temp = new TempDirectory();
        var rows = Rows(1000, 4);
        var parquet = Path.Combine(temp.Path, "train.parquet");
        var csv = Path.Combine(temp.Path, "train.csv");
        await WriteParquet(parquet, rows, groups);
        WriteCsv(csv, rows);

        var fromParquet = TableReader.Read(parquet).ToList();
        fromParquet.Should().HaveCount(1000);
        fromParquet[0].Should().ContainKeys("age", "income", "segment", "churned");
        fromParquet[0]["age"].Should().BeNull("row 0 has no age");
        fromParquet[1]["age"].Should().Be(rows[1].Age!.Value.ToString("R", CultureInfo.InvariantCulture));
        fromParquet[0]["segment"].Should().BeNull();
        fromParquet[5]["income"].Should().Be(rows[5].Income.ToString(CultureInfo.InvariantCulture));
        ProfileJson(DataProfile.Build(fromParquet, "churned")).Should().Be(ProfileJson(DataProfile.Build(TableReader.Read(csv), "churned")));
    }

    [Fact]
    public async Task Read_ParquetUnderAnotherName_IsRecognisedByContent()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "export.csv");
        await WriteParquet(path, Rows(50, 5), 1);
        TableReader.Read(path).Should().HaveCount(50);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage-footer")]
    public async Task Read_BrokenParquet_IsInvalidDataNamingTheFile(string damage)
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "broken.parquet");
        await WriteParquet(path, Rows(200, 6), 1);
        var bytes = File.ReadAllBytes(path);
        byte[] broken = damage == "truncated"
            ? [.. bytes.AsSpan(0, bytes.Length / 2), .. "PAR1"u8]
            : [.. bytes.AsSpan(0, bytes.Length - 8), 0xFF, 0xFF, 0xFF, 0x7F, .. "PAR1"u8];
        File.WriteAllBytes(path, broken);
        var act = () => TableReader.Read(path).ToList();
        act.Should().Throw<InvalidDataException>().WithMessage("broken.parquet*");
    }

    [Fact]
    public async Task Read_NestedParquetColumn_IsRefused()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "nested.parquet");
        var element = new DataField<string>("element");
        await using (var file = File.Create(path))
        {
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(new ListField("tags", element)), file);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(element, new string?[] { "a", "b", "c" }, new int[] { 0, 1, 0 });
        }

        var act = () => TableReader.Read(path).ToList();
        act.Should().Throw<InvalidDataException>().WithMessage("*nested or repeated*");
    }
}
