using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rampart.Dependencies.Manifests;
using Rampart.Dependencies.Pep440;
using Rampart.Core.IO;

namespace Rampart.Dependencies.Environments;

/// <summary>Read access to one folder's files, as the engine's FolderView or the file system provides it.</summary>
public interface IFileTree
{
    /// <summary>Every regular file below the folder, '/'-separated relative paths, with their sizes.</summary>
    IReadOnlyDictionary<string, long> Files { get; }

    /// <summary>The folder as reports show it.</summary>
    string DisplayPath { get; }

    /// <summary>The folder on disk, when it is one (lets the system package manager's records be consulted).</summary>
    string? FullPath => null;

    Stream OpenRead(string relativePath);
}

/// <summary>A file tree on disk (links are not followed).</summary>
public sealed class DiskFileTree : IFileTree
{
    public DiskFileTree(string root, string displayPath, int maxFiles = 1_000_000)
    {
        Root = Path.GetFullPath(root);
        DisplayPath = displayPath;
        var files = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var info in new DirectoryInfo(Root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true }))
        {
            if (files.Count >= maxFiles)
            {
                break;
            }

            files[Path.GetRelativePath(Root, info.FullName).Replace('\\', '/')] = info.Length;
        }

        Files = files;
    }

    public string Root { get; }

    public string? FullPath => Root;

    public IReadOnlyDictionary<string, long> Files { get; }

    public string DisplayPath { get; }

    public Stream OpenRead(string relativePath) => new FileStream(Path.Combine(Root, relativePath), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
}

/// <summary>One observation about an installed environment; the engine adapter turns it into a finding.</summary>
/// <remarks>Kind is one of "tampered", "missing", "unlisted", "pth-import", "local-build", "unreadable", "no-record".</remarks>
public sealed record EnvironmentIssue(string Kind, string Package, string Path, string Message, int Line = 0);

/// <summary>What one site-packages folder holds and what is wrong with it.</summary>
public sealed record EnvironmentReport(ImmutableArray<Dependency> Installed, ImmutableArray<EnvironmentIssue> Issues, int FilesVerified)
{
    /// <summary>Files that differ from RECORD but match the md5sum dpkg recorded when it installed them.</summary>
    public int FilesVerifiedByDpkg { get; init; }

    /// <summary>Files a RECORD lists that the system package which installed that RECORD never installed (not missing).</summary>
    public int FilesNotShippedByDpkg { get; init; }

    /// <summary>The system packages (dpkg) whose records vouched for those files, in order.</summary>
    public ImmutableArray<string> DpkgPackages { get; init; } = [];
}

/// <summary>
/// Inspects an installed Python environment (a site-packages folder): reads every *.dist-info (METADATA, RECORD,
/// INSTALLER, direct_url.json) and *.egg-info (PKG-INFO), verifies each installed file against RECORD's sha256 and
/// size, lists files in a package's folders that RECORD does not list, flags .pth files with import lines (Python
/// runs them at every start-up), and notes packages that came from no index.
/// </summary>
public static class SitePackages
{
    /// <summary>Largest metadata file read (METADATA, RECORD, ...).</summary>
    public const long MaxMetadataBytes = 16 * 1024 * 1024;

    /// <summary>Largest installed file hashed; a bigger one is reported as not verified.</summary>
    public const long MaxHashedFileBytes = 2L * 1024 * 1024 * 1024;

    /// <summary>True when the folder directly holds package metadata folders.</summary>
    public static bool LooksLikeSitePackages(IEnumerable<string> subfolders) =>
        subfolders.Any(s => s.EndsWith(".dist-info", StringComparison.OrdinalIgnoreCase) || s.EndsWith(".egg-info", StringComparison.OrdinalIgnoreCase));

    public static EnvironmentReport Inspect(IFileTree tree, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var installed = ImmutableArray.CreateBuilder<Dependency>();
        var issues = ImmutableArray.CreateBuilder<EnvironmentIssue>();
        var verified = 0;
        var owned = new HashSet<string>(StringComparer.Ordinal);
        var packageFolders = new Dictionary<string, string>(StringComparer.Ordinal); // top-level folder -> package
        // dist-info folders first: a package that also left an egg-info (Debian installs some both ways) is the same
        // installation and is reported once.
        var metaFolders = tree.Files.Keys.Select(k => k.Split('/')).Where(p => p.Length == 2 && (p[0].EndsWith(".dist-info", StringComparison.OrdinalIgnoreCase) || p[0].EndsWith(".egg-info", StringComparison.OrdinalIgnoreCase)))
            .Select(p => p[0]).Distinct(StringComparer.Ordinal)
            .OrderBy(m => m.EndsWith(".dist-info", StringComparison.OrdinalIgnoreCase) ? 0 : 1).ThenBy(m => m, StringComparer.Ordinal).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var dpkg = tree.FullPath is { } fullPath ? DpkgFiles.For(fullPath) : null;
        var byDpkg = 0;
        var notShipped = 0;
        var dpkgPackages = new SortedSet<string>(StringComparer.Ordinal);

        // A file RECORD does not vouch for: true when dpkg installed it and its md5sum still matches.
        bool VouchedByDpkg(string rel, out DpkgEntry? owner)
        {
            owner = dpkg?.Find(rel);
            if (owner is not { Md5: not null } || !tree.Files.TryGetValue(rel, out var size) || size > MaxHashedFileBytes)
            {
                return false;
            }

            using var stream = tree.OpenRead(rel);
            if (!DpkgFiles.Matches(owner, stream))
            {
                return false;
            }

            byDpkg++;
            dpkgPackages.Add(owner.Package);
            return true;
        }

        static string Dpkg(DpkgEntry? owner) => owner is { Md5: not null }
            ? $", nor the md5sum that the system package {owner.Package} recorded for it ({DpkgFiles.InfoPath}/{owner.Package}.md5sums)"
            : "";

        foreach (var meta in metaFolders)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var isDist = meta.EndsWith(".dist-info", StringComparison.OrdinalIgnoreCase);
            var headers = ReadHeaders(tree, $"{meta}/{(isDist ? "METADATA" : "PKG-INFO")}");
            var fallback = meta[..meta.LastIndexOf('.')];
            var dash = fallback.IndexOf('-', StringComparison.Ordinal);
            var name = headers.GetValueOrDefault("name") ?? (dash > 0 ? fallback[..dash] : fallback);
            var version = headers.GetValueOrDefault("version") ?? (dash > 0 ? fallback[(dash + 1)..] : null);
            var source = $"{tree.DisplayPath}/{meta}";
            if (!seen.Add($"{PackageName.Normalize(name)}@{version}"))
            {
                continue; // the same installation, described twice
            }

            var origin = "index";
            string? url = null;
            if (isDist && ReadText(tree, $"{meta}/direct_url.json") is { } directUrl)
            {
                try
                {
                    using var doc = JsonDocument.Parse(directUrl);
                    url = doc.RootElement.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
                    var editable = doc.RootElement.TryGetProperty("dir_info", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("editable", out var e) && e.ValueKind == JsonValueKind.True;
                    origin = editable ? "editable" : doc.RootElement.TryGetProperty("vcs_info", out _) ? "vcs" : url?.StartsWith("file:", StringComparison.OrdinalIgnoreCase) == true ? "path" : "url";
                }
                catch (JsonException)
                {
                    issues.Add(new EnvironmentIssue("unreadable", name, $"{meta}/direct_url.json", "direct_url.json is not valid JSON"));
                }
            }

            if (origin != "index")
            {
                issues.Add(new EnvironmentIssue("local-build", name, meta, $"{name} {version} was installed from {url ?? origin} ({origin}), not from a package index: no index has these exact files, so advisories and hashes cannot vouch for it"));
            }
            else if (version?.Contains('+', StringComparison.Ordinal) == true)
            {
                issues.Add(new EnvironmentIssue("local-build", name, meta, $"{name} {version} carries a local version label: a local or vendor build that no public index serves"));
            }

            installed.Add(new Dependency(name, version, version is null ? null : "==" + version, source, 0, "installed", [], origin, url));
            if (!isDist)
            {
                continue; // egg-info lists installed files without hashes: nothing to verify
            }

            var record = ReadText(tree, $"{meta}/RECORD");
            if (record is null)
            {
                issues.Add(new EnvironmentIssue("no-record", name, $"{meta}/RECORD", $"{name} has no RECORD: its installed files cannot be verified"));
                continue;
            }

            var lineNumber = 0;
            foreach (var line in record.Split('\n'))
            {
                lineNumber++;
                if (line.Trim().Length == 0)
                {
                    continue;
                }

                var fields = SplitCsv(line.TrimEnd('\r'));
                var rel = NormalizeRelative(fields[0]);
                if (rel is null)
                {
                    continue; // outside this folder (scripts in ../../../bin): not verifiable from here
                }

                owned.Add(rel);
                var top = rel.Split('/')[0];
                if (rel.Contains('/', StringComparison.Ordinal) && !top.EndsWith(".dist-info", StringComparison.OrdinalIgnoreCase) && top != "__pycache__")
                {
                    packageFolders.TryAdd(top, name);
                }

                var hash = fields.Count > 1 ? fields[1] : "";
                if (hash.Length == 0)
                {
                    continue;
                }

                if (!tree.Files.TryGetValue(rel, out var length))
                {
                    var owner = dpkg?.Find(rel);
                    if (owner is { Md5: null })
                    {
                        continue; // dpkg installed it as a link (Debian points vendored files at system copies)
                    }

                    if (owner is null && dpkg?.Find($"{meta}/RECORD") is { } recordOwner)
                    {
                        // The system package that installed this RECORD never installed that file (Debian leaves out
                        // scripts and licence files): nothing was removed after installation.
                        notShipped++;
                        dpkgPackages.Add(recordOwner.Package);
                        continue;
                    }

                    issues.Add(new EnvironmentIssue("missing", name, rel, $"{rel} is listed in {name}'s RECORD but is not installed", lineNumber));
                    continue;
                }

                var eq = hash.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0 || !hash[..eq].Equals("sha256", StringComparison.OrdinalIgnoreCase))
                {
                    issues.Add(new EnvironmentIssue("unreadable", name, rel, $"{name}'s RECORD gives '{hash}' for {rel}: only sha256 is verified", lineNumber));
                    continue;
                }

                if (fields.Count > 2 && long.TryParse(fields[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) && size != length)
                {
                    if (!VouchedByDpkg(rel, out var sizeOwner))
                    {
                        issues.Add(new EnvironmentIssue("tampered", name, rel, $"{rel} has {length:N0} bytes but {name}'s RECORD says {size:N0}{Dpkg(sizeOwner)}: the installed file was changed", lineNumber));
                    }

                    continue;
                }

                if (length > MaxHashedFileBytes)
                {
                    issues.Add(new EnvironmentIssue("unreadable", name, rel, $"{rel} is larger than {MaxHashedFileBytes:N0} bytes and was not hashed", lineNumber));
                    continue;
                }

                string actual;
                using (var stream = tree.OpenRead(rel))
                {
                    actual = Convert.ToBase64String(SHA256.HashData(stream)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
                }

                verified++;
                if (!string.Equals(actual, hash[(eq + 1)..].TrimEnd('='), StringComparison.Ordinal) && !VouchedByDpkg(rel, out var hashOwner))
                {
                    issues.Add(new EnvironmentIssue("tampered", name, rel, $"{rel} does not match the sha256 in {name}'s RECORD{Dpkg(hashOwner)}: the installed file was changed after installation", lineNumber));
                }
            }
        }

        // Files inside a package's own folders that no RECORD lists (compiled caches excepted).
        foreach (var file in tree.Files.Keys.Order(StringComparer.Ordinal))
        {
            var top = file.Split('/')[0];
            if (!file.Contains('/', StringComparison.Ordinal) || owned.Contains(file) || !packageFolders.TryGetValue(top, out var package)
                || file.Contains("/__pycache__/", StringComparison.Ordinal) || file.EndsWith(".pyc", StringComparison.Ordinal))
            {
                continue;
            }

            if (VouchedByDpkg(file, out var owner))
            {
                continue; // the system package added it, and it is as dpkg installed it
            }

            issues.Add(owner is { Md5: not null }
                ? new EnvironmentIssue("tampered", package, file, $"{file} lies in {package}'s folder, its RECORD does not list it{Dpkg(owner)}: the installed file was changed")
                : new EnvironmentIssue("unlisted", package, file, $"{file} lies in {package}'s folder but its RECORD does not list it: added after installation"));
        }

        foreach (var pth in tree.Files.Keys.Where(f => !f.Contains('/', StringComparison.Ordinal) && f.EndsWith(".pth", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal))
        {
            var text = ReadText(tree, pth) ?? "";
            var n = 0;
            foreach (var line in text.Split('\n'))
            {
                n++;
                if (line.StartsWith("import ", StringComparison.Ordinal) || line.StartsWith("import\t", StringComparison.Ordinal))
                {
                    var shown = line.TrimEnd('\r');
                    shown = shown.Length > 160 ? shown[..157] + "..." : shown;
                    issues.Add(new EnvironmentIssue("pth-import", owned.Contains(pth) ? "" : "(no package)", pth, $"{pth} line {n} runs code at every Python start-up: {shown}", n));
                }
            }
        }

        foreach (var problem in dpkg?.Problems ?? [])
        {
            issues.Add(new EnvironmentIssue("unreadable", "", DpkgFiles.InfoPath, problem));
        }

        return new EnvironmentReport(installed.ToImmutable(), issues.ToImmutable(), verified) { FilesVerifiedByDpkg = byDpkg, FilesNotShippedByDpkg = notShipped, DpkgPackages = [.. dpkgPackages] };
    }

    // "../" segments that stay inside, or leave: null when the path leaves the folder or is absolute.
    private static string? NormalizeRelative(string path)
    {
        if (path.StartsWith('/') || path.Contains(':', StringComparison.Ordinal))
        {
            return null;
        }

        var stack = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (stack.Count == 0)
                {
                    return null;
                }

                stack.RemoveAt(stack.Count - 1);
                continue;
            }

            stack.Add(part);
        }

        return stack.Count == 0 ? null : string.Join('/', stack);
    }

    // RECORD is CSV: fields may be quoted with "" escapes.
    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var b = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    b.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    b.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(b.ToString());
                b.Clear();
            }
            else
            {
                b.Append(c);
            }
        }

        fields.Add(b.ToString());
        return fields;
    }

    private static string? ReadText(IFileTree tree, string rel)
    {
        if (!tree.Files.TryGetValue(rel, out var length) || length > MaxMetadataBytes)
        {
            return null;
        }

        using var stream = tree.OpenRead(rel);
        return BoundedFile.Decode(BoundedFile.ReadAll(stream, rel, MaxMetadataBytes));
    }

    // RFC 822-style headers of METADATA / PKG-INFO, up to the first blank line; keys lower-cased.
    private static Dictionary<string, string> ReadHeaders(IFileTree tree, string rel)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in (ReadText(tree, rel) ?? "").Split('\n'))
        {
            var l = line.TrimEnd('\r');
            if (l.Length == 0)
            {
                break;
            }

            var colon = l.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && !char.IsWhiteSpace(l[0]))
            {
                headers.TryAdd(l[..colon].Trim().ToLowerInvariant(), l[(colon + 1)..].Trim());
            }
        }

        return headers;
    }
}
