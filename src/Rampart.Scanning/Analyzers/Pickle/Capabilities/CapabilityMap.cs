using System.Collections.Frozen;
using System.IO.Compression;
using System.Text.Json;

namespace Rampart.Scanning.Analyzers.Pickle.Capabilities;

/// <summary>A callable the map knows can reach at least one capability.</summary>
/// <param name="Capabilities">Every capability it can reach (in <see cref="Capability.All"/> order).</param>
/// <param name="Chain">The shortest call chain found, from the callable to the sink that is the capability.</param>
/// <param name="From">The Python installation the chain was found in ("cpython 3.12.1").</param>
internal sealed record CapableCallable(IReadOnlyList<string> Capabilities, IReadOnlyList<string> Chain, string From)
{
    /// <summary>"pydoc.pipepager -> subprocess.Popen -> ... -> _posixsubprocess.fork_exec".</summary>
    public string ChainText => string.Join(" -> ", Chain);
}

/// <summary>What the map says about one name a pickle gives, after its aliases are followed.</summary>
/// <param name="Capable">The gravest capable definition it reaches (chain from the name given), or null.</param>
/// <param name="Safe">Resolved completely and reaches no capability.</param>
/// <param name="Targets">Every name an alias was followed to (checked against the deny rules too).</param>
internal sealed record MapAnswer(CapableCallable? Capable, bool Safe, IReadOnlyList<string> Targets);

/// <summary>
/// The capability map shipped in rules/capabilities/map.json.gz: for the standard library of every CPython the
/// generator read, and the ML libraries' pure-Python sources, the callables that can reach a capability (with a
/// chain) and the callables that provably reach none in every version that has them, and the aliases: names a module
/// binds to a definition elsewhere ("joblib.dump" is "joblib.numpy_pickle.dump"), which a pickle's GLOBAL can name
/// because it imports the module and then looks the name up in it. Names in none of these are not known, and stay as
/// strict as before.
/// </summary>
internal sealed class CapabilityMap
{
    public const string ResourceName = "capabilities/map.json.gz";

    private static readonly Lazy<CapabilityMap> LazyShipped = new(LoadShipped);

    /// <summary>How many aliases <see cref="Look"/> follows from the name a pickle gives before it gives up (not known).</summary>
    public const int MaxAliasDepth = 8;

    public CapabilityMap(IReadOnlyList<string> sources, IReadOnlyDictionary<string, CapableCallable> capable, IEnumerable<string> safe,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? aliases = null)
    {
        Sources = sources;
        Capable = capable.ToFrozenDictionary(StringComparer.Ordinal);
        Safe = safe.ToFrozenSet(StringComparer.Ordinal);
        Aliases = (aliases ?? new Dictionary<string, IReadOnlyList<string>>()).ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The installations the map was generated from.</summary>
    public IReadOnlyList<string> Sources { get; }

    public FrozenDictionary<string, CapableCallable> Capable { get; }

    public FrozenSet<string> Safe { get; }

    /// <summary>
    /// Names bound to a definition elsewhere, with what they resolve to (one target per installation that disagrees).
    /// A name is only an alias where no installation read it as a definition the map could not decide.
    /// </summary>
    public FrozenDictionary<string, IReadOnlyList<string>> Aliases { get; }

    /// <summary>
    /// What the map says about <paramref name="name"/>, following aliases (at most <see cref="MaxAliasDepth"/> deep; a
    /// cycle or a deeper chain is not known). Capable when the name or any target it resolves to is capable (the chain
    /// then starts with the aliases followed: "joblib.dump -> joblib.numpy_pickle.dump -> ..."); safe when the name is
    /// safe or an alias, and every target it resolves to is safe; otherwise not known.
    /// </summary>
    public MapAnswer Look(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var targets = new List<string>();
        var (capable, safe) = Follow(name, [], targets);
        return new MapAnswer(capable, capable is null && safe, targets);
    }

    private (CapableCallable? Capable, bool Safe) Follow(string name, List<string> path, List<string> targets)
    {
        if (Capable.TryGetValue(name, out var reach))
        {
            return (path.Count == 0 ? reach : reach with { Chain = [.. path, .. reach.Chain] }, false);
        }

        if (!Aliases.TryGetValue(name, out var aliasOf))
        {
            return (null, Safe.Contains(name));
        }

        if (path.Count >= MaxAliasDepth)
        {
            return (null, false);
        }

        path.Add(name);
        CapableCallable? gravest = null;
        var allSafe = true;
        foreach (var target in aliasOf)
        {
            targets.Add(target);
            if (path.Contains(target, StringComparer.Ordinal))
            {
                // An alias cycle resolves to nothing: not known.
                allSafe = false;
                continue;
            }

            var (capable, safe) = Follow(target, path, targets);
            if (capable is not null && (gravest is null || Graver(capable, gravest)))
            {
                gravest = capable;
            }

            allSafe &= safe;
        }

        path.RemoveAt(path.Count - 1);
        return (gravest, gravest is null && allSafe);
    }

    private static bool Graver(CapableCallable a, CapableCallable b)
    {
        var (rankA, rankB) = (a.Capabilities.Min(Rank), b.Capabilities.Min(Rank));
        return rankA < rankB || (rankA == rankB && a.Chain.Count < b.Chain.Count);
    }

    /// <summary>The map embedded in Rampart (empty when the build has none).</summary>
    public static CapabilityMap Shipped => LazyShipped.Value;

    /// <summary>
    /// Combines the graphs of several installations: a callable is capable if it is in any of them (the shortest chain
    /// wins), safe only if it is safe in every one that defines it, and unknown otherwise. With <paramref name="onto"/>,
    /// the installations are added to a map generated before (its sources, capable and safe names count as one more
    /// installation; a source of <paramref name="onto"/> that one of the new labels starts with is replaced by it).
    /// </summary>
    public static CapabilityMap Merge(IEnumerable<(string Label, IReadOnlyDictionary<string, CallableReach> Reach)> installations, CapabilityMap? onto = null)
    {
        ArgumentNullException.ThrowIfNull(installations);
        var added = installations.ToList();
        var sources = onto is null ? [] : onto.Sources.Where(s => !added.Any(a => a.Label.StartsWith(s, StringComparison.Ordinal))).ToList();
        var capable = onto is null ? new Dictionary<string, CapableCallable>(StringComparer.Ordinal) : new Dictionary<string, CapableCallable>(onto.Capable, StringComparer.Ordinal);
        var safe = onto is null ? new HashSet<string>(StringComparer.Ordinal) : new HashSet<string>(onto.Safe, StringComparer.Ordinal);
        var unknown = new HashSet<string>(StringComparer.Ordinal);
        var aliases = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, targets) in onto?.Aliases ?? FrozenDictionary<string, IReadOnlyList<string>>.Empty)
        {
            aliases[name] = [.. targets];
        }

        installations = added;
        foreach (var (label, reach) in installations)
        {
            sources.Add(label);
            foreach (var (name, result) in reach)
            {
                if (result.AliasOf is { } target)
                {
                    var targets = aliases.TryGetValue(name, out var list) ? list : aliases[name] = [];
                    if (!targets.Contains(target, StringComparer.Ordinal))
                    {
                        targets.Add(target);
                    }
                }
                else if (result.Chains.Count > 0)
                {
                    // The chain shown is that of the gravest capability (Capability.All order), then the shortest.
                    var shortest = result.Chains.OrderBy(c => Rank(c.Key)).ThenBy(c => c.Value.Count).First().Value;
                    var rank = result.Chains.Keys.Min(Rank);
                    var capabilities = result.Chains.Keys.ToHashSet(StringComparer.Ordinal);
                    if (capable.TryGetValue(name, out var before))
                    {
                        capabilities.UnionWith(before.Capabilities);
                        var beforeRank = before.Capabilities.Min(Rank);
                        if (beforeRank < rank || (beforeRank == rank && before.Chain.Count <= shortest.Count))
                        {
                            capable[name] = before with { Capabilities = Ordered(capabilities) };
                            continue;
                        }
                    }

                    capable[name] = new CapableCallable(Ordered(capabilities), shortest, label);
                }
                else if (result.IsSafe)
                {
                    safe.Add(name);
                }
                else
                {
                    unknown.Add(name);
                }
            }
        }

        safe.ExceptWith(unknown);
        safe.ExceptWith(capable.Keys);

        // A name some installation defines in a way the map could not decide stays not known, even where another binds it
        // as an alias; a capable name is judged by its own chain.
        foreach (var name in aliases.Keys.Where(n => unknown.Contains(n) || capable.ContainsKey(n)).ToList())
        {
            aliases.Remove(name);
        }

        return new CapabilityMap(sources, capable, safe, aliases.ToDictionary(a => a.Key, a => (IReadOnlyList<string>)[.. a.Value.Order(StringComparer.Ordinal)], StringComparer.Ordinal));
    }

    private static int Rank(string capability) => Capability.All.ToList().IndexOf(capability);

    private static string[] Ordered(HashSet<string> capabilities) => [.. Capability.All.Where(capabilities.Contains)];

    /// <summary>Writes the map as gzip'd JSON, names sorted so the output is reproducible.</summary>
    public void Write(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true);
        using var writer = new Utf8JsonWriter(gzip);
        writer.WriteStartObject();
        writer.WriteString("generator", "tools/capabilities (dotnet run --project tools/capabilities/Rampart.CapabilityMap)");
        writer.WriteStartArray("sources");
        foreach (var source in Sources)
        {
            writer.WriteStringValue(source);
        }

        writer.WriteEndArray();
        writer.WriteStartObject("capable");
        foreach (var (name, entry) in Capable.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            writer.WriteStartArray(name);
            writer.WriteStringValue(string.Join(',', entry.Capabilities));
            writer.WriteStringValue(entry.From);
            foreach (var hop in entry.Chain)
            {
                writer.WriteStringValue(hop);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.WriteStartArray("safe");
        foreach (var name in Safe.Order(StringComparer.Ordinal))
        {
            writer.WriteStringValue(name);
        }

        writer.WriteEndArray();
        writer.WriteStartObject("aliases");
        foreach (var (name, targets) in Aliases.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            writer.WriteStartArray(name);
            foreach (var target in targets)
            {
                writer.WriteStringValue(target);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Reads a map written by <see cref="Write"/>.</summary>
    public static CapabilityMap Read(Stream input)
    {
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var document = JsonDocument.Parse(gzip);
        var root = document.RootElement;
        var sources = root.GetProperty("sources").EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToList();
        var capable = new Dictionary<string, CapableCallable>(StringComparer.Ordinal);
        foreach (var entry in root.GetProperty("capable").EnumerateObject())
        {
            var items = entry.Value.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToArray();
            if (items.Length < 3)
            {
                throw new InvalidDataException($"capability map entry {entry.Name} has no chain");
            }

            capable[entry.Name] = new CapableCallable(items[0].Split(','), items[2..], items[1]);
        }

        var safe = root.GetProperty("safe").EnumerateArray().Select(e => e.GetString() ?? string.Empty);
        var aliases = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (root.TryGetProperty("aliases", out var aliasObject))
        {
            foreach (var entry in aliasObject.EnumerateObject())
            {
                aliases[entry.Name] = [.. entry.Value.EnumerateArray().Select(e => e.GetString() ?? string.Empty)];
            }
        }

        return new CapabilityMap(sources, capable, safe, aliases);
    }

    private static CapabilityMap LoadShipped()
    {
        using var stream = typeof(CapabilityMap).Assembly.GetManifestResourceStream(ResourceName);
        return stream is null ? new CapabilityMap([], new Dictionary<string, CapableCallable>(), []) : Read(stream);
    }
}
