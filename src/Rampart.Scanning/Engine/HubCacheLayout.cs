namespace Rampart.Scanning.Engine;

/// <summary>
/// The Hugging Face hub cache (what <c>huggingface_hub</c> writes under <c>~/.cache/huggingface/hub</c>): one folder per
/// repository, <c>models--org--name</c> (or <c>datasets--</c>, <c>spaces--</c>), holding <c>blobs/</c> (files named by
/// their digest), <c>snapshots/REVISION/</c> (the repository's files as relative symbolic links into <c>blobs/</c>) and
/// <c>refs/BRANCH</c> (the revision a branch pointed at). Several revisions share unchanged blobs.
/// The walker uses this to follow snapshot links only inside their repository folder and to scan each blob once.
/// </summary>
public static class HubCacheLayout
{
    private static readonly string[] Prefixes = ["models--", "datasets--", "spaces--"];

    /// <summary>
    /// The repository type and id a cache folder name stands for ("models--org--name" → model, "org/name"), or null
    /// when the name is not one.
    /// </summary>
    public static (string Type, string Id)? ParseFolderName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var prefix in Prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length)
            {
                return (prefix[..^3], name[prefix.Length..].Replace("--", "/", StringComparison.Ordinal));
            }
        }

        return null;
    }

    /// <summary>True for a folder laid out as one repository of the cache (name, blobs/ and snapshots/).</summary>
    public static bool IsRepositoryFolder(string fullPath) =>
        ParseFolderName(Path.GetFileName(fullPath)) is not null
        && Directory.Exists(Path.Combine(fullPath, "blobs"))
        && Directory.Exists(Path.Combine(fullPath, "snapshots"));

    /// <summary>What one walked path is, seen from the cache layout.</summary>
    internal enum EntryKind
    {
        /// <summary>Not in a cache repository, or a file of one that is neither a snapshot entry nor a blob (refs/main).</summary>
        Plain,

        /// <summary>A file under snapshots/ whose final target lies inside the repository folder.</summary>
        Snapshot,

        /// <summary>A file under snapshots/ whose link leads out of the repository folder: never followed.</summary>
        Escaping,

        /// <summary>A file under blobs/.</summary>
        Blob,
    }

    /// <summary>One walked path: its kind, its repository folder and (for snapshot entries) the final target.</summary>
    internal readonly record struct Entry(EntryKind Kind, string? Repository, string Target);

    /// <summary>Classifies walked paths; remembers which folders are cache repositories (one instance per walk).</summary>
    internal sealed class Classifier
    {
        private readonly Dictionary<string, bool> _isRepository = new(StringComparer.Ordinal);

        public Entry Classify(string fullPath)
        {
            var repository = RepositoryOf(fullPath);
            if (repository is null)
            {
                return new Entry(EntryKind.Plain, null, fullPath);
            }

            var relative = fullPath[(repository.Length + 1)..];
            if (relative.StartsWith("blobs" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                return new Entry(EntryKind.Blob, repository, fullPath);
            }

            if (!relative.StartsWith("snapshots" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                return new Entry(EntryKind.Plain, repository, fullPath);
            }

            string target;
            try
            {
                target = new FileInfo(fullPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? fullPath;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new Entry(EntryKind.Plain, repository, fullPath); // a loop or unreadable link: the walker reports it
            }

            target = Path.GetFullPath(target);
            return target.StartsWith(repository + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                ? new Entry(EntryKind.Snapshot, repository, target)
                : new Entry(EntryKind.Escaping, repository, target);
        }

        /// <summary>The nearest enclosing cache repository folder, or null.</summary>
        private string? RepositoryOf(string fullPath)
        {
            for (var dir = Path.GetDirectoryName(fullPath); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
            {
                if (ParseFolderName(Path.GetFileName(dir)) is null)
                {
                    continue;
                }

                if (!_isRepository.TryGetValue(dir, out var yes))
                {
                    yes = IsRepositoryFolder(dir);
                    _isRepository[dir] = yes;
                }

                if (yes)
                {
                    return dir;
                }
            }

            return null;
        }
    }
}
