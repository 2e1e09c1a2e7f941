using Rampart.Scanning.IO;

namespace Rampart.Scanning.Engine;

/// <summary>A file found under the scan targets. Only <see cref="FileKindValue.Regular"/> files are ever opened.</summary>
public sealed record WalkedFile(string FullPath, string DisplayPath, long Length, FileKindValue Kind = FileKindValue.Regular);

/// <summary>
/// Expands command-line targets into files: a file is itself, a folder is every regular file below it, in
/// ordinal path order so reports are stable. Symbolic links to folders are not followed (no cycles, no escaping
/// the scanned tree); symbolic links to files are scanned as the file they point to, under the link's name.
/// FIFOs, sockets and devices are listed with their kind and never opened (a FIFO would block, /dev/zero never ends).
/// </summary>
public static class ArtifactWalker
{
    /// <summary>The files under the targets, in the order they are reported.</summary>
    public static IReadOnlyList<WalkedFile> Expand(IReadOnlyList<string> targets) => ExpandTree(targets, includeFolders: false).Files;

    /// <summary>
    /// The files under the targets, and (unless <paramref name="includeFolders"/> is false, when no folder analyzer
    /// would look at them) every folder visited, for <see cref="IFolderAnalyzer"/>s.
    /// </summary>
    public static WalkResult ExpandTree(IReadOnlyList<string> targets, bool includeFolders = true)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count == 0)
        {
            throw new ScanTargetException("no path to scan was given");
        }

        var files = new List<WalkedFile>();
        var folders = new List<FolderView>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            var full = Path.GetFullPath(target);
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
                Walk(full, found, dirs);
                found.Sort(StringComparer.Ordinal);
                var first = files.Count;
                foreach (var file in found)
                {
                    Add(file, Display(target, full, file));
                }

                if (includeFolders)
                {
                    AddFolders(target, full, files.GetRange(first, files.Count - first), dirs);
                }
            }
            else if (Path.Exists(full))
            {
                // A FIFO, socket or device named directly: listed with its kind, never opened.
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

        void Add(string fullPath, string display)
        {
            if (seen.Add(fullPath))
            {
                var kind = FileKind.Of(fullPath);
                var info = new FileInfo(fullPath);
                var length = kind != FileKindValue.Regular ? 0
                    : info.LinkTarget is not null ? new FileInfo(info.ResolveLinkTarget(true)?.FullName ?? fullPath).Length
                    : info.Length;
                files.Add(new WalkedFile(fullPath, display, length, kind));
            }
        }
    }

    private static string Display(string target, string root, string path) =>
        Path.Combine(target, Path.GetRelativePath(root, path)).Replace('\\', '/');

    private static void Walk(string folder, List<string> found, List<string> dirs)
    {
        dirs.Add(folder);
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo directory)
            {
                if (directory.LinkTarget is null)
                {
                    Walk(directory.FullName, found, dirs);
                }
            }
            else if (entry is FileInfo file && (file.LinkTarget is null || File.Exists(file.FullName)))
            {
                found.Add(file.FullName);
            }
        }
    }
}

/// <summary>What <see cref="ArtifactWalker.ExpandTree"/> found: files to scan, and folders to judge as a whole.</summary>
public sealed record WalkResult(IReadOnlyList<WalkedFile> Files, IReadOnlyList<FolderView> Folders);
