namespace Rampart.Scanning.Engine;

/// <summary>
/// Judges a folder as a whole, where the meaning lies between files rather than inside one: a model repository
/// downloaded from a hub (config.json naming Python files), an installed Python environment (RECORD files listing
/// hashes of their siblings), a signed model folder (model.sig over every file). Runs once for every folder the
/// walker visits, in addition to (never instead of) the per-file analyzers. Implementations are stateless and
/// thread-safe, read only files listed in the <see cref="FolderView"/>, and report through an
/// <see cref="AnalysisResult"/> made with <c>new AnalysisResult(Id, folder, context)</c>.
/// </summary>
public interface IFolderAnalyzer
{
    string Id { get; }

    /// <summary>
    /// True when the analyzer also wants a file named on the command line, seen as a one-file view
    /// (<see cref="FolderView.IsSingleFile"/>): a signature requirement applies to a lone model file as much as
    /// to a folder. False by default.
    /// </summary>
    bool AcceptsSingleFileTargets => false;

    /// <summary>A cheap check on names only (and on the policy, for checks the policy switches on).</summary>
    bool CanAnalyze(FolderView folder, AnalysisContext context);

    ValueTask<AnalysisResult> AnalyzeAsync(FolderView folder, AnalysisContext context, CancellationToken cancellationToken);
}
