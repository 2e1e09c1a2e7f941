namespace Rampart.Scanning.Analyzers.Pickle;

/// <summary>
/// A symbolic stand-in for what the real unpickler would hold on its stack. Nothing here is ever a live Python
/// object: it records just enough (names, small strings, integers, shapes of containers) to judge the pickle.
/// </summary>
internal abstract class PValue
{
    public abstract string Describe();
}

/// <summary>None, True, False, a float, or something whose value does not matter (an out-of-band buffer).</summary>
internal sealed class PAtom : PValue
{
    public static readonly PAtom None = new("None");
    public static readonly PAtom True = new("True");
    public static readonly PAtom False = new("False");
    public static readonly PAtom Float = new("float");
    public static readonly PAtom Buffer = new("buffer");

    private readonly string _text;

    private PAtom(string text) => _text = text;

    public override string Describe() => _text;
}

/// <summary>An integer; <see cref="Value"/> is null when it does not fit in 64 bits.</summary>
internal sealed class PInt : PValue
{
    private static readonly PInt[] Small = Enumerable.Range(-1, 1026).Select(i => new PInt(i)).ToArray();

    private PInt(long? value) => Value = value;

    public long? Value { get; }

    public static PInt Of(long value) => value is >= -1 and <= 1024 ? Small[value + 1] : new PInt(value);

    public static PInt Big { get; } = new(null);

    public override string Describe() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "int";
}

/// <summary>A text string; long ones keep only a prefix (<see cref="Truncated"/>).</summary>
internal sealed class PStr(string value, bool truncated, string source, bool viaMemo = false) : PValue
{
    public string Value { get; } = value;

    public bool Truncated { get; } = truncated;

    /// <summary>The opcode that produced the string (SHORT_BINUNICODE, UNICODE, ...).</summary>
    public string Source { get; } = source;

    /// <summary>True when this copy was fetched from the memo.</summary>
    public bool ViaMemo { get; } = viaMemo;

    public override string Describe() => Truncated ? $"'{Value}...'" : $"'{Value}'";
}

/// <summary>Bytes or a bytearray: only the length is kept.</summary>
internal sealed class PBytes(long length, bool mutable) : PValue
{
    public long Length { get; } = length;

    public bool Mutable { get; } = mutable;

    public override string Describe() => $"{(Mutable ? "bytearray" : "bytes")}[{Length}]";
}

/// <summary>A reference to a module attribute, as GLOBAL, STACK_GLOBAL, INST or an EXT code produce it.</summary>
internal sealed class PGlobal(string module, string name, bool resolved) : PValue
{
    public string Module { get; } = module;

    public string Name { get; } = name;

    /// <summary>False for references that cannot be resolved statically (EXT codes, computed names).</summary>
    public bool Resolved { get; } = resolved;

    public string FullName => Module + "." + Name;

    public override string Describe() => Resolved ? FullName : "<unresolved global>";
}

internal enum SeqKind
{
    Tuple,
    List,
    Dict,
    Set,
    FrozenSet,
}

/// <summary>A tuple, list, dict (keys and values alternate), set or frozenset. Only the first items are kept.</summary>
internal sealed class PSeq : PValue
{
    /// <summary>Containers keep at most this many items; the rest are only counted.</summary>
    public const int KeptItems = 4096;

    private readonly List<PValue> _items;

    public PSeq(SeqKind kind, List<PValue>? items = null)
    {
        Kind = kind;
        _items = items ?? [];
        Count = _items.Count;
        if (_items.Count > KeptItems)
        {
            _items.RemoveRange(KeptItems, _items.Count - KeptItems);
        }
    }

    public SeqKind Kind { get; }

    public long Count { get; private set; }

    /// <summary>
    /// True for a container the memo kept only as kind and count (past its footprint budget): its items are gone,
    /// so a reader that needs them must fail closed.
    /// </summary>
    public bool IsElided { get; private init; }

    /// <summary>A container known only by kind and item count.</summary>
    public static PSeq Elided(SeqKind kind, long count) => new(kind) { Count = count, IsElided = true };

    public IReadOnlyList<PValue> Items => _items;

    public void Add(PValue value)
    {
        Count++;
        if (_items.Count < KeptItems)
        {
            _items.Add(value);
        }
    }

    /// <summary>For a dict: the value stored under a string key, if it was kept.</summary>
    public PValue? Lookup(string key)
    {
        for (var i = 0; i + 1 < _items.Count; i += 2)
        {
            if (_items[i] is PStr s && !s.Truncated && s.Value == key)
            {
                return _items[i + 1];
            }
        }

        return null;
    }

    public override string Describe() => $"{Kind.ToString().ToLowerInvariant()}[{Count}]";
}

/// <summary>The result of calling or instantiating something (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST).</summary>
internal sealed class PObject(PValue callable, PValue? args, string how) : PValue
{
    public PValue Callable { get; } = callable;

    public PValue? Args { get; } = args;

    public string How { get; } = how;

    /// <summary>What BUILD last applied to this object.</summary>
    public PValue? State { get; set; }

    public override string Describe() => $"{Callable.Describe()}(...)";
}

/// <summary>What a persistent_load hook returns for a persistent id (torch storages, for instance).</summary>
internal sealed class PPersistent(PValue id) : PValue
{
    public PValue Id { get; } = id;

    public override string Describe() => "persistent(" + Id.Describe() + ")";
}
