namespace Rampart.Data.Reading;

/// <summary>
/// Limits every dataset reader enforces before it allocates: a row or field over a limit makes the read stop with a
/// <see cref="DataLimitException"/> (the scan then reports the dataset inconclusive), never an unbounded buffer.
/// </summary>
/// <param name="MaxRowChars">Characters in one CSV/TSV record or one JSON line (quoted line breaks included).</param>
/// <param name="MaxRows">Data rows read; the rest of a larger file is reported as not read.</param>
/// <param name="MaxColumns">Columns in the header, a JSON object or a Parquet schema.</param>
/// <param name="MaxIssues">Malformed rows kept with their line numbers (the count goes on beyond it).</param>
/// <param name="MaxParquetFooterBytes">Size of a Parquet footer (the file's metadata) that is parsed.</param>
/// <param name="MaxRowGroupCells">Rows times columns of one Parquet row group held in memory at once.</param>
/// <param name="MaxImageFiles">Files listed from an image folder.</param>
public sealed record DataLimits(
    int MaxRowChars = 4 * 1024 * 1024,
    long MaxRows = 100_000_000,
    int MaxColumns = 4096,
    int MaxIssues = 1000,
    int MaxParquetFooterBytes = 64 * 1024 * 1024,
    long MaxRowGroupCells = 20_000_000,
    int MaxImageFiles = 2_000_000)
{
    public static DataLimits Default { get; } = new();
}

/// <summary>A dataset exceeded one of the <see cref="DataLimits"/>; the message names the limit and where.</summary>
public sealed class DataLimitException(string message) : Exception(message);

/// <summary>A dataset could not be parsed at all (bad encoding, corrupt Parquet); the message says why and where.</summary>
public sealed class DataFormatException(string message, Exception? inner = null) : Exception(message, inner);
