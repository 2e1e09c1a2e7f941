using System.Globalization;
using System.Text;
using Rampart.Core;
using Rampart.Scanning.Engine;

namespace Rampart.Scanning.Analyzers.HuggingFace;

/// <summary>
/// Git LFS pointer files: the small text stand-ins a clone without LFS (or a broken download) leaves where a model
/// file should be. Recognised by content (the spec line), parsed for the object id and size, and reported
/// Inconclusive: the real file was never scanned.
/// </summary>
internal sealed class LfsPointerAnalyzer : IArtifactAnalyzer
{
    public const string UnresolvedPointer = "RAMP-HF-004";

    /// <summary>Git LFS itself refuses pointers larger than this.</summary>
    public const int MaxPointerBytes = 1024;

    private static readonly byte[] Spec = "version https://git-lfs.github.com/spec/"u8.ToArray();
    private static readonly byte[] OldSpec = "version https://hawser.github.com/spec/"u8.ToArray();

    public string Id => "lfs-pointer";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var head = artifact.Head.Span;
        return artifact.Length is <= MaxPointerBytes && (head.StartsWith(Spec) || head.StartsWith(OldSpec));
    }

    public ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var text = Encoding.UTF8.GetString(artifact.Head.Span);
        string? oid = null;
        long? size = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0)
            {
                continue;
            }

            var key = line[..space];
            var value = line[(space + 1)..].Trim();
            if (key == "oid")
            {
                oid = value;
            }
            else if (key == "size" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s))
            {
                size = s;
            }
        }

        var version = text.Split('\n')[0]["version ".Length..].Trim();
        result.SetFact("spec", version);
        if (oid is not null)
        {
            result.SetFact("oid", oid);
        }

        if (size is { } n)
        {
            result.SetFact("size", n);
        }

        var described = oid is null || size is null
            ? "a Git LFS pointer (without a complete oid/size)"
            : $"a Git LFS pointer to {oid} ({size:N0} bytes)";
        result.Report(UnresolvedPointer,
            $"'{artifact.Name}' is {described}, not the file itself: the content was never downloaded, so Rampart could not scan it and a loader will fail or fetch it later",
            FindingLocation.AtOffset(0), [new("name", artifact.Name), new("oid", oid ?? string.Empty)]);
        return ValueTask.FromResult(result);
    }
}
