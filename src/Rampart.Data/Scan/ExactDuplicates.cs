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
/// <remarks>
/// Most rows of a real dataset are distinct, so a distinct row costs one struct in the dictionary (first row, line,
/// count, label) and nothing else; the lists of a group are made when its first copy arrives. Label strings are
/// shared through a small table, so a million rows labelled "0" hold one "0". At the default limit of 2 million
/// distinct rows this keeps the table near 100 MB instead of the ~680 MB that an object with three lists per row took
/// (measured by bench/data/run.sh on a 1 GB CSV).
/// </remarks>
public sealed class ExactDuplicates(int trackingLimit, int labelColumn)
{
    private const int KeepRows = 24;
    private const int KeepLabels = 8;
    private const int MaxSharedLabels = 4096;
    private readonly Dictionary<ulong, Slot> _entries = [];
    private readonly List<Copies> _copies = [];
    private readonly Dictionary<string, string> _labels = new(StringComparer.Ordinal);

    /// <summary>Whether rows went untracked because the limit was reached.</summary>
    public bool Saturated { get; private set; }

    public long DuplicateRows { get; private set; }

    public void Add(string?[] values, long row, long line)
    {
        ArgumentNullException.ThrowIfNull(values);
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
        var label = labelColumn >= 0 ? Shared(labelColumn < values.Length ? values[labelColumn] ?? string.Empty : string.Empty) : null;
        ref var slot = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref slot))
        {
            if (_entries.Count >= trackingLimit)
            {
                Saturated = true;
                return;
            }

            _entries[key] = new Slot { Row = row, Line = line, Count = 1, Label = label, Copies = -1 };
            return;
        }

        DuplicateRows++;
        slot.Count++;
        if (slot.Copies < 0)
        {
            slot.Copies = _copies.Count;
            _copies.Add(new Copies(slot.Row, slot.Line, slot.Label));
        }

        _copies[slot.Copies].Add(row, line, label);
    }

    /// <summary>Groups with at least two rows, largest first.</summary>
    public IReadOnlyList<DuplicateGroup> Groups() =>
        [.. _entries.Values.Where(e => e.Copies >= 0).OrderByDescending(e => e.Count).ThenBy(e => e.Row)
            .Select(e =>
            {
                var group = _copies[e.Copies];
                return new DuplicateGroup(group.Rows, group.Lines, e.Count, group.Labels ?? []);
            })];

    private string Shared(string label)
    {
        if (_labels.TryGetValue(label, out var shared))
        {
            return shared;
        }

        if (_labels.Count < MaxSharedLabels)
        {
            _labels[label] = label;
        }

        return label;
    }

    /// <summary>One distinct row: where it was first seen, how often, and (once copied) its group's lists.</summary>
    private struct Slot
    {
        public long Row;
        public long Line;
        public long Count;
        public string? Label;
        public int Copies;
    }

    /// <summary>The rows and labels of a group that has copies: the first rows, and the first distinct labels.</summary>
    private sealed class Copies
    {
        public Copies(long row, long line, string? label)
        {
            Rows.Add(row);
            Lines.Add(line);
            if (label is not null)
            {
                Labels = [label];
            }
        }

        public List<long> Rows { get; } = [];

        public List<long> Lines { get; } = [];

        public List<string>? Labels { get; }

        public void Add(long row, long line, string? label)
        {
            if (Rows.Count < KeepRows)
            {
                Rows.Add(row);
                Lines.Add(line);
            }

            if (label is not null && Labels is not null && Labels.Count < KeepLabels && !Labels.Contains(label, StringComparer.Ordinal))
            {
                Labels.Add(label);
            }
        }
    }
}
