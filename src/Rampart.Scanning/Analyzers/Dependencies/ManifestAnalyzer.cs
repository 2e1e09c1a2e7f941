using Rampart.Core;
using Rampart.Dependencies.Manifests;
using Rampart.Dependencies.Signals;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Dependencies;

/// <summary>
/// Python manifests and lockfiles (requirements*.txt, Pipfile.lock, poetry.lock, pdm.lock, uv.lock, pylock.toml,
/// pyproject.toml, environment.yml): selected by file name, confirmed by content (text, and the format's first
/// token), read by Rampart.Dependencies, and audited: advisories, typosquats, dependency confusion, pins.
/// </summary>
internal sealed class ManifestAnalyzer : IArtifactAnalyzer
{
    public string Id => "python-manifest";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        if (IsPathConfiguration(artifact))
        {
            return true;
        }

        if (ManifestReader.FormatOf(artifact.Name) is not { } format)
        {
            return false;
        }

        var head = artifact.Head.Span;
        if (head.IsEmpty || head.Contains((byte)0))
        {
            return false; // a binary file wearing a manifest's name is not one
        }

        var text = head.TrimStart(" \t\r\n\uFEFF"u8);
        if (text.StartsWith("\uFEFF"u8))
        {
            text = text[3..];
        }

        return format switch
        {
            ManifestFormat.PipfileLock => text.StartsWith("{"u8),
            ManifestFormat.CondaEnvironment => head.IndexOf("dependencies"u8) >= 0,
            ManifestFormat.Requirements => true,
            _ => text.Length > 0 && (text[0] is (byte)'[' or (byte)'#' || head.IndexOf((byte)'=') >= 0),
        };
    }

    // A site "path configuration" file: a .pth that is short text (a PyTorch checkpoint named .pth is a zip or a
    // pickle and is left to those analyzers). Claiming it keeps it from being taken for an unknown model file.
    private static bool IsPathConfiguration(Artifact artifact)
    {
        if (!artifact.Name.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) || !artifact.HeadIsComplete)
        {
            return false;
        }

        var head = artifact.Head.Span;
        foreach (var b in head)
        {
            if (b < 0x20 && b is not ((byte)'\n' or (byte)'\r' or (byte)'\t'))
            {
                return false;
            }
        }

        return System.Text.Unicode.Utf8.IsValid(head);
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        if (IsPathConfiguration(artifact))
        {
            // Judged with its folder by python-environment (Python runs .pth import lines only from site folders).
            result.SetFact("format", "pth");
            return result;
        }

        var format = ManifestReader.FormatOf(artifact.Name)!.Value;
        if (artifact.Length > ManifestReader.MaxFileBytes)
        {
            result.LimitReached("max-manifest-bytes", $"{artifact.Length:N0} bytes is more than the {ManifestReader.MaxFileBytes:N0} a manifest may have");
            return result;
        }

        byte[] bytes;
        var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var copy = new MemoryStream();
            await new BoundedReadStream(stream, ManifestReader.MaxFileBytes, "the manifest").CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            bytes = copy.ToArray();
        }

        // The content always comes from the artifact; for a requirements file on disk, its -r/-c includes are
        // followed from its folder, never above it.
        var manifest = format == ManifestFormat.Requirements && artifact.Parent is null && File.Exists(artifact.Path)
            ? RequirementsReader.ReadText(System.Text.Encoding.UTF8.GetString(bytes), artifact.Path, artifact.Path)
            : ManifestReader.Read(format, bytes, artifact.Path);

        result.SetFact("format", manifest.Format);
        result.SetFact("packages", manifest.Dependencies.Length);
        result.SetFact("pinned", manifest.Dependencies.Count(d => d.IsPinned));
        foreach (var problem in manifest.Problems)
        {
            // A problem in an included file names that file; its line is then the included file's line.
            var own = problem.Source == artifact.Path;
            result.Inconclusive(own ? problem.Message : problem.ToString(),
                problem.Line > 0 ? new FindingLocation(Line: problem.Line, Detail: own ? null : problem.Source) : own ? null : new FindingLocation(Detail: problem.Source));
        }

        var (database, error) = DependencyRules.Database(context.Policy);
        result.SetFact("advisories", database is null ? "not checked" : "checked");
        var issues = DependencyAudit.Check(manifest, artifact.Path, context.Policy, database);
        DependencyRules.Report(result, issues, error, manifest.Dependencies.Any(d => d.IsPinned && d.Ecosystem == "PyPI"));
        return result;
    }
}
