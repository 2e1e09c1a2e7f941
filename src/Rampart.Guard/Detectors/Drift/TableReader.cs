using System.Globalization;
using System.Text;
using System.Text.Json;
using Rampart.Core.IO;

namespace Rampart.Guard.Detectors.Drift;

/// <summary>
/// Reads tabular data for profiles: CSV (RFC 4180, header row) or JSON Lines of flat objects. Hand-written and bounded
/// (field length, columns), because the data may come from anywhere; a malformed row is an
/// <see cref="InvalidDataException"/> naming the line.
/// </summary>
public static class TableReader
{
    public const int MaxFieldChars = 1 << 20;
    public const int MaxColumns = 10_000;

    public static IEnumerable<IReadOnlyDictionary<string, string?>> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase)
            ? JsonLines(path)
            : Csv(path);
    }

    private static IEnumerable<IReadOnlyDictionary<string, string?>> JsonLines(string path)
    {
        var number = 0;
        foreach (var line in BoundedFile.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var row = new Dictionary<string, string?>(StringComparer.Ordinal);
            try
            {
                using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 4 });
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"{Path.GetFileName(path)} line {number}: expected an object");
                }

                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    row[p.Name] = p.Value.ValueKind switch
                    {
                        JsonValueKind.Null => null,
                        JsonValueKind.String => p.Value.GetString(),
                        JsonValueKind.Number => p.Value.GetRawText(),
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        _ => throw new InvalidDataException($"{Path.GetFileName(path)} line {number}: '{p.Name}' is not a scalar"),
                    };
                }
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{Path.GetFileName(path)} line {number}: not valid JSON ({e.Message})", e);
            }

            yield return row;
        }
    }

    private static IEnumerable<IReadOnlyDictionary<string, string?>> Csv(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        string[]? header = null;
        var line = 1;
        foreach (var fields in Records(reader, path, () => line, n => line += n))
        {
            if (header is null)
            {
                header = [.. fields];
                if (header.Length == 0 || header.Distinct(StringComparer.Ordinal).Count() != header.Length)
                {
                    throw new InvalidDataException($"{Path.GetFileName(path)}: the header row is empty or repeats a column name");
                }

                continue;
            }

            if (fields.Count == 1 && fields[0].Length == 0)
            {
                continue;
            }

            if (fields.Count != header.Length)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(path)} line {line}: {fields.Count} fields, the header has {header.Length}"));
            }

            var row = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++)
            {
                row[header[i]] = fields[i];
            }

            yield return row;
        }
    }

    private static IEnumerable<List<string>> Records(StreamReader reader, string path, Func<int> line, Action<int> advance)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        int c;
        var newlines = 0;
        while ((c = reader.Read()) >= 0)
        {
            if (field.Length > MaxFieldChars || fields.Count > MaxColumns)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(path)} line {line()}: a field or the column count exceeds the reader's limits"));
            }

            if (quoted)
            {
                if (c == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    newlines += c == '\n' ? 1 : 0;
                    field.Append((char)c);
                }

                continue;
            }

            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    yield return fields;
                    advance(1 + newlines);
                    newlines = 0;
                    fields = [];
                    break;
                default:
                    field.Append((char)c);
                    break;
            }
        }

        if (quoted)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(path)} line {line()}: unterminated quoted field"));
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return fields;
        }
    }
}
