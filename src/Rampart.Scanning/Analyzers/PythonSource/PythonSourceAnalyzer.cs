using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.PythonSource;

/// <summary>
/// Python source files (.py, .pyw, or a python shebang): parses them with the tolerant parser and runs the code
/// rules (rules/code/*.json). Findings carry the exact line and column. The number of statements the parser could
/// not read is a fact (python.parse-errors), not a finding: the rules still run on everything else.
/// </summary>
internal sealed class PythonSourceAnalyzer : IArtifactAnalyzer
{
    /// <summary>Source files larger than this are not parsed (limit reached, Inconclusive).</summary>
    public const int MaxSourceBytes = 8 * 1024 * 1024;

    public string Id => "python";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var head = artifact.Head.Span;
        if (head.IndexOf((byte)0) >= 0)
        {
            return false;
        }

        var name = artifact.Name;
        if (TorchScript.TorchScriptCodeAnalyzer.IsCodeMember(artifact))
        {
            return false;
        }

        if (name.EndsWith(".py", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".pyw", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (head.StartsWith("#!"u8))
        {
            var end = head.IndexOf((byte)'\n');
            var first = head[..(end < 0 ? head.Length : end)];
            return first.IndexOf("python"u8) >= 0;
        }

        return false;
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var bytes = await ReadAllAsync(artifact, result, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return result;
        }

        var text = PySourceDecoder.Decode(bytes, out var encoding, out var problem);
        result.SetFact("encoding", encoding);
        if (problem is not null)
        {
            result.SetFact("encoding-problem", problem);
        }

        var review = PythonRules.Run(text, CodePatterns.Default, context.Policy, artifact.Path, cancellationToken);
        result.SetFact("parse-errors", review.ParseErrors);
        result.SetFact("lines", text.Count(c => c == '\n') + 1);
        if (review.DepthLimitReached)
        {
            result.LimitReached("max-syntax-depth", $"code nested deeper than {PyParser.MaxDepth} levels was not read");
        }

        if (review.SecretSearchStopped is { } stopped)
        {
            result.LimitReached("pattern-match-time", $"the search for secrets stopped: {stopped}");
        }

        foreach (var hit in review.Hits)
        {
            result.Report(hit.Rule, hit.Message, new FindingLocation(Line: hit.Line, Column: hit.Column), hit.Properties);
        }

        return result;
    }

    /// <summary>The whole artifact, or null (with a limit finding) when it is larger than <paramref name="max"/>.</summary>
    internal static async ValueTask<byte[]?> ReadAllAsync(Artifact artifact, AnalysisResult result, CancellationToken cancellationToken, int max = MaxSourceBytes)
    {
        ArgumentNullException.ThrowIfNull(result);
        try
        {
            return (await ArtifactBytes.ReadAllAsync(artifact, max, "max-source-bytes", cancellationToken).ConfigureAwait(false)).ToArray();
        }
        catch (LimitExceededException e)
        {
            result.LimitReached(e.LimitName, e.Message);
            return null;
        }
    }
}
