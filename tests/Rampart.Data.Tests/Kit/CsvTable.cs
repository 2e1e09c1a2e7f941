using System.Globalization;
using Rampart.Data.Reading;

namespace Rampart.Data.Tests.Kit;

/// <summary>A CSV loaded whole for a test to plant things in (rows of strings), and written back.</summary>
internal sealed class CsvTable
{
    public CsvTable(string path)
    {
        var source = DatasetReader.Open(path);
        Rows = [.. source.ReadRows().Select(r => r.Values)];
        Columns = [.. source.Columns];
    }

    public List<string> Columns { get; }

    public List<string?[]> Rows { get; }

    public int Column(string name) => Columns.IndexOf(name);

    public string Write(string path)
    {
        var b = new DatasetBuilder([.. Columns]);
        foreach (var r in Rows)
        {
            b.Row(r);
        }

        return b.WriteCsv(path);
    }

    /// <summary>Flips the label of a random <paramref name="fraction"/> of rows to another class; the flipped 1-based rows.</summary>
    public HashSet<long> FlipLabels(double fraction, int seed)
    {
        var label = Column("label");
        var classes = Rows.Select(r => r[label]!).Distinct().Order(StringComparer.Ordinal).ToList();
        var random = new Random(seed);
        var flipped = new HashSet<long>();
        foreach (var i in Enumerable.Range(0, Rows.Count).OrderBy(_ => random.Next()).Take((int)Math.Round(fraction * Rows.Count)))
        {
            var others = classes.Where(c => c != Rows[i][label]).ToList();
            Rows[i][label] = others[random.Next(others.Count)];
            flipped.Add(i + 1);
        }

        return flipped;
    }

    public static string F(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
