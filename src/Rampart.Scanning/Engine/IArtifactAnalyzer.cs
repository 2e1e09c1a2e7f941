namespace Rampart.Scanning.Engine;

/// <summary>
/// Understands one format. Implementations are stateless and thread-safe; everything about one run lives in the
/// <see cref="AnalysisContext"/>. They must not throw for malformed input: report it through
/// <see cref="AnalysisResult.Inconclusive"/> (the engine also turns stray exceptions into Inconclusive, but that is
/// a bug in the analyzer and says so).
/// </summary>
public interface IArtifactAnalyzer
{
    /// <summary>Stable id, used in reports ("pickle", "zip", "pytorch", ...).</summary>
    string Id { get; }

    /// <summary>Bumped when the analyzer's judgements change, so that cached results can be invalidated.</summary>
    int Version { get; }

    /// <summary>Cheap content check on <see cref="Artifact.Head"/> / <see cref="Artifact.Tail"/>; no I/O.</summary>
    bool CanAnalyze(Artifact artifact);

    ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken);
}
