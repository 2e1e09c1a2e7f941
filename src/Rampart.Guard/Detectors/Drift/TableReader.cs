using System.Globalization;
using System.Text;
using System.Text.Json;
using Rampart.Core.IO;

namespace Rampart.Guard.Detectors.Drift;

/// <summary>
/// Reads tabular data for profiles: CSV (RFC 4180, header row), JSON Lines of flat objects, or Parquet (recognised by
/// content). CSV and JSON Lines are hand-written and bounded (field length, columns), because the data may come from
/// anywhere; Parquet goes through Parquet.Net within byte, row and column bounds. A malformed row or file is an
/// <see cref="InvalidDataException"/> naming the line or file.
/// </summary>
public static class TableReader
{
    public const int MaxFieldChars = 1 << 20;
    public const int MaxColumns = 10_000;

    /// <summary>Largest Parquet file read (the whole file is read into memory, then decoded column by column).</summary>
    public const long MaxParquetBytes = BoundedFile.DefaultLimit;

    /// <summary>Most rows read from a Parquet file (a small file can declare millions of rows of one repeated value).</summary>
    public const long MaxParquetRows = 10_000_000;

    /// <summary>Why the NativeAOT build reads no Parquet (its error there).</summary>
    public const string ParquetNotInThisBuild = "reading Parquet needs Parquet.Net, which the NativeAOT build leaves out; use the dotnet tool or the ReadyToRun build, or give CSV or JSON Lines (docs/install.md)";

    public static IEnumerable<IReadOnlyDictionary<string, string?>> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (IsParquet(path))
        {
            return Parquet(path);
        }

        return path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase)
            ? JsonLines(path)
            : Csv(path);
    }

    /// <summary>Parquet by content: "PAR1" at both ends of the file, whatever its name.</summary>
    private static bool IsParquet(string path)
    {
        using var stream = File.OpenRead(path);
        if (stream.Length < 12)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[4];
        Span<byte> tail = stackalloc byte[4];
        stream.ReadExactly(head);
        stream.Seek(-4, SeekOrigin.End);
        stream.ReadExactly(tail);
        return head.SequenceEqual("PAR1"u8) && tail.SequenceEqual("PAR1"u8);
    }

    /// <summary>
    /// A Parquet file through Parquet.Net: every flat column, values as invariant text (nulls as missing). Nested or
    /// repeated columns, files over <see cref="MaxParquetBytes"/> or <see cref="MaxParquetRows"/>, and anything the
    /// library cannot decode are an <see cref="InvalidDataException"/> naming the file, never a partial profile.
    /// </summary>
    private static List<IReadOnlyDictionary<string, string?>> Parquet(string path)
    {
        var name = Path.GetFileName(path);
#if RAMPART_AOT
        throw new InvalidDataException($"{name}: {ParquetNotInThisBuild}");
    }
#else
        var bytes = BoundedFile.ReadAllBytes(path, MaxParquetBytes);
        try
        {
            return ReadParquetAsync(bytes, name).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            throw new InvalidDataException($"{name}: not a readable Parquet file ({e.Message})", e);
        }
    }

    private static async Task<List<IReadOnlyDictionary<string, string?>>> ReadParquetAsync(byte[] bytes, string name)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        await using var reader = await global::Parquet.ParquetReader.CreateAsync(stream).ConfigureAwait(false);
        var fields = reader.Schema.GetDataFields();
        if (fields.Length > MaxColumns)
        {
            throw new InvalidDataException($"{name}: more than {MaxColumns} columns");
        }

        if (fields.FirstOrDefault(f => f.MaxRepetitionLevel > 0 || f.Path.Length > 1) is { } nested)
        {
            throw new InvalidDataException($"{name}: column '{nested.Path}' is nested or repeated; profiles read flat columns only");
        }

        var rows = new List<IReadOnlyDictionary<string, string?>>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            if (rows.Count + group.RowCount > MaxParquetRows)
            {
                throw new InvalidDataException($"{name}: more than {MaxParquetRows} rows");
            }

            var count = (int)group.RowCount;
            var columns = new List<string?[]>(fields.Length);
            foreach (var field in fields)
            {
                columns.Add(await ColumnAsync(group, field, count, name).ConfigureAwait(false));
            }

            for (var r = 0; r < count; r++)
            {
                var row = new Dictionary<string, string?>(fields.Length, StringComparer.Ordinal);
                for (var c = 0; c < fields.Length; c++)
                {
                    row[fields[c].Name] = columns[c][r];
                }

                rows.Add(row);
            }
        }

        return rows;
    }

    private static async Task<string?[]> ColumnAsync(global::Parquet.ParquetRowGroupReader group, global::Parquet.Schema.DataField field, int rows, string name)
    {
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var values = new string?[rows];
            await group.ReadAsync(field, values.AsMemory()).ConfigureAwait(false);
            return [.. values.Select(Text)];
        }

        return type switch
        {
            _ when type == typeof(double) => await TypedAsync<double>(group, field, rows).ConfigureAwait(false),
            _ when type == typeof(float) => await TypedAsync<float>(group, field, rows).ConfigureAwait(false),
            _ when type == typeof(long) => await TypedAsync<long>(group, field, rows).ConfigureAwait(false),
            _ when type == typeof(int) => await TypedAsync<int>(group, field, rows).ConfigureAwait(false),
            _ when type == typeof(short) => await TypedAsync<short>(group, field, rows).ConfigureAwait(false),
            _ when type == typeof(byte) => await TypedAsync<byte>(group, field, rows).ConfigureAwait(false),
            _ when type == typeof(sbyte) => await TypedAsync<sbyte>(group, field, rows).ConfigureAwait(false),
            _ when type == typeof(decimal) => await TypedAsync<decimal>(group, field, rows).ConfigureAwait(false),
            _ when type == typeof(bool) => await TypedAsync<bool>(group, field, rows).ConfigureAwait(false),
            _ when type == typeof(DateTime) => await TypedAsync<DateTime>(group, field, rows).ConfigureAwait(false),
            _ => throw new InvalidDataException($"{name}: column '{field.Name}' has type {type.Name}, which profiles do not read"),
        };
    }

    private static async Task<string?[]> TypedAsync<T>(global::Parquet.ParquetRowGroupReader group, global::Parquet.Schema.DataField field, int rows)
        where T : struct
    {
        if (field.IsNullable)
        {
            var nullable = new T?[rows];
            await group.ReadAsync<T>(field, nullable.AsMemory()).ConfigureAwait(false);
            return [.. nullable.Select(v => v is { } x ? Text(x) : null)];
        }

        var values = new T[rows];
        await group.ReadAsync<T>(field, values.AsMemory()).ConfigureAwait(false);
        return [.. values.Select(v => Text(v))];
    }
#endif

    private static string? Text(object? value) => value switch
    {
        null => null,
        string s => s.Length > MaxFieldChars ? s[..MaxFieldChars] : s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        DateTime t => t.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        byte[] bytes => Convert.ToBase64String(bytes),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

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
