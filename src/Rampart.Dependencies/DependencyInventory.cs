using Rampart.Dependencies.Environments;
using Rampart.Dependencies.Manifests;

namespace Rampart.Dependencies;

/// <summary>
/// Collects the Python packages of a manifest or lockfile, a project folder (every manifest in it, at any depth),
/// or an installed environment (every folder holding *.dist-info / *.egg-info). Unreadable files become problems.
/// </summary>
public sealed class DependencyInventory : IDependencyInventory
{
    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal) { ".git", ".hg", ".svn", "node_modules", "__pycache__" };

    /// <summary>Most files looked at below a folder.</summary>
    public const int MaxFiles = 2_000_000;

    public ValueTask<DependencyInventoryResult> CollectAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        var packages = new List<PackageRecord>();
        var problems = new List<string>();
        if (File.Exists(path))
        {
            if (ManifestReader.FormatOf(path) is { } format)
            {
                Add(ManifestReader.ReadFile(format, path, path), packages, problems);
            }
            else
            {
                problems.Add($"{path}: not a manifest, lockfile or environment Rampart reads");
            }
        }
        else if (Directory.Exists(path))
        {
            Walk(new DirectoryInfo(path), path, packages, problems, 0, cancellationToken);
        }
        else
        {
            problems.Add($"{path}: no such file or folder");
        }

        return ValueTask.FromResult(new DependencyInventoryResult(packages, problems));
    }

    private static void Walk(DirectoryInfo folder, string display, List<PackageRecord> packages, List<string> problems, int depth, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (depth > 64)
        {
            problems.Add($"{display}: folders nested more than 64 deep; not searched further");
            return;
        }

        DirectoryInfo[] subfolders;
        FileInfo[] files;
        try
        {
            subfolders = [.. folder.EnumerateDirectories().Where(d => (d.Attributes & FileAttributes.ReparsePoint) == 0).OrderBy(d => d.Name, StringComparer.Ordinal)];
            files = [.. folder.EnumerateFiles().Where(f => (f.Attributes & FileAttributes.ReparsePoint) == 0).OrderBy(f => f.Name, StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{display}: cannot list: {e.Message}");
            return;
        }

        if (SitePackages.LooksLikeSitePackages(subfolders.Select(s => s.Name)))
        {
            var report = SitePackages.Inspect(new DiskFileTree(folder.FullName, display), ct);
            packages.AddRange(report.Installed.Select(d => d.ToRecord()));
            return; // an environment's own files are not project manifests
        }

        foreach (var file in files)
        {
            if (ManifestReader.FormatOf(file.Name) is { } format)
            {
                var shown = $"{display}/{file.Name}";
                Add(ManifestReader.ReadFile(format, file.FullName, shown, folder.FullName), packages, problems);
            }
        }

        foreach (var sub in subfolders.Where(s => !SkippedFolders.Contains(s.Name)))
        {
            Walk(sub, $"{display}/{sub.Name}", packages, problems, depth + 1, ct);
        }
    }

    private static void Add(ManifestResult result, List<PackageRecord> packages, List<string> problems)
    {
        packages.AddRange(result.Dependencies.Select(d => d.ToRecord()));
        problems.AddRange(result.Problems.Select(p => p.ToString()));
    }
}
