using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;

namespace Rampart.Integrity.Hashing;

/// <summary>
/// Hashes a model file or folder into a <see cref="ModelManifest"/> exactly as the reference <c>model_signing</c>
/// serializers do (docs/integrity.md): every regular file below the model, hidden ones included, names relative to
/// the model in POSIX form ("." for a single-file model), ignored paths matched by whole leading components, a
/// symbolic link an error unless allowed (then a link to a file is hashed as that file and a link to a folder is not
/// descended, as Python's recursive glob does), empty files have no shards. Files and shards are hashed on every
/// core, largest first, each worker streaming through one pooled buffer, so memory stays flat whatever the size.
/// </summary>
public static class ModelHasher
{
    /// <summary>Bytes read per call; large sequential reads keep the per-call cost negligible next to SHA-256.</summary>
    internal const int ReadSize = 1 << 20;

    public static Task<ModelManifest> HashAsync(string modelPath, HashingOptions options, CancellationToken cancellationToken) =>
        Task.Run(() => Hash(modelPath, options, cancellationToken), cancellationToken);

    public static ModelManifest Hash(string modelPath, HashingOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(options);
        if (!string.Equals(options.HashType, "sha256", StringComparison.Ordinal))
        {
            throw new IntegrityException($"hash type '{options.HashType}' is not supported (Rampart computes sha256 only)");
        }

        if (options.Method == SerializationMethod.Shards && options.ShardSize <= 0)
        {
            throw new IntegrityException($"the shard size must be a positive number of bytes (got {options.ShardSize})");
        }

        var ignore = RecordedIgnorePaths(options);
        var files = Enumerate(modelPath, ignore, options.AllowSymlinks, options.IsRegularFile, cancellationToken);
        return HashListed(ModelName(modelPath), files, options, cancellationToken);
    }

    /// <summary>
    /// Hashes files someone else listed (the scan's folder view, which never follows links): names are relative
    /// '/'-separated paths, ignored paths are left out here, the rest as <see cref="Hash"/>.
    /// </summary>
    public static ModelManifest HashListed(
        string modelName, IEnumerable<(string Name, string FullPath, long Length)> listed, HashingOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listed);
        ArgumentNullException.ThrowIfNull(options);
        if (!string.Equals(options.HashType, "sha256", StringComparison.Ordinal))
        {
            throw new IntegrityException($"hash type '{options.HashType}' is not supported (Rampart computes sha256 only)");
        }

        var ignore = RecordedIgnorePaths(options);
        var files = listed.Where(f => !IsIgnored(f.Name, ignore)).ToList();
        var work = new List<WorkItem>();
        foreach (var (name, fullPath, length) in files)
        {
            if (options.Method == SerializationMethod.Files)
            {
                work.Add(new WorkItem(name, fullPath, 0, long.MaxValue, length));
                continue;
            }

            for (long start = 0; start < length; start += options.ShardSize)
            {
                var end = Math.Min(length, start + options.ShardSize);
                work.Add(new WorkItem(string.Create(CultureInfo.InvariantCulture, $"{name}:{start}:{end}"), fullPath, start, end, end - start));
            }
        }

        var algorithm = options.Method == SerializationMethod.Files
            ? options.HashType
            : string.Create(CultureInfo.InvariantCulture, $"{options.HashType}-sharded-{options.ShardSize}");
        var results = new ConcurrentBag<ResourceDigest>();
        var parallel = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = options.MaxParallelism > 0 ? options.MaxParallelism : Environment.ProcessorCount,
        };
        try
        {
            Parallel.ForEach(work.OrderByDescending(w => w.Size), parallel, item =>
                results.Add(new ResourceDigest(item.Name, algorithm, HashRange(item.FullPath, item.Start, item.End, cancellationToken))));
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is IntegrityException or OperationCanceledException))
        {
            throw e.InnerExceptions.OfType<OperationCanceledException>().FirstOrDefault() as Exception ?? e.InnerExceptions[0];
        }

        var comparer = ResourceNameComparer.For(options.Method);
        var resources = results.OrderBy(r => r.Name, comparer).ToImmutableArray();
        return new ModelManifest(
            modelName,
            resources,
            new SerializationDescription(
                options.Method,
                options.HashType,
                options.AllowSymlinks,
                options.Method == SerializationMethod.Shards ? options.ShardSize : null,
                ignore));
    }

    /// <summary>The model's name as the subject records it: the last component of the path.</summary>
    public static string ModelName(string modelPath)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath));
        var name = Path.GetFileName(full);
        return string.IsNullOrEmpty(name) ? full : name;
    }

    /// <summary>
    /// Normalises one ignore path to the form the predicate records ("a/b": no "./", no trailing '/').
    /// Returns null for a path that leaves the model (absolute or with "..").
    /// </summary>
    public static string? NormalizeIgnorePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var parts = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (path.StartsWith('/') || parts.Count == 0 || parts.Contains(".."))
        {
            return null;
        }

        return string.Join('/', parts);
    }

    /// <summary>The ignore list that is used and recorded: the given paths then the git paths (when on), once each.</summary>
    internal static ImmutableArray<string> RecordedIgnorePaths(HashingOptions options)
    {
        var list = new List<string>();
        foreach (var p in options.IgnorePaths.Concat(options.IgnoreGitPaths ? HashingOptions.GitPaths : []))
        {
            if (NormalizeIgnorePath(p) is { } n && !list.Contains(n, StringComparer.Ordinal))
            {
                list.Add(n);
            }
        }

        return [.. list];
    }

    internal static bool IsIgnored(string relative, IReadOnlyList<string> ignore)
    {
        foreach (var p in ignore)
        {
            if (relative.Length == p.Length ? string.Equals(relative, p, StringComparison.Ordinal)
                : relative.Length > p.Length && relative[p.Length] == '/' && relative.StartsWith(p, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static List<(string Name, string FullPath, long Length)> Enumerate(
        string modelPath, ImmutableArray<string> ignore, bool allowSymlinks, Func<string, bool>? isRegularFile, CancellationToken cancellationToken)
    {
        var root = new FileInfo(Path.GetFullPath(modelPath));
        var result = new List<(string, string, long)>();
        if (root.LinkTarget is not null && !allowSymlinks)
        {
            throw new IntegrityException($"'{modelPath}' is a symbolic link; use --allow-symlinks to follow it");
        }

        if (File.Exists(root.FullName))
        {
            result.Add((".", root.FullName, LengthOf(root.FullName, modelPath)));
            return result;
        }

        if (!Directory.Exists(root.FullName))
        {
            throw new IntegrityException($"'{modelPath}' is neither a file nor a folder (missing, special file or no permission)");
        }

        var pending = new Stack<(string Full, string Relative)>();
        pending.Push((root.FullName, ""));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (dir, relDir) = pending.Pop();
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(dir).EnumerateFileSystemInfos("*", new EnumerationOptions
                {
                    AttributesToSkip = 0,
                    IgnoreInaccessible = false,
                    RecurseSubdirectories = false,
                    ReturnSpecialDirectories = false,
                }).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IntegrityException($"cannot list '{dir}': {e.Message}");
            }

            foreach (var entry in entries)
            {
                var relative = relDir.Length == 0 ? entry.Name : relDir + "/" + entry.Name;
                if (IsIgnored(relative, ignore))
                {
                    continue;
                }

                var isLink = entry.LinkTarget is not null;
                if (isLink && !allowSymlinks)
                {
                    throw new IntegrityException($"'{relative}' is a symbolic link; use --allow-symlinks to include what it points to");
                }

                if (isLink)
                {
                    // Followed for a file; a link to a folder is not descended (the reference's glob does not either).
                    var target = entry.ResolveLinkTarget(returnFinalTarget: true);
                    if (target is FileInfo { Exists: true })
                    {
                        result.Add((relative, entry.FullName, LengthOf(entry.FullName, relative)));
                    }
                    else if (target is null || !target.Exists)
                    {
                        throw new IntegrityException($"'{relative}' is a broken symbolic link");
                    }

                    continue;
                }

                if (entry is DirectoryInfo)
                {
                    pending.Push((entry.FullName, relative));
                }
                else if ((entry.Attributes & FileAttributes.Device) == 0 && (isRegularFile?.Invoke(entry.FullName) ?? true))
                {
                    result.Add((relative, entry.FullName, ((FileInfo)entry).Length));
                }
                else
                {
                    throw new IntegrityException($"'{relative}' is not a regular file or folder (a pipe, socket or device)");
                }
            }
        }

        return result;
    }

    private static long LengthOf(string fullPath, string shown)
    {
        try
        {
            return new FileInfo(fullPath).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IntegrityException($"cannot read '{shown}': {e.Message}");
        }
    }

    /// <summary>SHA-256 of bytes [start, end) of a file (to its end when shorter), streamed through a pooled buffer.</summary>
    internal static ImmutableArray<byte> HashRange(string path, long start, long end, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var offset = start;
            while (offset < end)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var want = (int)Math.Min(ReadSize, end - offset);
                var read = RandomAccess.Read(handle, buffer.AsSpan(0, want), offset);
                if (read == 0)
                {
                    break;
                }

                hash.AppendData(buffer, 0, read);
                offset += read;
            }

            return ImmutableArray.Create(hash.GetHashAndReset());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IntegrityException($"cannot read '{path}': {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed record WorkItem(string Name, string FullPath, long Start, long End, long Size);
}
