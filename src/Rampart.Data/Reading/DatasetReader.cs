namespace Rampart.Data.Reading;

/// <summary>Opens a dataset by what it is: a folder of label folders, Parquet (by its magic bytes), JSON Lines, TSV or CSV.</summary>
public static class DatasetReader
{
    /// <summary>
    /// A source for <paramref name="path"/>. Parquet is recognised by its bytes; JSON Lines by the extension
    /// (.jsonl, .ndjson) or a first non-blank byte '{'; TSV by the extension .tsv (or .tab); anything else is CSV with
    /// the separator detected from the header. Throws <see cref="FileNotFoundException"/> when nothing is there.
    /// </summary>
    public static DatasetSource Open(string path, DataLimits? limits = null, char? separator = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        limits ??= DataLimits.Default;
        if (Directory.Exists(path))
        {
            return new ImageFolderSource(path, limits);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no file or folder at '{path}'", path);
        }

        Span<byte> head = stackalloc byte[64];
        int read;
        using (var stream = File.OpenRead(path))
        {
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        head = head[..read];
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (head.StartsWith("PAR1"u8) || extension == ".parquet")
        {
            return new ParquetSource(path, limits);
        }

        if (separator is null && (extension is ".jsonl" or ".ndjson" || FirstNonBlank(head) == '{'))
        {
            return new JsonLinesSource(path, limits);
        }

        return new CsvSource(path, limits, separator ?? (extension is ".tsv" or ".tab" ? '\t' : null));
    }

    private static int FirstNonBlank(ReadOnlySpan<byte> head)
    {
        var trimmed = head.StartsWith("\uFEFF"u8) ? head[3..] : head;
        foreach (var b in trimmed)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return b;
            }
        }

        return -1;
    }
}
