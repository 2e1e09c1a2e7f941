using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Rampart.Data.Reading;

/// <summary>
/// JSON Lines: one JSON object per line; its top-level keys are the columns (added as they first appear), scalar
/// values become text, arrays and objects their compact JSON. Lines are read with a length limit; a line that is not
/// a JSON object is skipped and reported with its line number. Blank lines are ignored.
/// </summary>
public sealed class JsonLinesSource(string path, DataLimits limits) : DatasetSource(path, limits)
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public override string Format => "jsonl";

    protected override IEnumerable<DataRow> ReadCore(CancellationToken cancellationToken)
    {
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        long line = 0;
        long rowIndex = 0;
        foreach (var bytes in Lines(stream))
        {
            line++;
            if (IsBlank(bytes.Span))
            {
                continue;
            }

            string?[]? values;
            try
            {
                values = Parse(bytes, index, line);
            }
            catch (JsonException e)
            {
                AddIssue(line, $"is not valid JSON ({e.Message.Split(" LineNumber", 2)[0].TrimEnd('.', ' ')})");
                continue;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                AddIssue(line, $"is not valid UTF-8 JSON ({e.Message})");
                continue;
            }

            if (values is not null)
            {
                yield return new DataRow(rowIndex++, line, values);
            }
        }
    }

    private string?[]? Parse(ReadOnlyMemory<byte> bytes, Dictionary<string, int> index, long line)
    {
        using var document = JsonDocument.Parse(bytes, Options);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            AddIssue(line, $"is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object");
            return null;
        }

        var pairs = new List<(int Column, string? Value)>();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (!index.TryGetValue(property.Name, out var column))
            {
                column = AddColumn(property.Name);
                index[property.Name] = column;
            }

            pairs.Add((column, property.Value.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => property.Value.GetString(),
                _ => property.Value.GetRawText(),
            }));
        }

        var values = new string?[Columns.Count];
        foreach (var (column, value) in pairs)
        {
            values[column] = value;
        }

        return values;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.Trim(" \t\r"u8).IsEmpty;

    /// <summary>Lines of the stream as UTF-8 bytes, each at most MaxRowChars bytes long (else the read stops).</summary>
    private IEnumerable<ReadOnlyMemory<byte>> Lines(Stream stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            var start = 0;
            var end = 0;
            var first = true;
            while (true)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (newline >= 0)
                {
                    yield return buffer.AsMemory(start, newline - start);
                    start = newline + 1;
                    continue;
                }

                if (end - start >= Limits.MaxRowChars)
                {
                    throw new DataLimitException($"a line is longer than {Limits.MaxRowChars} bytes (limit MaxRowChars)");
                }

                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }

                if (end == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, Limits.MaxRowChars + 1));
                    Buffer.BlockCopy(buffer, 0, larger, 0, end);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = stream.Read(buffer, end, buffer.Length - end);
                if (first && end + read >= 3 && buffer.AsSpan(0, 3).SequenceEqual(Encoding.UTF8.Preamble))
                {
                    Buffer.BlockCopy(buffer, 3, buffer, 0, end + read - 3);
                    read -= 3;
                }

                first = false;
                if (read == 0)
                {
                    if (end > start)
                    {
                        yield return buffer.AsMemory(start, end - start);
                    }

                    yield break;
                }

                end += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
