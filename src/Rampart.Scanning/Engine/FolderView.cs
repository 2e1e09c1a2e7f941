using Rampart.Scanning.IO;

namespace Rampart.Scanning.Engine;

/// <summary>A regular file below a <see cref="FolderView"/>, with its path relative to that folder ('/'-separated).</summary>
public sealed record FolderFile(string RelativePath, string FullPath, string DisplayPath, long Length)
{
    /// <summary>The last path segment.</summary>
    public string Name => RelativePath[(RelativePath.LastIndexOf('/') + 1)..];
}

/// <summary>
/// One folder the walker visited, as a folder analyzer sees it: its regular files (directly in it and below it),
/// the names of its direct subfolders, and safe ways to read a file. Only regular files found by the walker are
/// listed, so a folder analyzer never opens a FIFO or device and never follows a link out of the scanned tree.
/// </summary>
public sealed class FolderView
{
    private readonly Lazy<Dictionary<string, FolderFile>> _byPath;
    private readonly Lazy<IReadOnlyList<FolderFile>> _files;

    public FolderView(string fullPath, string displayPath, bool isScanTarget, IReadOnlyList<FolderFile> allFiles, IReadOnlyList<string> subfolders, bool isSingleFile = false)
    {
        ArgumentNullException.ThrowIfNull(allFiles);
        ArgumentNullException.ThrowIfNull(subfolders);
        FullPath = fullPath;
        DisplayPath = displayPath;
        IsScanTarget = isScanTarget;
        IsSingleFile = isSingleFile;
        AllFiles = allFiles;
        Subfolders = subfolders;
        // Built on first use: most folders are looked at by name only, and most analyzers never ask.
        _files = new(() => [.. allFiles.Where(f => !f.RelativePath.Contains('/', StringComparison.Ordinal))]);
        _byPath = new(() => allFiles.ToDictionary(f => f.RelativePath, StringComparer.Ordinal));
    }

    /// <summary>The folder on disk.</summary>
    public string FullPath { get; }

    /// <summary>The folder as the report shows it ("models/bert").</summary>
    public string DisplayPath { get; }

    /// <summary>True for a folder named on the command line (not one found inside it).</summary>
    public bool IsScanTarget { get; }

    /// <summary>
    /// True for a file named on the command line, seen as a one-file view: <see cref="FullPath"/> is the file, and
    /// <see cref="Files"/> holds just it, under its name. Only analyzers with
    /// <see cref="IFolderAnalyzer.AcceptsSingleFileTargets"/> are given such views.
    /// </summary>
    public bool IsSingleFile { get; }

    /// <summary>Regular files directly in this folder, in ordinal order.</summary>
    public IReadOnlyList<FolderFile> Files => _files.Value;

    /// <summary>Regular files in this folder and every folder below it, in ordinal order of their relative path.</summary>
    public IReadOnlyList<FolderFile> AllFiles { get; }

    /// <summary>Names of the direct subfolders (symbolic links to folders are not listed: they are not followed).</summary>
    public IReadOnlyList<string> Subfolders { get; }

    /// <summary>The listed file at <paramref name="relativePath"/> ('/'-separated), or null.</summary>
    public FolderFile? Find(string relativePath) =>
        _byPath.Value.GetValueOrDefault(relativePath.Replace('\\', '/'));

    /// <summary>Opens a listed file for reading. Paths not listed (outside the folder, not regular files) throw.</summary>
    public Stream OpenRead(string relativePath)
    {
        var file = Find(relativePath) ?? throw new FileNotFoundException($"'{relativePath}' is not a regular file of {DisplayPath}");
        return new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
    }

    /// <summary>Reads a small listed file whole; one longer than <paramref name="maxBytes"/> throws <see cref="LimitExceededException"/>.</summary>
    public async ValueTask<byte[]> ReadAllBytesAsync(string relativePath, long maxBytes, CancellationToken cancellationToken)
    {
        var file = Find(relativePath) ?? throw new FileNotFoundException($"'{relativePath}' is not a regular file of {DisplayPath}");
        if (file.Length > maxBytes)
        {
            throw new LimitExceededException("max-folder-file-bytes", $"{file.DisplayPath} has {file.Length:N0} bytes, more than the {maxBytes:N0} read whole");
        }

        var stream = OpenRead(relativePath);
        await using (stream.ConfigureAwait(false))
        {
            var bounded = new BoundedReadStream(stream, maxBytes, "max-folder-file-bytes");
            using var copy = new MemoryStream();
            await bounded.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            return copy.ToArray();
        }
    }
}
