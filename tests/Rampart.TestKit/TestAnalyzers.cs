using System.Text;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.TestKit;

/// <summary>Analyzers that misbehave on purpose, to test that the engine contains them.</summary>
public static class TestAnalyzers
{
    private static bool StartsWith(Artifact artifact, string magic) =>
        artifact.Head.Span.StartsWith(Encoding.ASCII.GetBytes(magic));

    /// <summary>Throws an unexpected exception: the engine must report RAMP-GEN-004, not crash.</summary>
    public sealed class ThrowingAnalyzer : IArtifactAnalyzer
    {
        public const string Magic = "RAMPART-THROW";

        public string Id => "test-throwing";

        public bool CanAnalyze(Artifact artifact) => StartsWith(artifact, Magic);

        public ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("deliberate failure");
    }

    /// <summary>Throws LimitExceededException: the engine must report RAMP-GEN-002 with the limit's name.</summary>
    public sealed class LimitAnalyzer : IArtifactAnalyzer
    {
        public const string Magic = "RAMPART-LIMIT";

        public string Id => "test-limit";

        public bool CanAnalyze(Artifact artifact) => StartsWith(artifact, Magic);

        public ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken) =>
            throw new LimitExceededException("max-test-units", "the test limit was reached");
    }

    /// <summary>Never finishes until cancelled: the engine's per-file time limit must stop it.</summary>
    public sealed class HangingAnalyzer : IArtifactAnalyzer
    {
        public const string Magic = "RAMPART-HANG";

        public string Id => "test-hang";

        public bool CanAnalyze(Artifact artifact) => StartsWith(artifact, Magic);

        public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            return new AnalysisResult(Id, artifact, context);
        }
    }

    /// <summary>Wraps its whole content in a child, forever: the engine's depth limit must stop it.</summary>
    public sealed class RecursiveAnalyzer : IArtifactAnalyzer
    {
        public const string Magic = "RAMPART-NEST";

        public string Id => "test-nest";

        public bool CanAnalyze(Artifact artifact) => StartsWith(artifact, Magic);

        public ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
        {
            var result = new AnalysisResult(Id, artifact, context);
            result.AddChild(ArtifactFactory.FromBytes(artifact.Path + "!/inner", artifact, artifact.Head));
            return ValueTask.FromResult(result);
        }
    }
}
