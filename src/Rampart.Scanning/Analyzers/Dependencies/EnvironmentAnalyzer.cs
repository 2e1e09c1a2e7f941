using Rampart.Core;
using Rampart.Dependencies.Environments;
using Rampart.Dependencies.Manifests;
using Rampart.Dependencies.Signals;
using Rampart.Scanning.Engine;

namespace Rampart.Scanning.Analyzers.Dependencies;

/// <summary>
/// An installed Python environment: any folder holding *.dist-info or *.egg-info folders (a virtualenv's or a
/// container's site-packages). Verifies installed files against RECORD, flags .pth start-up hooks and packages that
/// came from no index, and audits the installed versions like a lockfile.
/// </summary>
internal sealed class EnvironmentAnalyzer : IFolderAnalyzer
{
    public string Id => "python-environment";

    public bool CanAnalyze(FolderView folder, AnalysisContext context)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return SitePackages.LooksLikeSitePackages(folder.Subfolders);
    }

    public ValueTask<AnalysisResult> AnalyzeAsync(FolderView folder, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, folder, context);
        var report = SitePackages.Inspect(new FolderTree(folder), cancellationToken);
        result.SetFact("packages", report.Installed.Length);
        result.SetFact("files_verified", report.FilesVerified);
        if (report.FilesVerifiedByDpkg > 0 || report.FilesNotShippedByDpkg > 0)
        {
            // Distributions change files after the wheel's RECORD was written; dpkg's records vouch for them instead.
            result.SetFact("files_verified_by_dpkg", report.FilesVerifiedByDpkg);
            result.SetFact("record_files_not_shipped_by_dpkg", report.FilesNotShippedByDpkg);
            result.SetFact("dpkg_packages", string.Join(",", report.DpkgPackages));
        }

        foreach (var issue in report.Issues)
        {
            var (rule, severity) = issue.Kind switch
            {
                "tampered" => (DependencyRules.Tampered, (Severity?)null),
                "missing" => (DependencyRules.Missing, null),
                "unlisted" => (DependencyRules.Unlisted, issue.Path.EndsWith(".py", StringComparison.Ordinal) || issue.Path.EndsWith(".so", StringComparison.Ordinal) ? Severity.High : null),
                "pth-import" => (DependencyRules.PthHook, null),
                "local-build" => (DependencyRules.NotFromIndex, null),
                _ => (Engine.RuleIds.ParseError, null),
            };
            var location = issue.Line > 0 ? new FindingLocation(Line: issue.Line, Detail: issue.Path) : new FindingLocation(Detail: issue.Path);
            result.Report(rule, issue.Message, location, [new("name", issue.Path), new("package", issue.Package)], severity);
        }

        var manifest = new ManifestResult("environment", report.Installed, [], []);
        var (database, error) = DependencyRules.Database(context.Policy);
        result.SetFact("advisories", database is null ? "not checked" : "checked");
        // Installed packages are never "unpinned": pins apply to manifests.
        var issues = DependencyAudit.Check(manifest, folder.DisplayPath, context.Policy with { RequirePins = [] }, database);
        DependencyRules.Report(result, issues, error, report.Installed.Any(d => d.IsPinned));
        return ValueTask.FromResult(result);
    }

    private sealed class FolderTree(FolderView folder) : IFileTree
    {
        public IReadOnlyDictionary<string, long> Files { get; } = folder.AllFiles.ToDictionary(f => f.RelativePath, f => f.Length, StringComparer.Ordinal);

        public string DisplayPath => folder.DisplayPath;

        public string? FullPath => folder.FullPath;

        public Stream OpenRead(string relativePath) => folder.OpenRead(relativePath);
    }
}
