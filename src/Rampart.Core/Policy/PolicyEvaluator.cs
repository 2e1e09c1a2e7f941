using System.Collections.Immutable;
using System.Globalization;
using Rampart.Core.Reporting;

namespace Rampart.Core.Policy;

/// <summary>Applies a policy's suppressions to a list of findings.</summary>
public static class PolicyEvaluator
{
    public sealed record Outcome(ImmutableArray<Finding> Kept, ImmutableArray<SuppressedFinding> Suppressed, ImmutableArray<string> Warnings);

    public static Outcome Apply(IEnumerable<Finding> findings, ScanPolicy policy, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(findings);
        ArgumentNullException.ThrowIfNull(policy);
        var kept = ImmutableArray.CreateBuilder<Finding>();
        var suppressed = ImmutableArray.CreateBuilder<SuppressedFinding>();
        var warnings = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var finding in findings)
        {
            Suppression? applied = null;
            foreach (var s in policy.Suppressions)
            {
                if (!s.Matches(finding))
                {
                    continue;
                }

                if (s.IsExpired(today))
                {
                    warnings.Add(string.Create(CultureInfo.InvariantCulture,
                        $"suppression of {s.Rule} ({s.Justification}) expired on {s.Expires:yyyy-MM-dd} and no longer applies"));
                    continue;
                }

                applied = s;
                break;
            }

            if (applied is null)
            {
                kept.Add(finding);
            }
            else
            {
                suppressed.Add(new SuppressedFinding(finding, applied.Justification, applied.Expires));
            }
        }

        return new Outcome(kept.ToImmutable(), suppressed.ToImmutable(), [.. warnings]);
    }
}
