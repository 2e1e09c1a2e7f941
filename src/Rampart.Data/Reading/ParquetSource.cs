#if !RAMPART_AOT
using System.Buffers.Binary;
using System.Globalization;
using Parquet;
using Parquet.Schema;
#endif

namespace Rampart.Data.Reading;

/// <summary>
/// Parquet through Parquet.Net, one row group in memory at a time. Before Parquet.Net sees the file, the trailer is
/// checked here (magic bytes, footer length within the file and under <see cref="DataLimits.MaxParquetFooterBytes"/>),
/// because the library would otherwise allocate whatever length a hostile footer claims. Flat columns only: a nested
/// or repeated column is reported as an issue and left out. Corrupt pages end the read with a failure. The NativeAOT
/// build has no Parquet.Net (not trim/AOT-safe): there the read fails at once with <see cref="NotInThisBuild"/>, so the
/// dataset is inconclusive, never clean.
/// </summary>
public sealed class ParquetSource(string path, DataLimits limits) : DatasetSource(path, limits)
{
    public override string Format => "parquet";

    /// <summary>Why the NativeAOT build reads no Parquet (its failure there).</summary>
    public const string NotInThisBuild = "reading Parquet needs Parquet.Net, which the NativeAOT build leaves out; use the dotnet tool or the ReadyToRun build (docs/install.md)";

#if RAMPART_AOT
    protected override IEnumerable<DataRow> ReadCore(CancellationToken cancellationToken)
    {
        // An iterator, so the failure surfaces on the first row, where ReadRows turns read failures into Failure.
        if (!cancellationToken.IsCancellationRequested)
        {
            throw new DataFormatException(NotInThisBuild);
        }

        yield break;
    }
#else
    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    protected override IEnumerable<DataRow> ReadCore(CancellationToken cancellationToken)
    {
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        CheckTrailer(stream);
        ParquetReader reader;
        try
        {
            reader = ParquetReader.CreateAsync(stream, new ParquetOptions { TreatByteArrayAsString = true }, leaveStreamOpen: true, cancellationToken).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OperationCanceledException and not DataLimitException)
        {
            throw new DataFormatException($"the Parquet footer could not be read: {e.GetType().Name}: {e.Message}", e);
        }

        try
        {
            var fields = reader.Schema.GetDataFields();
            if (fields.Length > Limits.MaxColumns)
            {
                throw new DataLimitException($"the schema has {fields.Length} columns (limit MaxColumns {Limits.MaxColumns})");
            }

            var flat = new List<DataField>();
            foreach (var field in fields)
            {
                if (field.IsArray || field.MaxRepetitionLevel > 0 || field.Path.Length > 1)
                {
                    AddIssue(0, $"column '{field.Path}' is nested or repeated and is not analysed");
                }
                else
                {
                    flat.Add(field);
                }
            }

            SetColumns(flat.Select(f => f.Name));
            long index = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var group = reader.OpenRowGroupReader(g);
                var count = group.RowCount;
                if (count < 0 || count * Math.Max(1, flat.Count) > Limits.MaxRowGroupCells)
                {
                    throw new DataLimitException($"row group {g} holds {count} rows x {flat.Count} columns (limit MaxRowGroupCells {Limits.MaxRowGroupCells})");
                }

                var columns = new string?[flat.Count][];
                for (var c = 0; c < flat.Count; c++)
                {
                    try
                    {
                        columns[c] = ReadColumn(group, flat[c], (int)count, cancellationToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException and not DataLimitException and not DataFormatException)
                    {
                        throw new DataFormatException($"row group {g}, column '{flat[c].Name}' is corrupt: {e.GetType().Name}: {e.Message}", e);
                    }
                }

                for (var r = 0; r < count; r++)
                {
                    var values = new string?[flat.Count];
                    for (var c = 0; c < flat.Count; c++)
                    {
                        values[c] = columns[c][r];
                    }

                    // Parquet has no lines: the "line" is the 1-based record number in the file.
                    yield return new DataRow(index, index + 1, values);
                    index++;
                }
            }
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private void CheckTrailer(FileStream stream)
    {
        var length = stream.Length;
        Span<byte> head = stackalloc byte[4];
        Span<byte> tail = stackalloc byte[8];
        if (length < 12)
        {
            throw new DataFormatException($"not a Parquet file: {length} bytes is shorter than the smallest valid file");
        }

        stream.ReadExactly(head);
        stream.Seek(-8, SeekOrigin.End);
        stream.ReadExactly(tail);
        stream.Seek(0, SeekOrigin.Begin);
        if (!head.SequenceEqual(Magic) || !tail[4..].SequenceEqual(Magic))
        {
            throw new DataFormatException("not a Parquet file: the PAR1 magic bytes are missing at the start or the end (truncated?)");
        }

        var footer = BinaryPrimitives.ReadUInt32LittleEndian(tail);
        if (footer > (ulong)(length - 12))
        {
            throw new DataFormatException($"corrupt Parquet trailer: the footer claims {footer} bytes in a {length}-byte file");
        }

        if (footer > (ulong)Limits.MaxParquetFooterBytes)
        {
            throw new DataLimitException($"the Parquet footer is {footer} bytes (limit MaxParquetFooterBytes {Limits.MaxParquetFooterBytes})");
        }
    }

    private static string?[] ReadColumn(ParquetRowGroupReader group, DataField field, int count, CancellationToken cancellationToken)
    {
        var type = field.ClrType;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var strings = new string?[count];
            group.ReadAsync(field, strings.AsMemory(), null, cancellationToken).AsTask().GetAwaiter().GetResult();
            return strings;
        }

        if (type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>))
        {
            var bytes = new byte[]?[count];
            group.ReadAsync(field, bytes.AsMemory(), null, cancellationToken).AsTask().GetAwaiter().GetResult();
            return [.. bytes.Select(b => b is null ? null : Convert.ToHexString(b))];
        }

        return type switch
        {
            _ when type == typeof(int) => Read<int>(group, field, count, cancellationToken),
            _ when type == typeof(long) => Read<long>(group, field, count, cancellationToken),
            _ when type == typeof(short) => Read<short>(group, field, count, cancellationToken),
            _ when type == typeof(sbyte) => Read<sbyte>(group, field, count, cancellationToken),
            _ when type == typeof(byte) => Read<byte>(group, field, count, cancellationToken),
            _ when type == typeof(ushort) => Read<ushort>(group, field, count, cancellationToken),
            _ when type == typeof(uint) => Read<uint>(group, field, count, cancellationToken),
            _ when type == typeof(ulong) => Read<ulong>(group, field, count, cancellationToken),
            _ when type == typeof(float) => Read<float>(group, field, count, cancellationToken),
            _ when type == typeof(double) => Read<double>(group, field, count, cancellationToken),
            _ when type == typeof(decimal) => Read<decimal>(group, field, count, cancellationToken),
            _ when type == typeof(bool) => Read<bool>(group, field, count, cancellationToken),
            _ when type == typeof(DateTime) => Read<DateTime>(group, field, count, cancellationToken),
            _ when type == typeof(DateTimeOffset) => Read<DateTimeOffset>(group, field, count, cancellationToken),
            _ when type == typeof(DateOnly) => Read<DateOnly>(group, field, count, cancellationToken),
            _ when type == typeof(TimeSpan) => Read<TimeSpan>(group, field, count, cancellationToken),
            _ when type == typeof(TimeOnly) => Read<TimeOnly>(group, field, count, cancellationToken),
            _ when type == typeof(Guid) => Read<Guid>(group, field, count, cancellationToken),
            _ => throw new DataFormatException($"column '{field.Name}' has type {type.Name}, which is not supported"),
        };
    }

    private static string?[] Read<T>(ParquetRowGroupReader group, DataField field, int count, CancellationToken cancellationToken)
        where T : struct
    {
        var values = new T?[count];
        group.ReadAsync(field, values.AsMemory(), null, cancellationToken).AsTask().GetAwaiter().GetResult();
        return [.. values.Select(v => v is { } x ? Text(x) : null)];
    }

    private static string Text<T>(T value)
        where T : struct => value switch
        {
            bool b => b ? "true" : "false",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            float f => f.ToString("R", CultureInfo.InvariantCulture),
            DateTime t => t.ToString("O", CultureInfo.InvariantCulture),
            DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? string.Empty,
        };
#endif
}
