using System.Text;

namespace Rampart.Core.IO;

/// <summary>A file was larger than the reader allows; the message names the file and both sizes.</summary>
public sealed class FileTooLargeException(string path, long length, long limit)
    : IOException($"'{path}' is {length:N0} bytes, more than the {limit:N0} bytes allowed for this kind of file")
{
    public string FilePath { get; } = path;

    public long Length { get; } = length;

    public long Limit { get; } = limit;
}

/// <summary>
/// Whole-file reads with a size limit. <c>File.ReadAll*</c> and unbounded <c>ReadToEnd</c> are banned in shipped code
/// (BannedSymbols.txt): a key, a policy or a lockfile named by a user can be a 40 GB file or a FIFO, and reading it
/// whole must fail with a clear error, not exhaust memory. The limit is checked before allocating and again while
/// reading, so a file that grows after the check is still bounded.
/// </summary>
public static class BoundedFile
{
    /// <summary>The default for configuration, key and manifest files: 64 MiB.</summary>
    public const long DefaultLimit = 64L * 1024 * 1024;

    public static byte[] ReadAllBytes(string path, long limit = DefaultLimit)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return ReadAll(stream, path, limit);
    }

    public static async Task<byte[]> ReadAllBytesAsync(string path, long limit = DefaultLimit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            return await ReadAllAsync(stream, path, limit, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The file as text (UTF-8 unless <paramref name="encoding"/> says otherwise; a byte-order mark is honoured).</summary>
    public static string ReadAllText(string path, long limit = DefaultLimit, Encoding? encoding = null)
    {
        var bytes = ReadAllBytes(path, limit);
        return Decode(bytes, encoding);
    }

    public static async Task<string> ReadAllTextAsync(string path, long limit = DefaultLimit, Encoding? encoding = null, CancellationToken cancellationToken = default)
    {
        var bytes = await ReadAllBytesAsync(path, limit, cancellationToken).ConfigureAwait(false);
        return Decode(bytes, encoding);
    }

    /// <summary>Reads a stream to its end, failing once more than <paramref name="limit"/> bytes have arrived.</summary>
    public static byte[] ReadAll(Stream stream, string name, long limit)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new MemoryStream(InitialCapacity(stream, name, limit));
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            Append(buffer, chunk, read, name, limit);
        }

        return buffer.ToArray();
    }

    public static async Task<byte[]> ReadAllAsync(Stream stream, string name, long limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new MemoryStream(InitialCapacity(stream, name, limit));
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            Append(buffer, chunk, read, name, limit);
        }

        return buffer.ToArray();
    }

    /// <summary>Reads text from a reader, failing once more than <paramref name="limit"/> characters have arrived.</summary>
    public static async Task<string> ReadToEndAsync(TextReader reader, string name, long limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var builder = new StringBuilder();
        var chunk = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (builder.Length + (long)read > limit)
            {
                throw new FileTooLargeException(name, builder.Length + (long)read, limit);
            }

            builder.Append(chunk, 0, read);
        }

        return builder.ToString();
    }

    /// <summary>The default longest line of a line-oriented file (JSONL, CSV): 16 Mi characters.</summary>
    public const int DefaultMaxLineChars = 16 * 1024 * 1024;

    /// <summary>
    /// The lines of a text file (LF or CRLF), read lazily, each at most <paramref name="maxLineChars"/> characters:
    /// a longer line throws <see cref="FileTooLargeException"/> naming its line number instead of growing without end.
    /// </summary>
    public static IEnumerable<string> ReadLines(string path, int maxLineChars = DefaultMaxLineChars)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        foreach (var line in ReadLines(reader, path, maxLineChars))
        {
            yield return line;
        }
    }

    /// <summary>The lines of a reader, each at most <paramref name="maxLineChars"/> characters.</summary>
    public static IEnumerable<string> ReadLines(TextReader reader, string name, int maxLineChars = DefaultMaxLineChars)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var line = new StringBuilder();
        var buffer = new char[8192];
        var number = 1;
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != '\n')
                {
                    continue;
                }

                Take(line, buffer, start, i - start, name, number, maxLineChars);
                yield return TrimCarriageReturn(line);
                line.Clear();
                number++;
                start = i + 1;
            }

            Take(line, buffer, start, read - start, name, number, maxLineChars);
        }

        if (line.Length > 0)
        {
            yield return TrimCarriageReturn(line);
        }
    }

    private static void Take(StringBuilder line, char[] buffer, int start, int count, string name, int number, int maxLineChars)
    {
        if (line.Length + (long)count > maxLineChars)
        {
            throw new FileTooLargeException($"{name}, line {number}", line.Length + (long)count, maxLineChars);
        }

        line.Append(buffer, start, count);
    }

    private static string TrimCarriageReturn(StringBuilder line) =>
        line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();

    private static int InitialCapacity(Stream stream, string name, long limit)
    {
        if (!stream.CanSeek)
        {
            return 0;
        }

        var length = stream.Length;
        return length > limit ? throw new FileTooLargeException(name, length, limit) : (int)Math.Min(length, int.MaxValue);
    }

    private static void Append(MemoryStream buffer, byte[] chunk, int count, string name, long limit)
    {
        if (buffer.Length + count > limit)
        {
            throw new FileTooLargeException(name, buffer.Length + count, limit);
        }

        buffer.Write(chunk, 0, count);
    }

    /// <summary>Decodes bytes as text: a UTF-8 or UTF-16 byte-order mark wins, else <paramref name="encoding"/> (UTF-8 by default).</summary>
    public static string Decode(byte[] bytes, Encoding? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return Encoding.UTF8.GetString(span[3..]);
        }

        if (span.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return Encoding.Unicode.GetString(span[2..]);
        }

        if (span.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return Encoding.BigEndianUnicode.GetString(span[2..]);
        }

        return (encoding ?? Encoding.UTF8).GetString(span);
    }
}
