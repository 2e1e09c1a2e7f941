using System.Security.Cryptography;

namespace Rampart.Dependencies.Environments;

/// <summary>One file the system package manager installed: its package, and dpkg's md5sum of it when dpkg keeps one
/// (a link or a folder has none).</summary>
public sealed record DpkgEntry(string Package, string? Md5);

/// <summary>
/// What Debian's package manager says about the files of one site-packages folder: which system package owns each
/// file (var/lib/dpkg/info/&lt;package&gt;.list) and the md5sum it recorded at installation
/// (var/lib/dpkg/info/&lt;package&gt;.md5sums). Debian builds Python packages and then changes some files (shebangs,
/// vendored certificates, removed or added modules), so RECORD no longer matches them, while dpkg's md5sums do.
/// The scanned tree may be a root file system unpacked anywhere: the dpkg database is looked for in the folder's
/// ancestors and paths are taken relative to the one that holds it. Read on first use, only for files below the
/// folder, with limits on what is read.
/// </summary>
public sealed class DpkgFiles
{
    /// <summary>Largest .list or .md5sums file read.</summary>
    public const long MaxInfoFileBytes = 64L * 1024 * 1024;

    /// <summary>Most files of var/lib/dpkg/info looked at.</summary>
    public const int MaxInfoFiles = 200_000;

    private readonly string _infoFolder;
    private readonly string _prefix;
    private readonly Lazy<Dictionary<string, DpkgEntry>> _entries;

    private DpkgFiles(string root, string infoFolder, string prefix)
    {
        Root = root;
        _infoFolder = infoFolder;
        _prefix = prefix;
        _entries = new(Load);
    }

    /// <summary>The root file system the dpkg database belongs to.</summary>
    public string Root { get; }

    /// <summary>The dpkg database (var/lib/dpkg/info) as a path relative to the root, for messages.</summary>
    public static string InfoPath => "var/lib/dpkg/info";

    /// <summary>Problems met while reading the database (unreadable or oversized files); empty when all was read.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>
    /// The dpkg database governing <paramref name="siteFolder"/> (a folder on disk), or null when no ancestor holds
    /// var/lib/dpkg/info or the folder is not inside the root that does.
    /// </summary>
    public static DpkgFiles? For(string siteFolder)
    {
        ArgumentNullException.ThrowIfNull(siteFolder);
        var site = Path.GetFullPath(siteFolder);
        for (var dir = Path.GetDirectoryName(site); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var info = Path.Combine(dir, "var", "lib", "dpkg", "info");
            if (Directory.Exists(info))
            {
                var relative = Path.GetRelativePath(dir, site).Replace('\\', '/');
                return relative.StartsWith("..", StringComparison.Ordinal) ? null : new DpkgFiles(dir, info, relative.TrimEnd('/') + "/");
            }
        }

        return null;
    }

    /// <summary>The owner and md5sum of a file given relative to the site folder, or null when dpkg does not own it.</summary>
    public DpkgEntry? Find(string relativePath) => _entries.Value.GetValueOrDefault(relativePath);

    /// <summary>True when <paramref name="content"/> has the md5sum dpkg recorded.</summary>
    public static bool Matches(DpkgEntry entry, Stream content)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Md5 is null)
        {
            return false;
        }

        // MD5 only because dpkg records MD5: this compares with the package manager's own record of the file,
        // which is exactly as trustworthy as the root file system it sits in.
#pragma warning disable CA5351
        var actual = Convert.ToHexStringLower(MD5.HashData(content));
#pragma warning restore CA5351
        return string.Equals(actual, entry.Md5, StringComparison.OrdinalIgnoreCase);
    }

    private Dictionary<string, DpkgEntry> Load()
    {
        var entries = new Dictionary<string, DpkgEntry>(StringComparer.Ordinal);
        IEnumerable<string> files;
        try
        {
            files = Directory.EnumerateFiles(_infoFolder).Where(f => f.EndsWith(".md5sums", StringComparison.Ordinal) || f.EndsWith(".list", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).Take(MaxInfoFiles).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Problems.Add($"cannot list {InfoPath}: {e.Message}");
            return entries;
        }

        // md5sums first ("<md5>  usr/lib/..."), then .list ("/usr/lib/...") for owned files without a sum (links).
        foreach (var file in files.OrderBy(f => f.EndsWith(".list", StringComparison.Ordinal) ? 1 : 0))
        {
            var isSums = file.EndsWith(".md5sums", StringComparison.Ordinal);
            var name = Path.GetFileName(file);
            var package = name[..name.LastIndexOf('.')];
            try
            {
                var info = new FileInfo(file);
                if ((info.Attributes & FileAttributes.ReparsePoint) != 0 || info.Length > MaxInfoFileBytes)
                {
                    Problems.Add($"{InfoPath}/{name} is a link or larger than {MaxInfoFileBytes:N0} bytes; not read");
                    continue;
                }

                using var reader = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan));
                while (reader.ReadLine() is { } line)
                {
                    if (isSums)
                    {
                        // 32 hex digits, two spaces (or " *"), the path without its leading '/'.
                        if (line.Length > 34 && line.AsSpan(34).StartsWith(_prefix, StringComparison.Ordinal))
                        {
                            entries.TryAdd(line[(34 + _prefix.Length)..], new DpkgEntry(package, line[..32]));
                        }
                    }
                    else if (line.Length > 1 && line[0] == '/' && line.AsSpan(1).StartsWith(_prefix, StringComparison.Ordinal))
                    {
                        entries.TryAdd(line[(1 + _prefix.Length)..], new DpkgEntry(package, null));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Problems.Add($"cannot read {InfoPath}/{name}: {e.Message}");
            }
        }

        return entries;
    }
}
