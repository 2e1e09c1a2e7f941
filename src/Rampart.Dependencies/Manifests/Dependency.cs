using System.Collections.Immutable;
using Rampart.Dependencies.Pep440;

namespace Rampart.Dependencies.Manifests;

/// <summary>One package a manifest declares, a lockfile locks or an environment has installed.</summary>
/// <param name="Name">The name as written.</param>
/// <param name="Version">The exact version when pinned, locked or installed.</param>
/// <param name="Specifier">The version specifier as written ("&gt;=2,&lt;3", "^1.2" in Poetry), or null.</param>
/// <param name="Source">The file it came from, as the report shows it.</param>
/// <param name="Line">1-based line in that file where known, else 0.</param>
/// <param name="Kind">"declared", "locked" or "installed".</param>
/// <param name="Hashes">Hashes recorded for it ("sha256:...").</param>
/// <param name="Origin">Where the package comes from: "index" (a package index), "url", "vcs", "path", "editable".</param>
/// <param name="Url">The URL or path of a direct reference.</param>
/// <param name="Marker">The PEP 508 environment marker, if any.</param>
/// <param name="Group">The dependency group (dev, an extra, a Poetry group), if any.</param>
/// <param name="IsConstraint">True for an entry read from a -c constraints file.</param>
/// <param name="Ecosystem">"PyPI", or "conda" for conda packages (listed, not audited against PyPI advisories).</param>
/// <param name="Index">The package index named for it, if any.</param>
public sealed record Dependency(
    string Name,
    string? Version,
    string? Specifier,
    string Source,
    int Line,
    string Kind,
    ImmutableArray<string> Hashes,
    string Origin = "index",
    string? Url = null,
    string? Marker = null,
    string? Group = null,
    bool IsConstraint = false,
    string Ecosystem = "PyPI",
    string? Index = null)
{
    public string NormalizedName { get; } = PackageName.Normalize(Name);

    /// <summary>True when the version is fixed: an exact pin, a lock, an installation.</summary>
    public bool IsPinned => Version is not null;

    public PackageRecord ToRecord() => new(Name, NormalizedName, Version, Specifier, Line > 0 ? $"{Source}:{Line}" : Source, Kind, Hashes);
}

/// <summary>Something in a manifest that could not be read; never skipped silently.</summary>
public sealed record ManifestProblem(string Source, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{Source}:{Line}: {Message}" : $"{Source}: {Message}";
}

/// <summary>What one manifest, lockfile or environment yielded.</summary>
public sealed record ManifestResult(string Format, ImmutableArray<Dependency> Dependencies, ImmutableArray<ManifestProblem> Problems, ImmutableArray<string> IndexUrls)
{
    /// <summary>The subset of <see cref="IndexUrls"/> given with --extra-index-url (searched together with the main index).</summary>
    public ImmutableArray<string> ExtraIndexUrls { get; init; } = [];

    public static ManifestResult Failed(string format, string source, string message, int line = 0) =>
        new(format, [], [new ManifestProblem(source, line, message)], []);
}
