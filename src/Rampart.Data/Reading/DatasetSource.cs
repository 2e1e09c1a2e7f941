using Rampart.Core;

namespace Rampart.Data.Reading;

/// <summary>
/// A dataset read row by row in bounded memory. <see cref="Columns"/> is known once the first row (or the header) has
/// been read and may grow for JSON Lines. Malformed rows are skipped and kept in <see cref="Issues"/> with their line
/// numbers; a problem that stops the read (bad encoding, limits, corrupt pages) ends the rows and sets
/// <see cref="Failure"/>, so a caller reports the dataset inconclusive instead of clean.
/// </summary>
public abstract class DatasetSource : IDisposable
{
    private readonly List<string> _columns = [];
    private readonly List<ReadIssue> _issues = [];

    protected DatasetSource(string path, DataLimits limits)
    {
        Path = path;
        Limits = limits;
    }

    public string Path { get; }

    public DataLimits Limits { get; }

    /// <summary>"csv", "tsv", "jsonl", "parquet" or "image-folder".</summary>
    public abstract string Format { get; }

    public IReadOnlyList<string> Columns => _columns;

    /// <summary>The first <see cref="DataLimits.MaxIssues"/> malformed rows.</summary>
    public IReadOnlyList<ReadIssue> Issues => _issues;

    /// <summary>Malformed rows in all (beyond the ones kept).</summary>
    public long IssueCount { get; private set; }

    /// <summary>Why the read stopped early, or null when it reached the end.</summary>
    public string? Failure { get; private set; }

    /// <summary>Rows that were not read because <see cref="DataLimits.MaxRows"/> was reached (at least one when true).</summary>
    public bool Truncated { get; protected set; }

    /// <summary>The rows; failures end the sequence and set <see cref="Failure"/> rather than throw.</summary>
    public IEnumerable<DataRow> ReadRows(CancellationToken cancellationToken = default)
    {
        using var rows = ReadCore(cancellationToken).GetEnumerator();
        long count = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            DataRow row;
            try
            {
                if (!rows.MoveNext())
                {
                    yield break;
                }

                row = rows.Current;
            }
            catch (Exception e) when (e is DataLimitException or DataFormatException)
            {
                Failure = e.Message;
                yield break;
            }
            catch (System.Text.DecoderFallbackException e)
            {
                Failure = $"not valid UTF-8 text (byte {e.Index} of a read block near data row {count + 1}); convert the file to UTF-8";
                yield break;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or OverflowException or NotSupportedException or InvalidCastException or NullReferenceException)
            {
                // A third-party reader (Sep, Parquet.Net) rejecting malformed input: the dataset is unreadable, not clean.
                Failure = $"{Format} could not be read after {count} rows: {e.GetType().Name}: {e.Message}";
                yield break;
            }

            if (count >= Limits.MaxRows)
            {
                Truncated = true;
                yield break;
            }

            count++;
            yield return row;
        }
    }

    /// <summary>The reader's own rows; may throw the exceptions <see cref="ReadRows"/> turns into a failure.</summary>
    protected abstract IEnumerable<DataRow> ReadCore(CancellationToken cancellationToken);

    protected void SetColumns(IEnumerable<string> names)
    {
        _columns.Clear();
        foreach (var name in names)
        {
            AddColumn(name);
        }
    }

    /// <summary>Adds a column (JSON Lines: a key seen for the first time) and returns its index.</summary>
    protected int AddColumn(string name)
    {
        if (_columns.Count >= Limits.MaxColumns)
        {
            throw new DataLimitException($"more than {Limits.MaxColumns} columns (limit MaxColumns)");
        }

        _columns.Add(name);
        return _columns.Count - 1;
    }

    protected void AddIssue(long line, string message)
    {
        IssueCount++;
        if (_issues.Count < Limits.MaxIssues)
        {
            _issues.Add(new ReadIssue(line, message));
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>The verdict of the read alone: inconclusive when it stopped early.</summary>
    public Verdict ReadVerdict => Failure is null ? Verdict.Clean : Verdict.Inconclusive;
}
