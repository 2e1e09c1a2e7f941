using System.Collections.Immutable;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Rules;
using Rampart.Dependencies.Manifests;
using Rampart.Dependencies.Osv;

namespace Rampart.Dependencies.Signals;

/// <summary>One thing the audit found about one dependency (or one manifest); the engine adapter makes it a finding.</summary>
/// <remarks>Kind: "advisory", "typosquat", "confusion", "extra-index", "unpinned", "not-audited".</remarks>
public sealed record AuditIssue(string Kind, Dependency? Dependency, string Name, string Message, AdvisoryMatch? Advisory = null, Severity? Severity = null);

/// <summary>
/// The checks that apply to any list of dependencies, whatever file they came from: known advisories (offline
/// database), names imitating popular ML packages, internal names that could be pulled from a public index
/// (dependency confusion), mixed indexes, and unpinned requirements where the policy demands pins.
/// </summary>
public static class DependencyAudit
{
    public static ImmutableArray<AuditIssue> Check(ManifestResult manifest, string manifestPath, ScanPolicy policy, OsvDatabase? database, Typosquat? typosquat = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(policy);
        typosquat ??= Typosquat.Default;
        var issues = ImmutableArray.CreateBuilder<AuditIssue>();
        var requirePins = policy.RequirePins.Any(g => PathGlob.IsMatch(g, manifestPath));
        var indexUrl = manifest.IndexUrls;
        var internalIndexPinned = indexUrl.Any(u => policy.InternalIndexes.Any(i => u.StartsWith(i, StringComparison.OrdinalIgnoreCase)));
        var notAudited = 0;
        var target = MarkerEnvironment.From(policy.TargetEnvironment);
        var notForTarget = new List<Dependency>();
        foreach (var extra in ExtraIndexes(manifest))
        {
            issues.Add(new AuditIssue("extra-index", null, extra,
                $"--extra-index-url {extra}: pip searches this index and PyPI together and installs the highest version found on either, so a package name published on both resolves to whoever published the higher number"));
        }

        foreach (var d in manifest.Dependencies)
        {
            if (d.Ecosystem != "PyPI")
            {
                notAudited++;
                continue;
            }

            // A pin whose marker the target environment decides false is not installed there: its name is still judged
            // (typosquat, confusion), its version is not. Undecided markers (no target, or a variable it leaves open)
            // are audited: every branch of a lockfile counts until the target rules one out.
            var forTarget = d.Marker is not { } marker || !EnvironmentMarker.TryParse(marker, out var parsed, out _) || parsed.Evaluate(target) != false;
            if (!forTarget)
            {
                notForTarget.Add(d);
            }

            if (typosquat.Check(d.Name) is { } squat)
            {
                issues.Add(new AuditIssue("typosquat", d, d.NormalizedName,
                    $"'{d.Name}' looks like the popular package '{squat.Target}' ({squat.How}); check that it is the package you meant"));
            }

            if (policy.InternalPackages.Any(p => new NamePattern(p).IsMatch(d.NormalizedName) || new NamePattern(p).IsMatch(d.Name)))
            {
                var pinnedInternal = (d.Index is { } index && policy.InternalIndexes.Any(i => index.StartsWith(i, StringComparison.OrdinalIgnoreCase)))
                    || (d.Index is null && internalIndexPinned && !manifest.IndexUrls.Any(u => u.Contains("pypi.org", StringComparison.OrdinalIgnoreCase)))
                    || d.Origin is "path" or "editable" or "vcs";
                if (!pinnedInternal)
                {
                    issues.Add(new AuditIssue("confusion", d, d.NormalizedName,
                        $"'{d.Name}' is an internal package name (policy internal-packages) but {(d.Index is null ? "no internal index is pinned for it" : $"it resolves from {d.Index}")}: anyone can publish that name on PyPI"));
                }
            }

            if (forTarget && requirePins && d.Kind == "declared" && !d.IsPinned && d.Origin == "index")
            {
                issues.Add(new AuditIssue("unpinned", d, d.NormalizedName,
                    $"'{d.Name}{d.Specifier}' is not pinned to one version in a manifest the policy requires to pin (require-pins): each install may pull a different, unreviewed release"));
            }

            if (forTarget && database is not null && d.Version is not null)
            {
                foreach (var match in database.Query(d.Name, d.Version))
                {
                    var fixedText = match.FixedVersions.IsEmpty ? "no fixed version is known" : $"fixed in {string.Join(", ", match.FixedVersions)}";
                    var aliases = match.Advisory.Aliases.IsEmpty ? "" : $" ({string.Join(", ", match.Advisory.Aliases)})";
                    var message = match.Advisory.IsMalicious
                        ? $"{d.Name} {d.Version} is a known malicious package: {match.Advisory.Id}{aliases}: {match.Advisory.Summary}"
                        : $"{d.Name} {d.Version} is affected by {match.Advisory.Id}{aliases}: {match.Advisory.Summary} ({fixedText}; severity {match.Advisory.SeverityBasis})";
                    issues.Add(new AuditIssue("advisory", d, match.Advisory.Id, message, match, match.Advisory.Severity));
                }
            }
        }

        if (notAudited > 0)
        {
            issues.Add(new AuditIssue("not-audited", null, "conda",
                $"{notAudited} conda package(s) are listed but not audited: Rampart's advisory database covers PyPI packages only"));
        }

        if (notForTarget.Count > 0)
        {
            var listed = string.Join(", ", notForTarget.Take(20).Select(d => $"{d.Name}{(d.Version is null ? "" : " " + d.Version)} ({d.Marker})"));
            issues.Add(new AuditIssue("not-audited", null, "marker",
                $"{notForTarget.Count} package(s) are not for the target environment ({target}) by their markers, so their versions were not checked: {listed}{(notForTarget.Count > 20 ? ", ..." : "")}"));
        }

        return issues.ToImmutable();
    }

    private static IEnumerable<string> ExtraIndexes(ManifestResult manifest) =>
        manifest.Format == "requirements" && manifest.IndexUrls.Length > 0 && manifest.Dependencies.Any(d => d.Origin == "index")
            ? manifest.IndexUrls.Where(u => !u.Contains("pypi.org/simple", StringComparison.OrdinalIgnoreCase) && manifest.ExtraIndexUrls.Contains(u, StringComparer.Ordinal))
            : [];
}
