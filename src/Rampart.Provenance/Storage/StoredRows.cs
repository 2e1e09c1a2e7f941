using System.Globalization;
using Rampart.Provenance.Merkle;
using Rampart.Provenance.Records;

namespace Rampart.Provenance.Storage;

/// <summary>
/// One row of ledger_entries as the database holds it. Every column is checked for its storage type and length when
/// the row is read (a database edited behind Rampart's back can hold text where a blob belongs, a real where an
/// integer belongs, or NULL); a column that fails is null here and <see cref="Problem"/> says why.
/// </summary>
/// <param name="Sequence">The entry number, when it is stored as an integer.</param>
/// <param name="RecordJson">The signed record, when it is stored as text.</param>
/// <param name="Signature">The record signature, when it is a blob of a plausible length.</param>
/// <param name="LeafHash">The leaf hash, when it is a 32-byte blob.</param>
/// <param name="Problem">What is wrong with the stored values (null when every column is well-formed).</param>
public sealed record EntryRow(long? Sequence, string? RecordJson, byte[]? Signature, byte[]? LeafHash, string? Problem)
{
    /// <summary>The entry, when every column is well-formed; else throws <see cref="LedgerDamagedException"/>.</summary>
    public LedgerEntry ToEntry() => Problem is null
        ? new LedgerEntry(Sequence!.Value, RecordJson!, Signature!, LeafHash!)
        : throw new LedgerDamagedException($"{Name}: {Problem}; run 'rampart ledger verify'");

    /// <summary>
    /// How to name the row in a message: "entry N" by its stored number, else by the number its signed record gives
    /// ("the row whose record says it is entry N"), else "a row of ledger_entries".
    /// </summary>
    public string Name => Sequence is { } seq
        ? $"entry {seq.ToString(CultureInfo.InvariantCulture)}"
        : SignedSequence is { } signed ? $"the row whose record says it is entry {signed.ToString(CultureInfo.InvariantCulture)}" : "a row of ledger_entries";

    /// <summary>The entry number written inside the signed record, when the record can be read that far.</summary>
    public long? SignedSequence
    {
        get
        {
            if (RecordJson is null)
            {
                return null;
            }

            try
            {
                using var document = System.Text.Json.JsonDocument.Parse(RecordJson);
                return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                    && document.RootElement.TryGetProperty("seq", out var seq) && seq.TryGetInt64(out var value) ? value : null;
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
    }
}

/// <summary>One row of ledger_nodes as stored; see <see cref="EntryRow"/>.</summary>
public sealed record NodeRow(long? Level, long? Index, byte[]? Hash, string? Problem)
{
    /// <summary>"Merkle node level/index", with NULL for a column that could not be read.</summary>
    public string Name => $"Merkle node {Show(Level)}/{Show(Index)}";

    /// <summary>The node, when every column is well-formed.</summary>
    public NodeId? Id => Problem is null ? new NodeId((int)Level!.Value, Index!.Value) : null;

    /// <summary>The first entry under this node, when its position is well-formed.</summary>
    public long? FirstEntry => Level is >= 0 and <= 62 && Index is >= 0 && Index.Value <= long.MaxValue >> (int)Level.Value ? Index.Value << (int)Level.Value : null;

    private static string Show(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "?";
}

/// <summary>One row of ledger_checkpoints as stored; see <see cref="EntryRow"/>.</summary>
public sealed record CheckpointRow(long? Size, byte[]? Root, string? Note, byte[]? PublicKey, string? Problem)
{
    /// <summary>"stored checkpoint of size N".</summary>
    public string Name => Size is { } size ? $"stored checkpoint of size {size.ToString(CultureInfo.InvariantCulture)}" : "a stored checkpoint";

    /// <summary>The checkpoint, when every column is well-formed; else throws <see cref="LedgerDamagedException"/>.</summary>
    public StoredCheckpoint ToCheckpoint() => Problem is null
        ? new StoredCheckpoint(Size!.Value, Root!, Note!, PublicKey!)
        : throw new LedgerDamagedException($"{Name}: {Problem}; run 'rampart ledger verify'");
}

/// <summary>
/// Reads a stored value strictly by its storage type: the database's own conversions (SQLite turns text into an
/// integer on request, or an integer into text) are never relied on, so a value of the wrong type is reported, not
/// coerced and not thrown as an InvalidCastException.
/// </summary>
internal static class StoredValue
{
    /// <summary>Longest DER ECDSA signature (P-521: two 66-byte integers with sign bytes in a long-form sequence).</summary>
    public const int MaxSignatureLength = 141;

    /// <summary>A stored value the database driver could not represent, by its database type name.</summary>
    internal sealed record Unreadable(string DatabaseType);

    /// <summary>Collects the problems of one row.</summary>
    internal sealed class Problems
    {
        private List<string>? _list;

        public string? Summary => _list is null ? null : string.Join("; ", _list);

        public void Add(string problem) => (_list ??= []).Add(problem);

        /// <summary>The integer, or null when the value is not stored as one; a number outside min..max is returned but reported.</summary>
        public long? Integer(object? value, string column, long min, long max)
        {
            switch (value)
            {
                case long or int or short or sbyte or byte or uint or ushort:
                    var number = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                    if (number < min || number > max)
                    {
                        Add($"{column} is {number.ToString(CultureInfo.InvariantCulture)}, outside {Range(min, max)}");
                    }

                    return number;
                default:
                    Add($"{column} is {Describe(value)}, not an integer");
                    return null;
            }
        }

        public byte[]? Blob(object? value, string column, int minLength, int maxLength)
        {
            if (value is not byte[] bytes)
            {
                Add($"{column} is {Describe(value)}, not a blob");
                return null;
            }

            if (bytes.Length < minLength || bytes.Length > maxLength)
            {
                var wanted = minLength == maxLength ? minLength.ToString(CultureInfo.InvariantCulture) : $"{minLength}..{maxLength}";
                Add($"{column} is {bytes.Length} bytes long, not {wanted}");
                return null;
            }

            return bytes;
        }

        public string? Text(object? value, string column)
        {
            if (value is not string text)
            {
                Add($"{column} is {Describe(value)}, not text");
                return null;
            }

            if (text.Length == 0)
            {
                Add($"{column} is empty");
                return null;
            }

            return text;
        }

        private static string Range(long min, long max) => max == long.MaxValue
            ? $"{min.ToString(CultureInfo.InvariantCulture)} and up"
            : $"{min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>A value's storage type for a message, with a short preview of text and numbers.</summary>
    public static string Describe(object? value) => value switch
    {
        null or DBNull => "NULL",
        string s => $"text ('{Preview(s)}')",
        byte[] b => $"a blob of {b.Length} bytes",
        double or float or decimal => $"a real number ({Convert.ToString(value, CultureInfo.InvariantCulture)})",
        long or int or short => $"an integer ({Convert.ToString(value, CultureInfo.InvariantCulture)})",
        bool b => $"a boolean ({(b ? "true" : "false")})",
        Unreadable u => $"a value of database type {u.DatabaseType} that cannot be read",
        _ => $"a value of type {value.GetType().Name}",
    };

    private static string Preview(string text)
    {
        var shown = new string([.. text.Take(24).Select(c => char.IsControl(c) ? '?' : c)]);
        return text.Length > 24 ? shown + "…" : shown;
    }

    public static EntryRow Entry(object? seq, object? record, object? signature, object? leafHash)
    {
        var problems = new Problems();
        // The range of seq (0..size-1) is the verifier's to judge: it names the row by the number it holds.
        var sequence = problems.Integer(seq, "seq", long.MinValue, long.MaxValue);
        var text = problems.Text(record, "record");
        var sig = problems.Blob(signature, "signature", 8, MaxSignatureLength);
        var leaf = problems.Blob(leafHash, "leaf_hash", MerkleHash.Size, MerkleHash.Size);
        return new EntryRow(sequence, text, sig, leaf, problems.Summary);
    }

    public static NodeRow Node(object? level, object? idx, object? hash)
    {
        var problems = new Problems();
        var l = problems.Integer(level, "level", 0, 62);
        var i = problems.Integer(idx, "idx", 0, l is >= 0 and <= 62 ? long.MaxValue >> (int)l.Value : long.MaxValue);
        var h = problems.Blob(hash, "hash", MerkleHash.Size, MerkleHash.Size);
        return new NodeRow(l, i, h, problems.Summary);
    }

    public static CheckpointRow Checkpoint(object? size, object? root, object? note, object? publicKey)
    {
        var problems = new Problems();
        var s = problems.Integer(size, "size", 0, long.MaxValue);
        var r = problems.Blob(root, "root", MerkleHash.Size, MerkleHash.Size);
        var n = problems.Text(note, "note");
        var k = problems.Blob(publicKey, "public_key", 32, 1024);
        return new CheckpointRow(s, r, n, k, problems.Summary);
    }
}
