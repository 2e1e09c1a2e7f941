using System.Text;
using nietras.SeparatedValues;

namespace Rampart.Data.Reading;

/// <summary>
/// CSV or TSV through Sep (RFC 4180 quoting, header row). The separator is the given one, else Sep's detection from
/// the header. Text must be UTF-8 (a UTF-8 or UTF-16 byte order mark is honoured); invalid bytes stop the read. A row
/// whose field count differs from the header's is skipped and reported with its line number.
/// </summary>
public sealed class CsvSource : DatasetSource
{
    private readonly char? _separator;

    public CsvSource(string path, DataLimits limits, char? separator = null)
        : base(path, limits)
    {
        _separator = separator;
    }

    public override string Format => _separator == '\t' ? "tsv" : "csv";

    protected override IEnumerable<DataRow> ReadCore(CancellationToken cancellationToken)
    {
        var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var text = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        using var bounded = new BoundedRecordReader(text, Limits.MaxRowChars);
        var options = new SepReaderOptions(_separator is { } s ? new Sep(s) : null)
        {
            HasHeader = true,
            DisableColCountCheck = true,
            Unescape = true,
            InitialBufferLength = 1 << 16,
        };
        using var reader = options.From(bounded);
        var header = reader.Header.ColNames;
        if (header.Count > Limits.MaxColumns)
        {
            throw new DataLimitException($"the header has {header.Count} columns (limit MaxColumns {Limits.MaxColumns})");
        }

        SetColumns(header.Select((name, i) => string.IsNullOrWhiteSpace(name) ? $"column{i + 1}" : name.Trim()));
        var width = header.Count;
        long index = 0;
        foreach (var row in reader)
        {
            var line = (long)row.LineNumberFrom;
            if (row.ColCount != width)
            {
                AddIssue(line, $"has {row.ColCount} fields where the header has {width}");
                continue;
            }

            var values = new string?[width];
            for (var i = 0; i < width; i++)
            {
                var span = row[i].Span;
                values[i] = span.IsEmpty ? null : span.ToString();
            }

            yield return new DataRow(index++, line, values);
        }
    }
}
