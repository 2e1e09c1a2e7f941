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
    public static IReadOnlyList<WalkedFile> Expand(IReadOnlyList<string> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count == 0)
        {
            throw new ScanTargetException("no path to scan was given");
        }

        var files = new List<WalkedFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            var full = Path.GetFullPath(target);
            if (File.Exists(full))
            {
                Add(full, target);
            }
            else if (Directory.Exists(full))
            {
                var found = new List<string>();
                Walk(full, found);
                found.Sort(StringComparer.Ordinal);
                foreach (var file in found)
                {
                    Add(file, Path.Combine(target, Path.GetRelativePath(full, file)).Replace('\\', '/'));
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

        return files;

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

    private static void Walk(string folder, List<string> found)
    {
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo directory)
            {
                if (directory.LinkTarget is null)
                {
                    Walk(directory.FullName, found);
                }
            }
            else if (entry is FileInfo file && (file.LinkTarget is null || File.Exists(file.FullName)))
            {
                found.Add(file.FullName);
            }
        }
    }
}
