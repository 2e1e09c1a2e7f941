namespace Rampart.Scanning.Engine;

/// <summary>
/// Understands one format. Implementations are stateless and thread-safe; everything about one run lives in the
/// <see cref="AnalysisContext"/>. Malformed input is reported through <see cref="AnalysisResult.Inconclusive"/> or
/// thrown as a <see cref="IO.MalformedContentException"/> (the base of every format reader's exception); the engine's
/// one catch ladder (<see cref="AnalyzerFailures"/>) judges what escapes the same way for file and folder analyzers,
/// and calls any other exception a Rampart bug.
/// </summary>
public interface IArtifactAnalyzer
{
    /// <summary>Stable id, used in reports ("pickle", "zip", "pytorch", ...).</summary>
    string Id { get; }

    /// <summary>Cheap content check on <see cref="Artifact.Head"/> / <see cref="Artifact.Tail"/>; no I/O.</summary>
    bool CanAnalyze(Artifact artifact);

    ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken);
}
