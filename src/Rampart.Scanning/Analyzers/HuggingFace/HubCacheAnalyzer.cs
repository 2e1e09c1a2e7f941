using System.Text;
using Rampart.Scanning.Engine;

namespace Rampart.Scanning.Analyzers.HuggingFace;

/// <summary>
/// Names what a Hugging Face hub cache holds (<see cref="HubCacheLayout"/>): on a repository folder
/// (<c>models--org--name</c>) its type, id, revisions and refs; on a snapshot folder (<c>snapshots/REVISION</c>) the
/// repository id and revision, so each model in a scanned cache is reported by id and revision. The files are judged
/// by the file analyzers (each blob once, see <see cref="ArtifactWalker"/>); the model repository checks
/// (auto_map, mixed weights) run on each snapshot folder through <see cref="HuggingFaceFolderAnalyzer"/>.
/// </summary>
internal sealed class HubCacheAnalyzer : IFolderAnalyzer
{
    /// <summary>A ref file is a 40-character commit id; anything much longer is not one and is not read whole.</summary>
    public const int MaxRefBytes = 1024;

    public string Id => "huggingface-cache";

    public bool CanAnalyze(FolderView folder, AnalysisContext context)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return IsRepository(folder) || RevisionOf(folder.FullPath) is not null;
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(FolderView folder, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, folder, context);
        if (RevisionOf(folder.FullPath) is { } revision)
        {
            result.SetFact("repo_type", revision.Type);
            result.SetFact("repo_id", revision.Id);
            result.SetFact("revision", revision.Revision);
            result.SetFact("files", folder.AllFiles.Count);
            return result;
        }

        var (type, id) = HubCacheLayout.ParseFolderName(Path.GetFileName(folder.FullPath))!.Value;
        result.SetFact("repo_type", type);
        result.SetFact("repo_id", id);
        var revisions = folder.AllFiles
            .Where(f => f.RelativePath.StartsWith("snapshots/", StringComparison.Ordinal) && f.RelativePath.IndexOf('/', 10) > 10)
            .Select(f => f.RelativePath[10..f.RelativePath.IndexOf('/', 10)])
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        result.SetFact("revisions", string.Join(", ", revisions));
        var refs = new List<string>();
        foreach (var file in folder.AllFiles.Where(f => f.RelativePath.StartsWith("refs/", StringComparison.Ordinal)))
        {
            var bytes = await folder.ReadAllBytesAsync(file.RelativePath, MaxRefBytes, cancellationToken).ConfigureAwait(false);
            var commit = Encoding.UTF8.GetString(bytes).Trim();
            refs.Add($"{file.RelativePath[5..]}={commit}{(revisions.Contains(commit, StringComparer.Ordinal) ? "" : " (no snapshot)")}");
        }

        if (refs.Count > 0)
        {
            result.SetFact("refs", string.Join(", ", refs));
        }

        var unreached = folder.AllFiles.Count(f => f.RelativePath.StartsWith("blobs/", StringComparison.Ordinal));
        if (unreached > 0)
        {
            // Blobs no snapshot links to (an old revision whose snapshot was removed, an interrupted download) are
            // still scanned, under their own names.
            result.SetFact("blobs_without_snapshot", unreached);
        }

        return result;
    }

    private static bool IsRepository(FolderView folder) =>
        HubCacheLayout.ParseFolderName(Path.GetFileName(folder.FullPath)) is not null
        && folder.Subfolders.Contains("blobs", StringComparer.Ordinal)
        && folder.Subfolders.Contains("snapshots", StringComparer.Ordinal);

    /// <summary>For REPO/snapshots/REVISION of a cache repository: its type, id and revision.</summary>
    private static (string Type, string Id, string Revision)? RevisionOf(string fullPath)
    {
        var snapshots = Path.GetDirectoryName(fullPath);
        var repository = snapshots is null ? null : Path.GetDirectoryName(snapshots);
        if (repository is null || Path.GetFileName(snapshots) != "snapshots" || !HubCacheLayout.IsRepositoryFolder(repository))
        {
            return null;
        }

        var (type, id) = HubCacheLayout.ParseFolderName(Path.GetFileName(repository))!.Value;
        return (type, id, Path.GetFileName(fullPath));
    }
}
