using Rampart.Scanning.IO;

namespace Rampart.Scanning.Engine;

/// <summary>
/// A file found under the scan targets. Only <see cref="FileKindValue.Regular"/> files without a
/// <see cref="Problem"/> are ever opened; a problem (a dangling or looping link, a folder that could not be listed, an
/// entry that vanished while it was looked at) is reported as a finding on the path, and the scan goes on.
/// </summary>
/// <param name="FullPath">The path on disk (for a link, the link: it is opened through it).</param>
/// <param name="DisplayPath">The path as reports show it: the target as given, and the path below it.</param>
/// <param name="Length">Size in bytes (of the link's target for a link).</param>
/// <param name="Kind">Regular file, FIFO, socket or device.</param>
/// <param name="Problem">Why it cannot be read, if it cannot.</param>
/// <param name="SameBlobAs">
/// For an entry of a Hugging Face cache snapshot whose blob an earlier entry already reaches: that entry's display path.
/// The blob is scanned once, under the first name; this one takes its verdict.
/// </param>
public sealed record WalkedFile(string FullPath, string DisplayPath, long Length, FileKindValue Kind = FileKindValue.Regular, string? Problem = null, string? SameBlobAs = null);

/// <summary>
/// Expands command-line targets into files: a file is itself, a folder is every regular file below it, in
/// ordinal path order so reports are stable. Symbolic links to folders are not followed (no cycles, no escaping
/// the scanned tree); symbolic links to files are scanned as the file they point to, under the link's name.
/// FIFOs, sockets and devices are listed with their kind and never opened (a FIFO would block, /dev/zero never ends).
/// Nothing the file system does stops the walk: a dangling link, a link loop, a folder that cannot be listed or an
/// entry that vanishes while it is looked at is listed with its <see cref="WalkedFile.Problem"/>.
/// Inside a Hugging Face cache repository (<see cref="HubCacheLayout"/>) snapshot links are followed only when they
/// stay inside that repository's folder, each blob is scanned once (under the first snapshot name that reaches it,
/// the others taking its verdict), and blobs no walked snapshot reaches are scanned under their own name.
/// </summary>
public static class ArtifactWalker
{
    /// <summary>The files under the targets, in the order they are reported.</summary>
    public static IReadOnlyList<WalkedFile> Expand(IReadOnlyList<string> targets) => ExpandTree(targets, includeFolders: false).Files;

    /// <summary>
    /// The files under the targets, a relative target being taken relative to <paramref name="baseDirectory"/> (the
    /// command line's working folder, which need not be the process's), and every folder visited.
    /// </summary>
    public static WalkResult ExpandTree(IReadOnlyList<string> targets, string baseDirectory, bool includeFolders = true) =>
        ExpandTree(targets, includeFolders, WalkFileSystem.Real, baseDirectory);

    /// <summary>
    /// The files under the targets, and (unless <paramref name="includeFolders"/> is false, when no folder analyzer
    /// would look at them) every folder visited, for <see cref="IFolderAnalyzer"/>s.
    /// </summary>
    public static WalkResult ExpandTree(IReadOnlyList<string> targets, bool includeFolders = true) =>
        ExpandTree(targets, includeFolders, WalkFileSystem.Real);

    internal static WalkResult ExpandTree(IReadOnlyList<string> targets, bool includeFolders, WalkFileSystem fileSystem, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        baseDirectory ??= Directory.GetCurrentDirectory();
        if (targets.Count == 0)
        {
            throw new ScanTargetException("no path to scan was given");
        }

        var files = new List<WalkedFile>();
        var folders = new List<FolderView>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var hubCache = new HubCacheLayout.Classifier();
        var blobNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            // Relative to the caller's working folder; reports keep the target as it was given.
            var full = Path.GetFullPath(target, baseDirectory);
            if (File.Exists(full))
            {
                Add(full, target);
                if (includeFolders && files[^1] is { Kind: FileKindValue.Regular } file && file.FullPath == full)
                {
                    folders.Add(new FolderView(full, target, true, [new FolderFile(Path.GetFileName(full), full, target, file.Length)], [], isSingleFile: true));
                }
            }
            else if (Directory.Exists(full))
            {
                var found = new List<string>();
                var dirs = new List<string>();
                var problems = new List<(string Path, string Problem)>();
                Walk(fileSystem, full, found, dirs, problems);
                found.Sort(StringComparer.Ordinal);
                var first = files.Count;
                AddFound(target, full, found);

                foreach (var (path, problem) in problems.OrderBy(p => p.Path, StringComparer.Ordinal))
                {
                    if (seen.Add(path))
                    {
                        files.Add(new WalkedFile(path, path == full ? target : Display(target, full, path), 0, FileKindValue.Other, problem));
                    }
                }

                if (includeFolders)
                {
                    AddFolders(target, full, files.GetRange(first, files.Count - first), dirs);
                }
            }
            else if (Path.Exists(full) || IsLink(full))
            {
                // A FIFO, socket or device named directly: listed with its kind, never opened. A dangling or looping
                // link named directly is listed with its problem.
                Add(full, target);
            }
            else
            {
                throw new ScanTargetException($"'{target}' does not exist or is not a file or folder");
            }
        }

        return new WalkResult(files, folders);

        void AddFolders(string target, string root, List<WalkedFile> below, List<string> dirs)
        {
            // Sorted by full path, the files of one folder (and its subfolders) are one contiguous range.
            var regular = below.Where(f => f.Kind == FileKindValue.Regular).ToList();
            var paths = regular.Select(f => f.FullPath).ToList();
            dirs.Sort(StringComparer.Ordinal);
            foreach (var dir in dirs)
            {
                var prefix = dir + Path.DirectorySeparatorChar;
                var start = paths.BinarySearch(prefix, StringComparer.Ordinal);
                start = start < 0 ? ~start : start;
                var inside = new List<FolderFile>();
                for (var i = start; i < paths.Count && paths[i].StartsWith(prefix, StringComparison.Ordinal); i++)
                {
                    var f = regular[i];
                    inside.Add(new FolderFile(f.FullPath[prefix.Length..].Replace('\\', '/'), f.FullPath, f.DisplayPath, f.Length));
                }

                var subfolders = dirs
                    .Where(d => d.StartsWith(prefix, StringComparison.Ordinal) && d.IndexOf(Path.DirectorySeparatorChar, prefix.Length) < 0)
                    .Select(d => d[prefix.Length..])
                    .ToList();
                folders.Add(new FolderView(dir, dir == root ? target : Display(target, root, dir), dir == root, inside, subfolders));
            }
        }

        void AddFound(string target, string root, List<string> found)
        {
            var entries = found.Select(hubCache.Classify).ToList();
            var reached = entries.Where(e => e.Kind == HubCacheLayout.EntryKind.Snapshot).Select(e => e.Target).ToHashSet(StringComparer.Ordinal);
            for (var i = 0; i < found.Count; i++)
            {
                var (file, entry, display) = (found[i], entries[i], Display(target, root, found[i]));
                switch (entry.Kind)
                {
                    case HubCacheLayout.EntryKind.Blob when reached.Contains(file):
                        break; // scanned under the snapshot names that reach it
                    case HubCacheLayout.EntryKind.Escaping:
                        if (seen.Add(file))
                        {
                            files.Add(new WalkedFile(file, display, 0, FileKindValue.Other,
                                $"a link of the Hugging Face cache that leads out of {Path.GetFileName(entry.Repository)} (to {entry.Target}); cache links are followed only inside the cache"));
                        }

                        break;
                    case HubCacheLayout.EntryKind.Snapshot when blobNames.TryGetValue(entry.Target, out var firstName):
                        if (seen.Add(file))
                        {
                            files.Add(Describe(file, display) with { SameBlobAs = firstName });
                        }

                        break;
                    case HubCacheLayout.EntryKind.Snapshot:
                        blobNames[entry.Target] = display;
                        Add(file, display);
                        break;
                    default:
                        Add(file, display);
                        break;
                }
            }
        }

        void Add(string fullPath, string display)
        {
            if (seen.Add(fullPath))
            {
                files.Add(Describe(fullPath, display));
            }
        }
    }

    /// <summary>What the walker knows about one path: its kind and length, or the problem that stops it being read.</summary>
    private static WalkedFile Describe(string fullPath, string display)
    {
        try
        {
            var kind = FileKind.Of(fullPath, out var problem);
            if (problem is not null)
            {
                return new WalkedFile(fullPath, display, 0, FileKindValue.Other, problem);
            }

            if (kind != FileKindValue.Regular)
            {
                return new WalkedFile(fullPath, display, 0, kind);
            }

            var info = new FileInfo(fullPath);
            var length = info.LinkTarget is not null ? new FileInfo(info.ResolveLinkTarget(true)?.FullName ?? fullPath).Length : info.Length;
            return new WalkedFile(fullPath, display, length, kind);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new WalkedFile(fullPath, display, 0, FileKindValue.Other, $"it could not be examined ({AnalyzerFailures.Describe(e)})");
        }
    }

    private static bool IsLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string Display(string target, string root, string path) =>
        Path.Combine(target, Path.GetRelativePath(root, path)).Replace('\\', '/');

    private static void Walk(WalkFileSystem fileSystem, string folder, List<string> found, List<string> dirs, List<(string, string)> problems)
    {
        List<FileSystemInfo> entries;
        try
        {
            entries = [.. fileSystem.Enumerate(folder)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A folder that vanished or cannot be listed: a finding on the folder, and the walk goes on elsewhere.
            problems.Add((folder, $"the folder could not be listed ({AnalyzerFailures.Describe(e)}); nothing in it was scanned"));
            return;
        }

        dirs.Add(folder);
        foreach (var entry in entries)
        {
            if (entry is DirectoryInfo directory)
            {
                if (directory.LinkTarget is null)
                {
                    Walk(fileSystem, directory.FullName, found, dirs, problems);
                }
            }
            else if (entry is FileInfo file)
            {
                // Links to files are scanned as their target; dangling and looping links are listed and reported.
                found.Add(file.FullName);
            }
        }
    }
}

/// <summary>What <see cref="ArtifactWalker.ExpandTree(IReadOnlyList{string}, bool)"/> found: files to scan, and folders to judge as a whole.</summary>
public sealed record WalkResult(IReadOnlyList<WalkedFile> Files, IReadOnlyList<FolderView> Folders);

/// <summary>
/// The listing call the walker makes, overridable so that tests can reproduce what a live file system does between
/// two calls (a folder removed after its parent was listed, a listing refused) deterministically.
/// </summary>
internal class WalkFileSystem
{
    public static readonly WalkFileSystem Real = new();

    /// <summary>The entries of <paramref name="folder"/>; throws IOException or UnauthorizedAccessException like the OS.</summary>
    public virtual IEnumerable<FileSystemInfo> Enumerate(string folder) => new DirectoryInfo(folder).EnumerateFileSystemInfos();
}
