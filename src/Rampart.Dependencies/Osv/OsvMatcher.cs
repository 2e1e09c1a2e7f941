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
    public static AdvisoryMatch? Match(OsvAdvisory advisory, string package, string version) =>
        Match(advisory, PackageName.Normalize(package), version, PythonVersion.TryParse(version, out var v) ? v : null);

    /// <summary>Matching with the name already normalised and the version already parsed (null: not PEP 440).</summary>
    public static AdvisoryMatch? Match(OsvAdvisory advisory, string normalizedPackage, string version, PythonVersion? parsed)
    {
        ArgumentNullException.ThrowIfNull(advisory);
        var listed = advisory.Affected.Any(a => a.Package == normalizedPackage && a.Listed.Contains(version, parsed));
        return Match(advisory, normalizedPackage, version, parsed, listed);
    }

    /// <summary>Matching when whether the version is in the advisory's versions lists is already known (the
    /// database answers that from its index, so the lists are never read).</summary>
    public static AdvisoryMatch? Match(OsvAdvisory advisory, string normalizedPackage, string version, PythonVersion? parsed, bool listed)
    {
        ArgumentNullException.ThrowIfNull(advisory);
        var reason = listed ? "listed in the advisory's affected versions" : null;
        List<string>? fixes = null;
        foreach (var affected in advisory.Affected)
        {
            if (affected.Package != normalizedPackage)
            {
                continue;
            }

            if (reason is null && parsed is not null)
            {
                var compiled = affected.CompiledRanges;
                for (var i = 0; i < compiled.Length; i++)
                {
                    if (InRange(compiled[i], parsed))
                    {
                        reason = "inside an affected range (" + Describe(affected.Ranges[i]) + ")";
                        break;
                    }
                }
            }

            foreach (var range in affected.Ranges)
            {
                foreach (var e in range)
                {
                    if (e.Kind == "fixed")
                    {
                        (fixes ??= []).Add(e.Version);
                    }
                }
            }
        }

        return reason is null ? null : new AdvisoryMatch(advisory, normalizedPackage, version, fixes is null ? [] : [.. fixes.Distinct(StringComparer.Ordinal)], reason);
    }

    internal static bool InRange(ImmutableArray<OsvEvent> events, PythonVersion v) =>
        InRange(new OsvAffected("", [events], []).CompiledRanges[0], v);

    private static bool InRange(ImmutableArray<(string Kind, PythonVersion? Version)> sorted, PythonVersion v)
    {
        var hasLimit = false;
        var underLimit = false;
        var affected = false;
        foreach (var (kind, at) in sorted)
        {
            switch (kind)
            {
                case "introduced" when at is null || v >= at:
                    affected = true;
                    break;
                case "fixed" when at is not null && v >= at:
                    affected = false;
                    break;
                case "last_affected" when at is not null && v > at:
                    affected = false;
                    break;
                case "limit" when at is not null:
                    hasLimit = true;
                    underLimit |= v < at;
                    break;
            }
        }

        return affected && (!hasLimit || underLimit);
    }

    private static string Describe(ImmutableArray<OsvEvent> events) => string.Join(", ", events.Select(e => $"{e.Kind} {e.Version}"));
}
