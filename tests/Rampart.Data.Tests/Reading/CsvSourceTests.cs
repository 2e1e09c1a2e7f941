using System.Text;
using Rampart.Data.Reading;
using Rampart.TestKit;

namespace Rampart.Data.Tests.Reading;

public sealed class CsvSourceTests
{
    private static (List<DataRow> Rows, DatasetSource Source) Read(string path, DataLimits? limits = null, char? separator = null)
    {
        var source = DatasetReader.Open(path, limits, separator);
        return ([.. source.ReadRows()], source);
    }

    [Fact]
    public void Read_QuotedFieldsAndEmbeddedLineBreaks_ValuesAndLineNumbers()
    {
        using var temp = new TempDirectory();
        var path = temp.File("a.csv");
        File.WriteAllText(path, "name,note,score\nada,\"likes, commas\",1\nbob,\"two\nlines\",2\ncy,,3\n");
        var (rows, source) = Read(path);
        source.Format.Should().Be("csv");
        source.Columns.Should().Equal("name", "note", "score");
        rows.Select(r => r.Values[1]).Should().Equal("likes, commas", "two\nlines", null);
        rows.Select(r => r.Line).Should().Equal(2, 3, 5);
        source.Failure.Should().BeNull();
    }

    [Theory]
    [InlineData("a.tsv", null)]
    [InlineData("a.txt", '\t')]
    public void Read_Tabs_SplitOnTab(string name, char? separator)
    {
        using var temp = new TempDirectory();
        var path = temp.File(name);
        File.WriteAllText(path, "x\ty, z\n1\t2, 3\n");
        var (rows, source) = Read(path, separator: separator);
        source.Columns.Should().Equal("x", "y, z");
        rows.Single().Values.Should().Equal("1", "2, 3");
    }

    [Theory]
    [InlineData("a,b,c\n1,2,3\n4,5\n6,7,8\n", 3, 2)]
    [InlineData("a,b,c\n1,2,3,4\n5,6,7\n", 2, 1)]
    [InlineData("a,b\n1,2\n\"x\ny\",2,3\n4,5\n", 3, 2)]
    public void Read_RaggedRows_SkippedWithTheirLineNumber(string csv, long badLine, int goodRows)
    {
        using var temp = new TempDirectory();
        var path = temp.File("r.csv");
        File.WriteAllText(path, csv);
        var (rows, source) = Read(path);
        rows.Should().HaveCount(goodRows);
        source.Issues.Should().ContainSingle().Which.Line.Should().Be(badLine);
        source.Issues[0].Message.Should().Contain("fields where the header has");
        source.Failure.Should().BeNull("a ragged row is a malformed row, not an unreadable file");
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, 0xFD })]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xE9, (byte)'t', (byte)'e' })]
    public void Read_InvalidUtf8_FailsWithEncodingReason(byte[] bad)
    {
        using var temp = new TempDirectory();
        var path = temp.File("bad.csv");
        var bytes = Encoding.UTF8.GetBytes("name,city\nada,").Concat(bad).Concat("\nbob,paris\n"u8.ToArray()).ToArray();
        File.WriteAllBytes(path, bytes);
        var (_, source) = Read(path);
        source.Failure.Should().Contain("not valid UTF-8");
        source.ReadVerdict.Should().Be(Core.Verdict.Inconclusive);
    }

    [Fact]
    public void Read_Utf16WithByteOrderMark_IsDecoded()
    {
        using var temp = new TempDirectory();
        var path = temp.File("u16.csv");
        File.WriteAllText(path, "name,city\nzoë,Zürich\n", new UnicodeEncoding(false, true));
        var (rows, source) = Read(path);
        source.Failure.Should().BeNull();
        rows.Single().Values.Should().Equal("zoë", "Zürich");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_HugeField_StopsAtTheLimitInsteadOfBuffering(bool quoted)
    {
        using var temp = new TempDirectory();
        var path = temp.File("huge.csv");
        using (var w = new StreamWriter(path))
        {
            w.Write("a,b\n1,");
            w.Write(quoted ? "\"" : string.Empty);
            w.Write(new string('x', 300_000));
            w.Write(quoted ? "\"\n" : "\n");
            w.Write("2,3\n");
        }

        var (_, source) = Read(path, new DataLimits(MaxRowChars: 100_000));
        source.Failure.Should().Contain("longer than 100000 characters");
    }

    [Fact]
    public void Read_UnclosedQuote_FailsAtTheLimitWithAHint()
    {
        using var temp = new TempDirectory();
        var path = temp.File("open.csv");
        File.WriteAllText(path, "a,b\n1,\"never closed\n" + string.Concat(Enumerable.Repeat("2,3\n", 50_000)));
        var (_, source) = Read(path, new DataLimits(MaxRowChars: 10_000));
        source.Failure.Should().Contain("unclosed double quote");
    }

    [Fact]
    public void Read_MoreRowsThanTheLimit_IsTruncatedAndSaysSo()
    {
        using var temp = new TempDirectory();
        var path = temp.File("many.csv");
        File.WriteAllText(path, "a\n" + string.Concat(Enumerable.Range(0, 100).Select(i => $"{i}\n")));
        var (rows, source) = Read(path, new DataLimits(MaxRows: 10));
        rows.Should().HaveCount(10);
        source.Truncated.Should().BeTrue();
    }

    [Fact]
    public void Read_TooManyColumns_Fails()
    {
        using var temp = new TempDirectory();
        var path = temp.File("wide.csv");
        File.WriteAllText(path, string.Join(',', Enumerable.Range(0, 50).Select(i => $"c{i}")) + "\n");
        var (_, source) = Read(path, new DataLimits(MaxColumns: 20));
        source.Failure.Should().Contain("MaxColumns");
    }

    private static readonly byte[] Specials = [(byte)'"', (byte)',', (byte)'\n', (byte)'\r', 0, 0xFF, 0xC3, (byte)';', (byte)'\t'];

    [Fact]
    public void Read_RandomlyMutatedCsv_NeverThrows()
    {
        using var temp = new TempDirectory();
        var seed = new Kit.DatasetBuilder("name", "email", "note");
        for (var i = 0; i < 200; i++)
        {
            seed.Row($"user {i}", $"u{i}@corp.test", i % 3 == 0 ? "a \"quoted\", note\nover lines" : "plain");
        }

        var original = Encoding.UTF8.GetBytes(seed.Csv());
        var random = new Random(1234);
        var path = temp.File("fuzz.csv");
        for (var round = 0; round < 300; round++)
        {
            var bytes = (byte[])original.Clone();
            for (var k = 0; k < 1 + random.Next(8); k++)
            {
                bytes[random.Next(bytes.Length)] = Specials[random.Next(Specials.Length)];
            }

            File.WriteAllBytes(path, bytes[..random.Next(1, bytes.Length)]);
            var source = DatasetReader.Open(path, new DataLimits(MaxRowChars: 5_000));
            var act = () => source.ReadRows().Count();
            act.Should().NotThrow($"round {round}");
        }
    }
}
