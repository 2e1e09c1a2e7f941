namespace Rampart.Data.Reading;

/// <summary>
/// A <see cref="TextReader"/> over a CSV/TSV text that fails with <see cref="DataLimitException"/> when one record
/// (the characters between two line breaks outside double quotes) grows past a limit. Sep grows its buffer to hold a
/// whole row, so without this a single 10 GB quoted field would be read into memory; the quote tracking is the
/// RFC 4180 rule (a doubled quote toggles twice), enough to find record ends without parsing fields.
/// </summary>
internal sealed class BoundedRecordReader(TextReader inner, int maxRecordChars) : TextReader
{
    private long _recordChars;
    private bool _inQuotes;

    public override int Peek() => inner.Peek();

    public override int Read()
    {
        Span<char> one = stackalloc char[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

    public override int Read(Span<char> buffer)
    {
        var n = inner.Read(buffer);
        Track(buffer[..n]);
        return n;
    }

    public override Task<int> ReadAsync(char[] buffer, int index, int count) => Task.FromResult(Read(buffer.AsSpan(index, count)));

    public override ValueTask<int> ReadAsync(Memory<char> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    private void Track(ReadOnlySpan<char> chars)
    {
        foreach (var c in chars)
        {
            if (c == '"')
            {
                _inQuotes = !_inQuotes;
            }
            else if (c == '\n' && !_inQuotes)
            {
                _recordChars = 0;
                continue;
            }

            if (++_recordChars > maxRecordChars)
            {
                throw new DataLimitException($"a record is longer than {maxRecordChars} characters (limit MaxRowChars){(_inQuotes ? "; an unclosed double quote may have swallowed the rest of the file" : string.Empty)}");
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
