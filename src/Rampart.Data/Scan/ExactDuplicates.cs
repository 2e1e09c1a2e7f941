using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace Rampart.Data.Scan;

/// <summary>A group of rows with equal inputs: the first row and its copies, with the labels they carry.</summary>
/// <param name="Rows">1-based data rows (first the original), at most a few dozen kept.</param>
/// <param name="Lines">Their line numbers.</param>
/// <param name="Count">Rows in the group.</param>
/// <param name="Labels">The distinct labels seen (first ones), when there is a label column.</param>
public sealed record DuplicateGroup(IReadOnlyList<long> Rows, IReadOnlyList<long> Lines, long Count, IReadOnlyList<string> Labels);

/// <summary>
/// Exact duplicates over every row read, by a 64-bit hash of the input values (every column but the label) and
/// of the label. Memory is one small entry per distinct row up to a limit; past it, only copies of rows already
/// tracked are recognised (and the result says so). A group whose rows carry different labels is a conflict.
/// </summary>
public sealed class ExactDuplicates(int trackingLimit, int labelColumn)
{
    private const int KeepRows = 24;
    private readonly Dictionary<ulong, Entry> _entries = [];

    /// <summary>Whether rows went untracked because the limit was reached.</summary>
    public bool Saturated { get; private set; }

    public long DuplicateRows { get; private set; }

    public void Add(string?[] values, long row, long line)
    {
        var inputs = new XxHash64();
        var separator = "\u001f"u8;
        for (var i = 0; i < values.Length; i++)
        {
            if (i == labelColumn)
            {
                continue;
            }

            var v = values[i];
            if (v is not null)
            {
                inputs.Append(MemoryMarshal.AsBytes(v.AsSpan()));
            }

            inputs.Append(separator);
        }

        var key = inputs.GetCurrentHashAsUInt64();
        var label = labelColumn >= 0 ? values[labelColumn] ?? string.Empty : null;
        ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref entry))
        {
            if (_entries.Count >= trackingLimit)
            {
                Saturated = true;
                return;
            }

            _entries[key] = new Entry(row, line, label);
            return;
        }

        DuplicateRows++;
        entry.Add(row, line, label);
    }

    /// <summary>Groups with at least two rows, largest first.</summary>
    public IReadOnlyList<DuplicateGroup> Groups() =>
        [.. _entries.Values.Where(e => e.Count > 1).OrderByDescending(e => e.Count).ThenBy(e => e.Rows[0])
            .Select(e => new DuplicateGroup(e.Rows, e.Lines, e.Count, e.Labels ?? []))];

    private sealed class Entry
    {
        public Entry(long row, long line, string? label)
        {
            Rows.Add(row);
            Lines.Add(line);
            Count = 1;
            if (label is not null)
            {
                Labels = [label];
            }
        }

        public long Count { get; private set; }

        public List<long> Rows { get; } = [];

        public List<long> Lines { get; } = [];

        public List<string>? Labels { get; }

        public void Add(long row, long line, string? label)
        {
            Count++;
            if (Rows.Count < KeepRows)
            {
                Rows.Add(row);
                Lines.Add(line);
            }

            if (label is not null && Labels is not null && Labels.Count < 8 && !Labels.Contains(label, StringComparer.Ordinal))
            {
                Labels.Add(label);
            }
        }
    }

}
