namespace Rampart.Scanning.Analyzers.Pickle;

/// <summary>How one distinct global was first reached.</summary>
/// <param name="Module">The module after Python 2 name fix-ups (what the loader imports).</param>
/// <param name="Name">The (possibly dotted) attribute name after fix-ups.</param>
/// <param name="RawName">The name exactly as written in the pickle ("__builtin__.eval").</param>
/// <param name="Opcode">GLOBAL, STACK_GLOBAL or INST.</param>
/// <param name="Via">A human account of where the name came from ("STACK_GLOBAL via memo").</param>
/// <param name="Offset">Byte offset of the opcode within the artifact.</param>
internal sealed record GlobalUse(string Module, string Name, string RawName, string Opcode, string Via, long Offset)
{
    public string FullName => Module + "." + Name;
}

/// <summary>A reference that cannot be resolved without running the loader (EXT codes, computed STACK_GLOBAL names).</summary>
internal sealed record UnresolvedGlobal(string Opcode, string Detail, long Offset);

/// <summary>A global that an earlier part of the stream put into copyreg's extension registry under a code.</summary>
/// <param name="Module">The module the registration names.</param>
/// <param name="Name">The attribute name it names.</param>
/// <param name="How">What registered it ("copyreg.add_extension", "copyreg._inverted_registry[code] = ...").</param>
/// <param name="Offset">Byte offset of the opcode that registered it.</param>
internal sealed record ExtensionRegistration(string Module, string Name, string How, long Offset);

/// <summary>
/// copyreg's extension registry as the stream leaves it in the loading process: the registry is process-wide, so a
/// registration made by one pickle (or a nested one) is what a later EXT1/EXT2/EXT4 anywhere in the stream loads.
/// Every registration of a code is kept: whichever the loader ends up with, each is judged.
/// </summary>
internal sealed class ExtensionRegistry
{
    private readonly Dictionary<long, List<ExtensionRegistration>> _codes = [];

    public void Register(long code, ExtensionRegistration registration)
    {
        if (!_codes.TryGetValue(code, out var list))
        {
            _codes[code] = list = [];
        }

        if (list.Count < 16)
        {
            list.Add(registration);
        }
    }

    public IReadOnlyList<ExtensionRegistration> Lookup(long code) => _codes.TryGetValue(code, out var list) ? list : [];
}

/// <summary>Everything the machine noticed while emulating one or more pickles of one stream.</summary>
internal sealed class PickleObservations
{
    private readonly Dictionary<string, GlobalUse> _globals = new(StringComparer.Ordinal);

    public IEnumerable<GlobalUse> Globals => _globals.Values;

    public List<UnresolvedGlobal> Extensions { get; } = [];

    public List<UnresolvedGlobal> Dynamic { get; } = [];

    /// <summary>copyreg extension codes registered so far (shared by every pickle of the stream).</summary>
    public ExtensionRegistry Registry { get; init; } = new();

    public SortedSet<int> Protocols { get; } = [];

    public long Opcodes { get; set; }

    public long PersistentIds { get; set; }

    public long OutOfBandBuffers { get; set; }

    public long JoblibArrays { get; set; }

    public int NestedPickles { get; set; }

    public bool HasReferences => _globals.Count > 0 || Extensions.Count > 0 || Dynamic.Count > 0;

    public void AddGlobal(GlobalUse use)
    {
        _globals.TryAdd(use.FullName, use);
    }

    /// <summary>Moves what a speculative run saw into this set.</summary>
    public void MergeFrom(PickleObservations other)
    {
        foreach (var use in other.Globals)
        {
            AddGlobal(use);
        }

        Extensions.AddRange(other.Extensions);
        Dynamic.AddRange(other.Dynamic);
        Protocols.UnionWith(other.Protocols);
        Opcodes += other.Opcodes;
        PersistentIds += other.PersistentIds;
        OutOfBandBuffers += other.OutOfBandBuffers;
        JoblibArrays += other.JoblibArrays;
        NestedPickles += other.NestedPickles;
    }
}
