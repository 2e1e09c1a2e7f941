namespace Rampart.Dependencies;

/// <summary>
/// One Python package a project declares, locks or has installed, as other rooms (the AI-BOM, reports) need it.
/// </summary>
/// <param name="Name">The name as written.</param>
/// <param name="NormalizedName">The PEP 503 normalised name ("scikit-learn").</param>
/// <param name="Version">The exact version when pinned, locked or installed; null when only a range is known.</param>
/// <param name="Specifier">The requirement's specifier as written (">=2.0,&lt;3"), or null.</param>
/// <param name="Source">The manifest, lockfile or dist-info folder it came from (a path as the report shows it).</param>
/// <param name="Kind">"declared", "locked" or "installed".</param>
/// <param name="Hashes">Hashes recorded for it ("sha256:..."), if any.</param>
public sealed record PackageRecord(
    string Name,
    string NormalizedName,
    string? Version,
    string? Specifier,
    string Source,
    string Kind,
    IReadOnlyList<string> Hashes)
{
    /// <summary>The package URL (purl) of the PyPI package: pkg:pypi/name@version.</summary>
    public string Purl => Version is null ? $"pkg:pypi/{NormalizedName}" : $"pkg:pypi/{NormalizedName}@{Uri.EscapeDataString(Version)}";
}

/// <summary>Finds the Python packages of a project folder, a manifest or lockfile, or an installed environment.</summary>
public interface IDependencyInventory
{
    /// <summary>
    /// Every package found under <paramref name="path"/>. Files that cannot be parsed are reported in
    /// <see cref="DependencyInventoryResult.Problems"/>, never skipped silently.
    /// </summary>
    ValueTask<DependencyInventoryResult> CollectAsync(string path, CancellationToken cancellationToken);
}

/// <summary>What <see cref="IDependencyInventory.CollectAsync"/> found, and what it could not read.</summary>
public sealed record DependencyInventoryResult(IReadOnlyList<PackageRecord> Packages, IReadOnlyList<string> Problems);
