using System.Globalization;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace Rampart.Data.Tests.Kit;

/// <summary>Builds dataset files in code: a header and rows, written as CSV, TSV, JSON Lines or Parquet.</summary>
internal sealed class DatasetBuilder
{
    private readonly List<string> _columns;
    private readonly List<string?[]> _rows = [];

    public DatasetBuilder(params string[] columns) => _columns = [.. columns];

    public IReadOnlyList<string?[]> Rows => _rows;

    public IReadOnlyList<string> Columns => _columns;

    public DatasetBuilder Row(params object?[] values)
    {
        _rows.Add([.. values.Select(v => v switch
        {
            null => null,
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            float f => f.ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString(),
        })]);
        return this;
    }

    public static string Quote(string? value, char separator) =>
        value is null ? string.Empty
        : value.IndexOfAny([separator, '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    public string Csv(char separator = ',')
    {
        var sb = new StringBuilder();
        sb.Append(string.Join(separator, _columns.Select(c => Quote(c, separator)))).Append('\n');
        foreach (var row in _rows)
        {
            sb.Append(string.Join(separator, row.Select(v => Quote(v, separator)))).Append('\n');
        }

        return sb.ToString();
    }

    public string WriteCsv(string path, char separator = ',')
    {
        File.WriteAllText(path, Csv(separator), new UTF8Encoding(false));
        return path;
    }

    public string WriteJsonLines(string path)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        foreach (var row in _rows)
        {
            var o = new System.Text.Json.Nodes.JsonObject();
            for (var i = 0; i < _columns.Count; i++)
            {
                o[_columns[i]] = row[i];
            }

            writer.Write(o.ToJsonString());
            writer.Write('\n');
        }

        return path;
    }

    /// <summary>Parquet with one string column per column (or double where every value parses), in row groups of <paramref name="groupSize"/>.</summary>
    public async Task<string> WriteParquetAsync(string path, int groupSize = 1000)
    {
        var numeric = _columns.Select((_, i) => _rows.All(r => r[i] is null || double.TryParse(r[i]!, NumberStyles.Float, CultureInfo.InvariantCulture, out double _))).ToArray();
        var fields = _columns.Select((c, i) => numeric[i] ? new DataField(c, typeof(double), isNullable: true) : new DataField(c, typeof(string), isNullable: true)).ToArray();
        var schema = new ParquetSchema(fields);
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream);
        foreach (var chunk in _rows.Chunk(groupSize))
        {
            using var group = writer.CreateRowGroup();
            for (var c = 0; c < fields.Length; c++)
            {
                if (numeric[c])
                {
                    var values = chunk.Select(r => r[c] is null ? (double?)null : double.Parse(r[c]!, CultureInfo.InvariantCulture)).ToArray();
                    await group.WriteAsync(fields[c], (ReadOnlyMemory<double?>)values.AsMemory(), null, null, default);
                }
                else
                {
                    await group.WriteAsync(fields[c], chunk.Select(r => r[c]).ToArray(), null);
                }
            }
        }

        return path;
    }
}
