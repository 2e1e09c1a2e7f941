using System.Security.Cryptography;
using System.Text;

namespace Rampart.TestKit;

/// <summary>
/// Writes a Hugging Face hub cache the way huggingface_hub's snapshot_download leaves it:
/// <c>models--org--name/blobs/DIGEST</c> (sha256 of the content, as for LFS files), <c>snapshots/REVISION/FILE</c> as a
/// relative symbolic link <c>../../blobs/DIGEST</c> (deeper paths get more <c>../</c>), and <c>refs/main</c> holding
/// the revision without a newline. Revisions that share a file share its blob.
/// </summary>
public sealed class HubCacheBuilder
{
    private readonly List<(string Repository, string Revision, string Name, byte[]? Bytes, string? LinkTarget)> _entries = [];
    private readonly Dictionary<(string Repository, string Ref), string> _refs = [];

    /// <summary>A file of <paramref name="repositoryId"/> ("org/name") at <paramref name="revision"/>.</summary>
    public HubCacheBuilder File(string repositoryId, string revision, string name, byte[] bytes)
    {
        _entries.Add((repositoryId, revision, name, bytes, null));
        return this;
    }

    public HubCacheBuilder File(string repositoryId, string revision, string name, string text) => File(repositoryId, revision, name, Encoding.UTF8.GetBytes(text));

    /// <summary>A snapshot entry that is a link to <paramref name="linkTarget"/> as written (e.g. a path out of the cache).</summary>
    public HubCacheBuilder Link(string repositoryId, string revision, string name, string linkTarget)
    {
        _entries.Add((repositoryId, revision, name, null, linkTarget));
        return this;
    }

    public HubCacheBuilder Ref(string repositoryId, string branch, string revision)
    {
        _refs[(repositoryId, branch)] = revision;
        return this;
    }

    /// <summary>The folder name of a model repository in the cache.</summary>
    public static string FolderName(string repositoryId) => "models--" + repositoryId.Replace("/", "--", StringComparison.Ordinal);

    /// <summary>The blob name huggingface_hub gives an LFS file: the hex sha256 of its content.</summary>
    public static string BlobName(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Writes the cache under <paramref name="directory"/>/hub and returns the hub folder.</summary>
    public string Write(string directory)
    {
        var hub = Path.Combine(directory, "hub");
        foreach (var (repository, revision, name, bytes, linkTarget) in _entries)
        {
            var root = Path.Combine(hub, FolderName(repository));
            Directory.CreateDirectory(Path.Combine(root, "blobs"));
            var link = Path.Combine(root, "snapshots", revision, name);
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            if (linkTarget is not null)
            {
                System.IO.File.CreateSymbolicLink(link, linkTarget);
                continue;
            }

            var blob = BlobName(bytes!);
            System.IO.File.WriteAllBytes(Path.Combine(root, "blobs", blob), bytes!);
            var up = string.Concat(Enumerable.Repeat("../", 2 + name.Count(c => c == '/')));
            System.IO.File.CreateSymbolicLink(link, $"{up}blobs/{blob}");
        }

        foreach (var ((repository, branch), revision) in _refs)
        {
            var path = Path.Combine(hub, FolderName(repository), "refs", branch);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            System.IO.File.WriteAllText(path, revision);
        }

        Directory.CreateDirectory(hub);
        return hub;
    }
}
