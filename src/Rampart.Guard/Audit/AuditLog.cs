using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Rampart.Core.IO;

namespace Rampart.Guard.Audit;

/// <summary>Where and how the audit log is written.</summary>
public sealed record AuditOptions(string Directory)
{
    /// <summary>A segment is closed and a new one started past this size.</summary>
    public long SegmentBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Optional AES-256-GCM encryption at rest: the key (32 bytes) and its id, recorded in each segment.</summary>
    public AuditKey? Key { get; init; }
}

/// <summary>An encryption key for audit segments: 32 bytes and an id that names it (never the key itself).</summary>
public sealed record AuditKey(string Id, ReadOnlyMemory<byte> Bytes)
{
    /// <summary>Reads a key file: 64 hex characters (32 bytes); the id is the first 16 hex digits of the key's SHA-256.</summary>
    public static AuditKey FromFile(string path)
    {
        var text = BoundedFile.ReadAllText(path, 4096).Trim();
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(text);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{path}: an audit key file holds 64 hex characters", e);
        }

        return bytes.Length == 32
            ? new AuditKey(Convert.ToHexStringLower(SHA256.HashData(bytes))[..16], bytes)
            : throw new InvalidDataException($"{path}: an audit key is 32 bytes (64 hex characters), not {bytes.Length}");
    }
}

/// <summary>
/// The append-only, hash-chained audit log: JSON Lines segments (<c>audit-000001.jsonl</c>, ...). Each line carries the
/// hash of the line before it (across segments), so removing, reordering or editing an entry breaks the chain that
/// <see cref="AuditVerifier"/> checks.
/// <para>
/// Durability: <see cref="AppendAsync"/> completes only after the entry is written and flushed to disk (fsync).
/// Concurrent appends are group-committed: entries queued while a flush runs are written together and share the next
/// flush, so the window between an entry being written and being durable is one fsync, and no entry is acknowledged
/// before it is durable. A line torn by a crash was never acknowledged; on open it is cut off.
/// </para>
/// </summary>
public sealed class AuditLog : IAsyncDisposable
{
    private static readonly string Zero = new('0', 64);
    private readonly AuditOptions _options;
    private readonly Channel<(AuditEntry Entry, TaskCompletionSource<AuditEntry> Done)> _queue =
        Channel.CreateUnbounded<(AuditEntry, TaskCompletionSource<AuditEntry>)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private FileStream _segment;
    private int _segmentNumber;
    private long _sequence;
    private string _previous;

    private AuditLog(AuditOptions options, FileStream segment, int number, long sequence, string previous)
    {
        _options = options;
        _segment = segment;
        _segmentNumber = number;
        _sequence = sequence;
        _previous = previous;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Opens (or creates) the log, cutting off a torn last line, and continues its chain.</summary>
    public static AuditLog Open(AuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        System.IO.Directory.CreateDirectory(options.Directory);
        var segments = Segments(options.Directory);
        var number = segments.Count == 0 ? 1 : SegmentNumber(segments[^1]);
        var path = SegmentPath(options.Directory, number);
        long sequence = 0;
        var previous = Zero;
        if (File.Exists(path))
        {
            CutTornTail(path);
        }

        foreach (var segment in segments)
        {
            foreach (var line in BoundedFile.ReadLines(segment))
            {
                var entry = AuditCodec.Decode(line, options.Key);
                if (entry is not null)
                {
                    sequence = entry.Sequence;
                    previous = entry.Hash;
                }
            }
        }

        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        var log = new AuditLog(options, stream, number, sequence, previous);
        if (stream.Length == 0)
        {
            log.WriteHeader();
        }

        return log;
    }

    /// <summary>Appends an entry; completes when it is on disk. Returns the entry with its sequence and hashes.</summary>
    public Task<AuditEntry> AppendAsync(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var done = new TaskCompletionSource<AuditEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queue.Writer.TryWrite((entry, done)) ? done.Task : Task.FromException<AuditEntry>(new ObjectDisposedException(nameof(AuditLog)));
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await _segment.DisposeAsync().ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<(AuditEntry Entry, TaskCompletionSource<AuditEntry> Done)>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (_queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            var written = new List<(AuditEntry, TaskCompletionSource<AuditEntry>)>(batch.Count);
            try
            {
                foreach (var (entry, done) in batch)
                {
                    var sealedEntry = entry with { Sequence = ++_sequence, Previous = _previous, Hash = "" };
                    sealedEntry = sealedEntry with { Hash = AuditCodec.HashOf(sealedEntry) };
                    _previous = sealedEntry.Hash;
                    var line = AuditCodec.Encode(sealedEntry, _options.Key);
                    _segment.Write(line);
                    written.Add((sealedEntry, done));
                }

                _segment.Flush(flushToDisk: true);
                foreach (var (entry, done) in written)
                {
                    done.TrySetResult(entry);
                }

                if (_segment.Length >= _options.SegmentBytes)
                {
                    Rotate();
                }
            }
#pragma warning disable CA1031 // a failed write fails every waiting request (the host answers 503), never silently drops entries
            catch (Exception e)
#pragma warning restore CA1031
            {
                foreach (var (_, done) in batch)
                {
                    done.TrySetException(e);
                }
            }
        }
    }

    private void Rotate()
    {
        _segment.Dispose();
        _segmentNumber++;
        _segment = new FileStream(SegmentPath(_options.Directory, _segmentNumber), FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        WriteHeader();
    }

    /// <summary>The first line of a segment names it and its key id, so a reader knows which key opens it.</summary>
    private void WriteHeader()
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["segment"] = _segmentNumber,
            ["format"] = "rampart-audit/1",
            ["keyId"] = _options.Key?.Id,
        });
        _segment.Write(header);
        _segment.Write("\n"u8);
        _segment.Flush(flushToDisk: true);
    }

    internal static List<string> Segments(string directory) =>
        System.IO.Directory.Exists(directory)
            ? [.. System.IO.Directory.EnumerateFiles(directory, "audit-*.jsonl").Order(StringComparer.Ordinal)]
            : [];

    private static int SegmentNumber(string path) =>
        int.Parse(Path.GetFileNameWithoutExtension(path)["audit-".Length..], NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static string SegmentPath(string directory, int number) =>
        Path.Combine(directory, $"audit-{number.ToString("D6", CultureInfo.InvariantCulture)}.jsonl");

    /// <summary>A crash can leave a last line without its newline: it was never acknowledged, so it is removed.</summary>
    private static void CutTornTail(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        if (stream.Length == 0)
        {
            return;
        }

        var position = stream.Length;
        var one = new byte[1];
        while (position > 0)
        {
            stream.Position = position - 1;
            stream.ReadExactly(one);
            if (one[0] == (byte)'\n')
            {
                break;
            }

            position--;
        }

        if (position != stream.Length)
        {
            stream.SetLength(position);
            stream.Flush(flushToDisk: true);
        }
    }
}

/// <summary>Line encoding of entries: canonical JSON, optionally sealed with AES-256-GCM.</summary>
internal static class AuditCodec
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public static string HashOf(AuditEntry entry) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(entry with { Hash = "" }, Json)));

    public static byte[] Encode(AuditEntry entry, AuditKey? key)
    {
        var plain = JsonSerializer.SerializeToUtf8Bytes(entry, Json);
        if (key is null)
        {
            return [.. plain, (byte)'\n'];
        }

        var nonce = RandomNumberGenerator.GetBytes(12);
        var cipher = new byte[plain.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(key.Bytes.Span, 16))
        {
            aes.Encrypt(nonce, plain, cipher, tag, Encoding.UTF8.GetBytes(key.Id));
        }

        return [.. JsonSerializer.SerializeToUtf8Bytes(new { kid = key.Id, nonce = Convert.ToBase64String(nonce), data = Convert.ToBase64String(cipher), tag = Convert.ToBase64String(tag) }), (byte)'\n'];
    }

    /// <summary>The entry of a line, or null for a segment header. Throws <see cref="InvalidDataException"/> for a bad line.</summary>
    public static AuditEntry? Decode(string line, AuditKey? key)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.TryGetProperty("segment", out _))
            {
                return null;
            }

            if (root.TryGetProperty("kid", out var kid))
            {
                if (key is null || kid.GetString() != key.Id)
                {
                    throw new InvalidDataException($"the entry is encrypted with key {kid.GetString()}, which was not given");
                }

                var cipher = Convert.FromBase64String(root.GetProperty("data").GetString()!);
                var plain = new byte[cipher.Length];
                using var aes = new AesGcm(key.Bytes.Span, 16);
                aes.Decrypt(Convert.FromBase64String(root.GetProperty("nonce").GetString()!), cipher, Convert.FromBase64String(root.GetProperty("tag").GetString()!), plain, Encoding.UTF8.GetBytes(key.Id));
                return JsonSerializer.Deserialize<AuditEntry>(plain, Json);
            }

            return root.Deserialize<AuditEntry>(Json);
        }
        catch (Exception e) when (e is JsonException or FormatException or CryptographicException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"unreadable audit line ({e.GetType().Name})", e);
        }
    }
}
