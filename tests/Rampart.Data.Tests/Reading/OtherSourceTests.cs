using System.Text;
using Rampart.Data.Reading;
using Rampart.Data.Tests.Kit;
using Rampart.TestKit;

namespace Rampart.Data.Tests.Reading;

public sealed class JsonLinesSourceTests
{
    [Fact]
    public void Read_ObjectsWithNewKeys_ColumnsGrowAndValuesAlign()
    {
        using var temp = new TempDirectory();
        var path = temp.File("a.jsonl");
        File.WriteAllText(path, "{\"text\":\"hi\",\"label\":1}\n\n{\"label\":0,\"text\":\"yo\",\"extra\":[1,2]}\n{\"text\":null}\n");
        var source = DatasetReader.Open(path);
        var rows = source.ReadRows().ToList();
        source.Format.Should().Be("jsonl");
        source.Columns.Should().Equal("text", "label", "extra");
        rows[0].Values.Should().Equal("hi", "1");
        rows[1].Values.Should().Equal("yo", "0", "[1,2]");
        rows[2].Values[0].Should().BeNull();
        rows.Select(r => r.Line).Should().Equal(1, 3, 4);
    }

    [Theory]
    [InlineData("{\"a\":1}\n{\"a\":\n{\"a\":3}\n", 2, "not valid JSON")]
    [InlineData("{\"a\":1}\n[1,2]\n{\"a\":3}\n", 2, "not an object")]
    [InlineData("{\"a\":1}\n{\"a\":2}\n\"text\"\n", 3, "not an object")]
    [InlineData("{\"a\":1}\n{\"a\":2}\n{a:3}\n", 3, "not valid JSON")]
    public void Read_MalformedLine_SkippedWithLineNumber(string text, long line, string message)
    {
        using var temp = new TempDirectory();
        var path = temp.File("m.jsonl");
        File.WriteAllText(path, text);
        var source = DatasetReader.Open(path);
        source.ReadRows().Should().HaveCount(2);
        source.Issues.Should().ContainSingle().Which.Should().Match<ReadIssue>(i => i.Line == line && i.Message.Contains(message));
    }

    [Fact]
    public void Read_HugeLine_FailsAtTheLimit()
    {
        using var temp = new TempDirectory();
        var path = temp.File("h.jsonl");
        File.WriteAllText(path, "{\"a\":\"" + new string('x', 500_000) + "\"}\n");
        var source = DatasetReader.Open(path, new DataLimits(MaxRowChars: 100_000));
        source.ReadRows().Should().BeEmpty();
        source.Failure.Should().Contain("longer than 100000 bytes");
    }

    [Fact]
    public void Read_DeepNesting_IsAMalformedLineNotACrash()
    {
        using var temp = new TempDirectory();
        var path = temp.File("d.jsonl");
        File.WriteAllText(path, "{\"a\":" + new string('[', 5000) + new string(']', 5000) + "}\n{\"a\":1}\n");
        var source = DatasetReader.Open(path);
        source.ReadRows().Should().HaveCount(1);
        source.Issues.Should().ContainSingle().Which.Line.Should().Be(1);
    }

    [Fact]
    public void Read_InvalidUtf8InALine_IsThatLinesIssue()
    {
        using var temp = new TempDirectory();
        var path = temp.File("u.jsonl");
        File.WriteAllBytes(path, [.. "{\"a\":\"ok\"}\n{\"a\":\""u8.ToArray(), 0xC3, 0x28, .. "\"}\n{\"a\":\"ok\"}\n"u8.ToArray()]);
        var source = DatasetReader.Open(path);
        var rows = source.ReadRows().ToList();
        source.Failure.Should().BeNull();
        string.Join("|", source.Columns).Should().Be("a");
        rows.Should().HaveCount(2);
        source.Issues.Should().ContainSingle().Which.Line.Should().Be(2);
    }
}

public sealed class ParquetSourceTests
{
    private static DatasetBuilder Sample(int rows)
    {
        var b = new DatasetBuilder("id", "name", "score");
        for (var i = 0; i < rows; i++)
        {
            b.Row(i, i % 7 == 0 ? null : $"name {i}", i * 0.5);
        }

        return b;
    }

    [Fact]
    public async Task Read_RowGroups_AllRowsInOrderWithNulls()
    {
        using var temp = new TempDirectory();
        var path = await Sample(2500).WriteParquetAsync(temp.File("a.parquet"), groupSize: 1000);
        var source = DatasetReader.Open(path);
        var rows = source.ReadRows().ToList();
        source.Format.Should().Be("parquet");
        source.Failure.Should().BeNull();
        source.Columns.Should().Equal("id", "name", "score");
        rows.Should().HaveCount(2500);
        rows[7].Values.Should().Equal("7", null, "3.5");
        rows[2499].Values[0].Should().Be("2499");
    }

    [Fact]
    public async Task Read_RowGroupOverTheCellLimit_Fails()
    {
        using var temp = new TempDirectory();
        var path = await Sample(3000).WriteParquetAsync(temp.File("a.parquet"), groupSize: 3000);
        var source = DatasetReader.Open(path, new DataLimits(MaxRowGroupCells: 1000));
        source.ReadRows().Should().BeEmpty();
        source.Failure.Should().Contain("MaxRowGroupCells");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(200)]
    [InlineData(1)]
    public async Task Read_Truncated_FailsWithAReason(int cut)
    {
        using var temp = new TempDirectory();
        var path = await Sample(100).WriteParquetAsync(temp.File("a.parquet"));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^cut]);
        var source = DatasetReader.Open(path);
        _ = source.ReadRows().Count();
        source.Failure.Should().Contain("Parquet");
    }

    [Fact]
    public async Task Read_FooterLengthLargerThanTheFile_IsRejectedBeforeParsing()
    {
        using var temp = new TempDirectory();
        var path = await Sample(10).WriteParquetAsync(temp.File("a.parquet"));
        var bytes = File.ReadAllBytes(path);
        BitConverter.GetBytes(int.MaxValue - 1).CopyTo(bytes, bytes.Length - 8);
        File.WriteAllBytes(path, bytes);
        var source = DatasetReader.Open(path);
        source.ReadRows().Should().BeEmpty();
        source.Failure.Should().Contain("footer claims");
    }

    [Fact]
    public async Task Read_CorruptPagesAndFooter_FailOrReadButNeverThrow()
    {
        using var temp = new TempDirectory();
        var original = File.ReadAllBytes(await Sample(400).WriteParquetAsync(temp.File("a.parquet"), groupSize: 100));
        var random = new Random(99);
        var path = temp.File("fuzz.parquet");
        var failures = 0;
        for (var round = 0; round < 200; round++)
        {
            var bytes = (byte[])original.Clone();
            for (var k = 0; k < 1 + random.Next(6); k++)
            {
                bytes[4 + random.Next(bytes.Length - 12)] = (byte)random.Next(256);
            }

            File.WriteAllBytes(path, bytes);
            var source = DatasetReader.Open(path, new DataLimits(MaxRowGroupCells: 100_000));
            var act = () => source.ReadRows().Count();
            act.Should().NotThrow($"round {round}");
            failures += source.Failure is null ? 0 : 1;
        }

        failures.Should().BeGreaterThan(0, "some mutations hit page headers or the footer");
    }

    [Fact]
    public void Read_NotParquetAtAll_Fails()
    {
        using var temp = new TempDirectory();
        var path = temp.File("x.parquet");
        File.WriteAllText(path, "PAR1 but then nothing useful at all");
        var source = DatasetReader.Open(path);
        source.ReadRows().Should().BeEmpty();
        source.Failure.Should().Contain("PAR1");
    }
}

public sealed class ImageFolderSourceTests
{
    private static readonly byte[] Png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];

    [Fact]
    public void Read_LabelFolders_LabelFromFolderAndContentDigest()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("cat"));
        Directory.CreateDirectory(temp.File("dog/sub"));
        File.WriteAllBytes(temp.File("cat/1.png"), [.. Png, 1]);
        File.WriteAllBytes(temp.File("dog/sub/2.dat"), [0xFF, 0xD8, 0xFF, 0xE0, 2]);
        File.WriteAllBytes(temp.File("dog/readme.png"), Encoding.UTF8.GetBytes("not an image"));
        File.WriteAllText(temp.File("top.png"), "x");
        var source = DatasetReader.Open(temp.Path);
        var rows = source.ReadRows().ToList();
        source.Format.Should().Be("image-folder");
        rows.Select(r => (r.Values[0], r.Values[1], r.Values[2])).Should().Equal(("cat/1.png", "cat", "png"), ("dog/sub/2.dat", "dog", "jpeg"));
        rows[0].Values[4].Should().HaveLength(64);
        source.Issues.Select(i => i.Message).Should().Contain(m => m.Contains("dog/readme.png") && m.Contains("not an image"))
            .And.Contain(m => m.Contains("top.png") && m.Contains("not inside a label folder"));
    }
}
