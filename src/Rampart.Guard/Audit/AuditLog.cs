using System.Collections.Immutable;
using System.Diagnostics;
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

    /// <summary>
    /// Zero (the default): an append completes only after its group of entries is fsynced. Above zero: an append
    /// completes once its group is written to the operating system (one write call per group), which a crash of the
    /// gateway process (kill -9) cannot lose; the file is fsynced at most this long after the write, so a crash of
    /// the whole machine (power loss, kernel panic) can lose at most this window of acknowledged entries.
    /// </summary>
    public TimeSpan CommitInterval { get; init; }
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
/// Durability: concurrent appends are group-committed: entries queued while a write runs are encoded together and
/// written with one call. With <see cref="AuditOptions.CommitInterval"/> zero, <see cref="AppendAsync"/> completes
/// only after its group is flushed to disk (fsync), so no entry is acknowledged before it is durable. With an interval,
/// it completes once the group is written to the operating system (safe from a crash of this process) and the file is
/// fsynced within the interval. A line torn by a crash was never acknowledged; on open it is cut off.
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
    private HeadEntry _head;

    private AuditLog(AuditOptions options, FileStream segment, int number, long sequence, string previous)
    {
        _options = options;
        _segment = segment;
        _segmentNumber = number;
        _sequence = sequence;
        _previous = previous;
        _head = new HeadEntry(sequence, previous);
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

    /// <summary>The last entry written: its sequence number (0 for an empty log) and hash. Anchors record it.</summary>
    public (long Sequence, string Hash) Head => Volatile.Read(ref _head) is var h ? (h.Sequence, h.Hash) : default;

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
        var written = new List<(AuditEntry, TaskCompletionSource<AuditEntry>)>();
        var buffer = new MemoryStream();
        var interval = _options.CommitInterval;
        var lastSync = Stopwatch.GetTimestamp();
        var dirty = false;
        while (true)
        {
            var more = _queue.Reader.WaitToReadAsync().AsTask();
            if (dirty && !more.IsCompleted)
            {
                // Entries are written but not yet fsynced: sync when the interval ends, or later with the next group.
                var due = interval - Stopwatch.GetElapsedTime(lastSync);
                if (due <= TimeSpan.Zero || await Task.WhenAny(more, Task.Delay(due)).ConfigureAwait(false) != more)
                {
                    dirty = !TrySync(ref lastSync);
                }
            }

            if (!await more.ConfigureAwait(false))
            {
                break;
            }

            batch.Clear();
            written.Clear();
            buffer.SetLength(0);
            while (_queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                foreach (var (entry, done) in batch)
                {
                    var sealedEntry = entry with { Sequence = ++_sequence, Previous = _previous, Hash = "" };
                    sealedEntry = sealedEntry with { Hash = AuditCodec.HashOf(sealedEntry) };
                    _previous = sealedEntry.Hash;
                    buffer.Write(AuditCodec.Encode(sealedEntry, _options.Key));
                    written.Add((sealedEntry, done));
                }

                _segment.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
                Volatile.Write(ref _head, new HeadEntry(_sequence, _previous));
                if (interval <= TimeSpan.Zero || Stopwatch.GetElapsedTime(lastSync) >= interval)
                {
                    _segment.Flush(flushToDisk: true);
                    lastSync = Stopwatch.GetTimestamp();
                    dirty = false;
                }
                else
                {
                    dirty = true;
                }

                foreach (var (entry, done) in written)
                {
                    done.TrySetResult(entry);
                }

                if (_segment.Length >= _options.SegmentBytes)
                {
                    Rotate();
                    dirty = false;
                }
            }
#pragma warning disable CA1031 // a failed write fails every waiting request (the host aborts the connection), never silently drops entries
            catch (Exception e)
#pragma warning restore CA1031
            {
                foreach (var (_, done) in batch)
                {
                    done.TrySetException(e);
                }
            }
        }

        TrySync(ref lastSync);
    }

    /// <summary>fsync of written entries when a commit interval ends; a failure is retried with the next group.</summary>
    private bool TrySync(ref long lastSync)
    {
        try
        {
            _segment.Flush(flushToDisk: true);
            lastSync = Stopwatch.GetTimestamp();
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void Rotate()
    {
        _segment.Flush(flushToDisk: true);
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

internal sealed record HeadEntry(long Sequence, string Hash);

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
