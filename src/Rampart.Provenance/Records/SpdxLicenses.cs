using System.Collections.Frozen;
using System.Text.Json;

namespace Rampart.Provenance.Records;

/// <summary>
/// The SPDX licence list (ids and full names) shipped as data in rules/data/spdx-licenses.json, with its source and
/// list version. A dataset licence is recorded as its SPDX id when it is one (ids match case-insensitively, as SPDX
/// specifies, and a licence's full name maps to its id), and as the licence name it was given otherwise.
/// </summary>
public static class SpdxLicenses
{
    private static readonly Lazy<(FrozenDictionary<string, string> Ids, FrozenDictionary<string, string> Names, string Version)> Data = new(Load);

    /// <summary>The SPDX License List version the data comes from.</summary>
    public static string ListVersion => Data.Value.Version;

    /// <summary>Every id in the list, in its canonical spelling.</summary>
    public static IEnumerable<string> Ids => Data.Value.Ids.Values;

    /// <summary>The canonical SPDX id that <paramref name="licence"/> names (by id or full name), or null when it is not on the list.</summary>
    public static string? IdOf(string licence)
    {
        ArgumentNullException.ThrowIfNull(licence);
        var key = licence.Trim();
        return Data.Value.Ids.TryGetValue(key, out var id) ? id : Data.Value.Names.GetValueOrDefault(key);
    }

    /// <summary>Whether <paramref name="value"/> is an SPDX id exactly as the list spells it.</summary>
    public static bool IsId(string value) => IdOf(value) is { } id && string.Equals(id, value, StringComparison.Ordinal);

    /// <summary>The licence as recorded: the canonical SPDX id when it is one, else the trimmed name.</summary>
    public static string Normalize(string licence) => IdOf(licence) ?? licence.Trim();

    private static (FrozenDictionary<string, string>, FrozenDictionary<string, string>, string) Load()
    {
        using var stream = typeof(SpdxLicenses).Assembly.GetManifestResourceStream("data/spdx-licenses.json")
            ?? throw new InvalidOperationException("the SPDX licence list is not embedded (data/spdx-licenses.json)");
        using var document = JsonDocument.Parse(stream);
        var ids = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var licence in document.RootElement.GetProperty("licenses").EnumerateObject())
        {
            ids[licence.Name] = licence.Name;
            if (licence.Value.GetString() is { Length: > 0 } name)
            {
                names.TryAdd(name, licence.Name);
            }
        }

        return (ids.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase), names.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            document.RootElement.GetProperty("licenseListVersion").GetString()!);
    }
}
