using System.Runtime.InteropServices;
using System.Text;

namespace Rampart.Scanning.Analyzers.Pickle;

/// <summary>
/// The unpickler's memo, kept small. Pickles memoise nearly every string, tuple, list and dict they build, so a
/// memo of objects costs many times the pickle's size (a 24 MB list of short strings held about 300 MB). Here each
/// entry is one 8-byte slot in fixed-size pages (no doubling copies): None/True/False/floats, integers, byte
/// payloads and the shape of containers are encoded in the slot itself; strings are copied once into a paged arena
/// and decoded again only when fetched; only other values (globals, call results, containers) take an object.
/// Containers and call results are kept whole while the memo's estimated footprint stays within a budget that grows
/// with the input read (<see cref="BaseBudgetBytes"/> plus one byte per input byte); past it they are kept only as
/// their kind and item count (<see cref="PSeq.Elided"/>), which is all that judging needs of bulk data. A reader
/// that needs the contents of an elided value (a joblib wrapper's state, for instance) fails closed on it.
/// </summary>
internal sealed class PickleMemo
{
    /// <summary>Containers and call results are kept whole until the memo holds about this much plus the input read.</summary>
    public const long BaseBudgetBytes = 8L << 20;

    private const int FirstPageSize = 1024;
    private const int PageBits = 14;
    private const int PageSize = 1 << PageBits;

    /// <summary>Keys may run this far past the dense pages before they go to the sparse map.</summary>
    private const long DenseSlack = 4L * PageSize;

    private const long TagObject = 1;
    private const long TagInt = 2;
    private const long TagString = 3;
    private const long TagAtom = 4;
    private const long TagShape = 5;
    private const long TagBytes = 6;

    // What a kept object costs with its list and array, as measured on .NET 10 (x64).
    private const long ObjectWeight = 64;
    private const long ContainerWeight = 128;

    private static readonly PAtom[] Atoms = [PAtom.None, PAtom.True, PAtom.False, PAtom.Float, PAtom.Buffer];

    /// <summary>The opcodes a string can come from; the slot keeps the index.</summary>
    private static readonly string[] Sources =
        ["SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "BINSTRING", "SHORT_BINSTRING", "PERSID"];

    private readonly List<long[]?> _pages = [];
    private readonly List<PValue> _objects = [];
    private readonly StringArena _arena = new();
    private readonly (long Slot, PStr? Value)[] _recent = new (long, PStr?)[64];
    private Dictionary<long, long>? _sparse;
    private long _retained;

    /// <summary>Distinct keys stored (what MEMOIZE uses as its next key, as len(memo) does).</summary>
    public int Count { get; private set; }

    /// <summary>Items added to containers are part of the footprint estimate.</summary>
    public void NoteKeptItems(int count) => _retained += 8L * count;

    /// <summary>The value stored under <paramref name="key"/>, or null when there is none.</summary>
    public PValue? Get(long key)
    {
        var slot = ReadSlot(key);
        return slot == 0 ? null : Decode(slot);
    }

    /// <summary>Stores <paramref name="value"/>; true when the key was new. <paramref name="inputRead"/> sets the budget.</summary>
    public bool Put(long key, PValue value, long inputRead)
    {
        var slot = Encode(value, inputRead);
        bool added;
        if (key >= 0 && key < DenseLimit && (_sparse is null || key < DenseCapacity))
        {
            var (pageIndex, index) = Locate(key);
            while (_pages.Count <= pageIndex)
            {
                _pages.Add(null);
            }

            var page = _pages[pageIndex] ??= new long[pageIndex == 0 ? FirstPageSize : PageSize];
            ref var cell = ref page[index];
            added = cell == 0;
            cell = slot;
        }
        else
        {
            _sparse ??= [];
            added = _sparse.TryAdd(key, slot);
            if (!added)
            {
                _sparse[key] = slot;
            }
        }

        if (added)
        {
            Count++;
        }

        return added;
    }

    /// <summary>Keys below this many go to dense pages (the pages in use plus a little slack); others to the sparse map.</summary>
    private long DenseLimit => DenseCapacity + DenseSlack;

    private long DenseCapacity => _pages.Count == 0 ? 0 : FirstPageSize + ((long)(_pages.Count - 1) * PageSize);

    /// <summary>Page 0 is small (most pickles memoise a few hundred values); the rest are large enough for the LOH, where they are never copied.</summary>
    private static (int Page, long Index) Locate(long key) =>
        key < FirstPageSize ? (0, key) : ((int)(((key - FirstPageSize) >> PageBits) + 1), (key - FirstPageSize) & (PageSize - 1));

    private long ReadSlot(long key)
    {
        if (key >= 0 && key < DenseCapacity)
        {
            var (pageIndex, index) = Locate(key);
            return _pages[pageIndex] is { } page ? page[index] : 0;
        }

        return _sparse is not null && _sparse.TryGetValue(key, out var slot) ? slot : 0;
    }

    private long Encode(PValue value, long inputRead)
    {
        switch (value)
        {
            case PAtom atom:
                return ((long)Array.IndexOf(Atoms, atom) << 3) | TagAtom;
            case PInt { Value: { } v } when v is > -(1L << 59) and < 1L << 59:
                return (v << 3) | TagInt;
            case PInt { Value: null }:
                return ((long)Atoms.Length << 3) | TagAtom;
            case PBytes bytes when bytes.Length < 1L << 58:
                return (bytes.Length << 4) | (bytes.Mutable ? 8L : 0) | TagBytes;
            case PStr str when str.Value.Length <= PickleArguments.KeptStringBytes && Array.IndexOf(Sources, str.Source) is >= 0 and var source:
                return EncodeString(str, source);
            case PSeq seq when _retained > BaseBudgetBytes + (inputRead / 2):
                return (Math.Min(seq.Count, 1L << 56) << 6) | ((long)seq.Kind << 3) | TagShape;
            case PSeq seq:
                _retained += ContainerWeight + (8L * seq.Items.Count);
                return AddObject(seq);
            case PObject { Callable: not PGlobal { FullName: "numpy.dtype" } } obj when _retained > BaseBudgetBytes + (inputRead / 2):
                return AddObject(new PObject(obj.Callable, null, obj.How));
            default:
                _retained += ObjectWeight;
                return AddObject(value);
        }
    }

    private long AddObject(PValue value)
    {
        _objects.Add(value);
        return ((long)(_objects.Count - 1) << 3) | TagObject;
    }

    private PValue Decode(long slot)
    {
        switch (slot & 7)
        {
            case TagObject:
                return _objects[(int)(slot >> 3)];
            case TagInt:
                return PInt.Of(slot >> 3);
            case TagAtom:
                var atom = (int)(slot >> 3);
                return atom < Atoms.Length ? Atoms[atom] : PInt.Big;
            case TagBytes:
                return new PBytes(slot >>> 4, (slot & 8) != 0);
            case TagShape:
                return PSeq.Elided((SeqKind)((slot >> 3) & 7), slot >>> 6);
            default:
                return DecodeString(slot);
        }
    }

    // String slot: tag (3 bits), truncated (1), wide (1), source (4), byte length (18), offset in page (21), page (16).
    private long EncodeString(PStr str, int source)
    {
        var value = str.Value;
        var wide = false;
        foreach (var c in value)
        {
            if (c > 0xFF)
            {
                wide = true;
                break;
            }
        }

        var length = wide ? value.Length * 2 : value.Length;
        var (page, offset) = _arena.Append(value, wide, length);
        return ((long)page << 48) | ((long)offset << 27) | ((long)length << 9) | ((long)source << 5) | (wide ? 16L : 0) | (str.Truncated ? 8L : 0) | TagString;
    }

    private PStr DecodeString(long slot)
    {
        ref var recent = ref _recent[(int)((ulong)slot * 0x9E3779B97F4A7C15UL >> 58)];
        if (recent.Slot == slot && recent.Value is { } cached)
        {
            return cached;
        }

        var bytes = _arena.Slice((int)(slot >>> 48), (int)((slot >> 27) & ((1 << 21) - 1)), (int)((slot >> 9) & ((1 << 18) - 1)));
        var text = (slot & 16) != 0 ? new string(MemoryMarshal.Cast<byte, char>(bytes)) : Encoding.Latin1.GetString(bytes);
        var value = new PStr(text, (slot & 8) != 0, Sources[(slot >> 5) & 15], viaMemo: true);
        recent = (slot, value);
        return value;
    }

    /// <summary>Strings as Latin-1 (one byte a character) or UTF-16 bytes in pages that grow from 4 KB to 1 MB.</summary>
    private sealed class StringArena
    {
        private const int FirstPage = 4096;
        private const int LargestPage = 1 << 20;

        private readonly List<byte[]> _pages = [];
        private int _used;

        public (int Page, int Offset) Append(string value, bool wide, int length)
        {
            if (_pages.Count == 0 || _pages[^1].Length - _used < length)
            {
                var size = _pages.Count == 0 ? FirstPage : Math.Min(LargestPage, _pages[^1].Length * 2);
                _pages.Add(new byte[Math.Max(size, length)]);
                _used = 0;
            }

            var page = _pages[^1];
            var target = page.AsSpan(_used, length);
            if (wide)
            {
                // The UTF-16 code units as they are: lone surrogates (UNICODE's \ud800) survive, no encoder replaces them.
                MemoryMarshal.AsBytes(value.AsSpan()).CopyTo(target);
            }
            else
            {
                for (var i = 0; i < value.Length; i++)
                {
                    target[i] = (byte)value[i];
                }
            }

            var offset = _used;
            _used += length;
            return (_pages.Count - 1, offset);
        }

        public ReadOnlySpan<byte> Slice(int page, int offset, int length) => _pages[page].AsSpan(offset, length);
    }
}
