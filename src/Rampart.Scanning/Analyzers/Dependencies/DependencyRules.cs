using System.Collections.Concurrent;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Dependencies.Osv;
using Rampart.Dependencies.Signals;
using Rampart.Scanning.Engine;

namespace Rampart.Scanning.Analyzers.Dependencies;

/// <summary>Rule ids of the dependency audit (rules/dependencies.json) and the shared reporting of audit issues.</summary>
internal static class DependencyRules
{
    public const string Vulnerable = "RAMP-DEP-001";
    public const string MaliciousPackage = "RAMP-DEP-002";
    public const string Tampered = "RAMP-DEP-003";
    public const string Missing = "RAMP-DEP-004";
    public const string Unlisted = "RAMP-DEP-005";
    public const string PthHook = "RAMP-DEP-006";
    public const string NotFromIndex = "RAMP-DEP-007";
    public const string Typosquat = "RAMP-DEP-008";
    public const string Confusion = "RAMP-DEP-009";
    public const string Unpinned = "RAMP-DEP-010";
    public const string AdvisoriesNotChecked = "RAMP-DEP-011";
    public const string NotAudited = "RAMP-DEP-012";
    public const string ExtraIndex = "RAMP-DEP-013";

    private static readonly ConcurrentDictionary<string, Lazy<(OsvDatabase? Database, string? Error)>> Databases = new(StringComparer.Ordinal);

    /// <summary>The advisory database the policy names (or RAMPART_DB, or the cache folder's), opened once per process and file version.</summary>
    public static (OsvDatabase? Database, string? Error) Database(ScanPolicy policy)
    {
        if (policy.Advisories == AdvisoryMode.Off)
        {
            return (null, null);
        }

        var path = OsvDatabase.ResolvePath(policy.AdvisoryDatabase, Environment.GetEnvironmentVariable);
        var stamp = File.Exists(path) ? File.GetLastWriteTimeUtc(path).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) : "missing";
        return Databases.GetOrAdd(path + "|" + stamp, _ => new(() =>
        {
            try
            {
                return (OsvDatabase.Open(path), null);
            }
            catch (OsvDatabaseException e)
            {
                return (null, e.Message);
            }
        })).Value;
    }

    public static void Report(AnalysisResult result, IEnumerable<AuditIssue> issues, string? databaseError, bool anyPinned)
    {
        foreach (var issue in issues)
        {
            var d = issue.Dependency;
            var location = d is { Line: > 0 } ? new FindingLocation(Line: d.Line) : FindingLocation.None;
            var properties = new List<KeyValuePair<string, string>> { new("name", issue.Name) };
            if (d is not null)
            {
                properties.Add(new("package", d.NormalizedName));
                if (d.Version is not null)
                {
                    properties.Add(new("version", d.Version));
                }

                if (d.Source != result.Path)
                {
                    properties.Add(new("source", d.Source));
                }
            }

            var rule = issue.Kind switch
            {
                "advisory" when issue.Advisory!.Advisory.IsMalicious => MaliciousPackage,
                "advisory" => Vulnerable,
                "typosquat" => Typosquat,
                "confusion" => Confusion,
                "unpinned" => Unpinned,
                "extra-index" => ExtraIndex,
                _ => NotAudited,
            };
            if (issue.Advisory is { } match)
            {
                properties.Add(new("aliases", string.Join(",", match.Advisory.Aliases)));
                properties.Add(new("fixed", string.Join(",", match.FixedVersions)));
                properties.Add(new("purl", $"pkg:pypi/{match.Package}@{match.Version}"));
            }

            result.Report(rule, issue.Message, location, properties, issue.Severity);
        }

        if (databaseError is not null && anyPinned)
        {
            result.Report(AdvisoriesNotChecked,
                $"known vulnerabilities were not checked: {databaseError}; run 'rampart db import PATH' or 'rampart db update', or pass --no-advisories to skip on purpose",
                FindingLocation.None, [new("name", "advisory-database")]);
        }
    }
}
