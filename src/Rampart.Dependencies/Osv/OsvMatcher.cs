using System.Collections.Immutable;
using Rampart.Dependencies.Pep440;

namespace Rampart.Dependencies.Osv;

/// <summary>One advisory that applies to one package version.</summary>
public sealed record AdvisoryMatch(OsvAdvisory Advisory, string Package, string Version, ImmutableArray<string> FixedVersions, string Reason);

/// <summary>
/// Decides whether a version is affected, by OSV's rules for ECOSYSTEM ranges (events in version order:
/// introduced opens, fixed closes, last_affected closes after itself, limit bounds the range) and explicit
/// versions lists. Versions that are not valid PEP 440 match only by exact string in a versions list.
/// </summary>
public static class OsvMatcher
{
    public static AdvisoryMatch? Match(OsvAdvisory advisory, string package, string version)
    {
        ArgumentNullException.ThrowIfNull(advisory);
        var normalized = PackageName.Normalize(package);
        var parsed = PythonVersion.TryParse(version, out var v) ? v : null;
        string? reason = null;
        var fixes = new List<string>();
        foreach (var affected in advisory.Affected)
        {
            if (affected.Package != normalized)
            {
                continue;
            }

            fixes.AddRange(affected.Ranges.SelectMany(r => r).Where(e => e.Kind == "fixed").Select(e => e.Version));
            if (reason is not null)
            {
                continue;
            }

            if (affected.Versions.Contains(version, StringComparer.Ordinal)
                || (parsed is not null && affected.Versions.Any(x => PythonVersion.TryParse(x, out var xv) && xv == parsed)))
            {
                reason = "listed in the advisory's affected versions";
                continue;
            }

            if (parsed is not null)
            {
                foreach (var range in affected.Ranges)
                {
                    if (InRange(range, parsed))
                    {
                        reason = "inside an affected range (" + Describe(range) + ")";
                        break;
                    }
                }
            }
        }

        return reason is null ? null : new AdvisoryMatch(advisory, normalized, version, [.. fixes.Distinct(StringComparer.Ordinal)], reason);
    }

    internal static bool InRange(ImmutableArray<OsvEvent> events, PythonVersion v)
    {
        var sorted = events
            .Select(e => (e.Kind, e.Version, Parsed: e.Version == "0" ? null : PythonVersion.TryParse(e.Version, out var p) ? p : null))
            .Where(e => e.Version == "0" || e.Parsed is not null)
            .OrderBy(e => e.Parsed is null ? 0 : 1)
            .ThenBy(e => e.Parsed)
            .ThenBy(e => e.Kind == "introduced" ? 1 : 0) // "fixed 1.0" then "introduced 1.0": two adjacent ranges, 1.0 affected
            .ToList();
        var limits = sorted.Where(e => e.Kind == "limit").Select(e => e.Parsed).OfType<PythonVersion>().ToList();
        if (limits.Count > 0 && !limits.Any(l => v < l))
        {
            return false;
        }

        var affected = false;
        foreach (var e in sorted)
        {
            switch (e.Kind)
            {
                case "introduced" when e.Parsed is null || v >= e.Parsed:
                    affected = true;
                    break;
                case "fixed" when e.Parsed is not null && v >= e.Parsed:
                    affected = false;
                    break;
                case "last_affected" when e.Parsed is not null && v > e.Parsed:
                    affected = false;
                    break;
            }
        }

        return affected;
    }

    private static string Describe(ImmutableArray<OsvEvent> events) => string.Join(", ", events.Select(e => $"{e.Kind} {e.Version}"));
}
