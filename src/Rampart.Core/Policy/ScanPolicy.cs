using System.Collections.Immutable;
using Rampart.Core.Rules;

namespace Rampart.Core.Policy;

/// <summary>
/// Silences one finding (or a family of them) on purpose. Every suppression needs a justification; one with an
/// expiry date stops applying after that date, and the report then says so.
/// </summary>
/// <param name="Rule">A rule id, or a glob over ids ("RAMP-PKL-*").</param>
/// <param name="Path">Optional glob over the logical artifact path.</param>
/// <param name="Name">Optional glob over the finding's "name" property (e.g. the pickle global).</param>
/// <param name="Justification">Why the finding is acceptable; required.</param>
/// <param name="Expires">The last day the suppression applies, if any.</param>
public sealed record Suppression(string Rule, string? Path, string? Name, string Justification, DateOnly? Expires)
{
    public bool IsExpired(DateOnly today) => Expires is { } e && today > e;

    public bool Matches(Finding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        if (!new NamePattern(Rule).IsMatch(finding.RuleId))
        {
            return false;
        }

        if (Path is not null && !PathGlob.IsMatch(Path, finding.ArtifactPath))
        {
            return false;
        }

        return Name is null || (finding.Property("name") is { } name && new NamePattern(Name).IsMatch(name));
    }
}

/// <summary>
/// What a team decides about its scans: when to fail, what else is allowed, what is accepted. Sections owned by
/// other rooms add their properties in ScanPolicy.&lt;Section&gt;.cs (see <see cref="PolicyParser"/>).
/// </summary>
public sealed partial record ScanPolicy
{
    public static ScanPolicy Default { get; } = new();

    /// <summary>Findings at or above this severity make the scan exit 1.</summary>
    public Severity FailOn { get; init; } = Severity.Medium;

    /// <summary>Extra pickle globals (exact names or globs) that the team treats as plain data: Clean.</summary>
    public ImmutableArray<string> AllowedGlobals { get; init; } = [];

    /// <summary>Extra pickle globals the team knows but wants reviewed: NeedsReview instead of Malicious.</summary>
    public ImmutableArray<string> ReviewGlobals { get; init; } = [];

    public ImmutableArray<Suppression> Suppressions { get; init; } = [];

    public ScanLimits Limits { get; init; } = ScanLimits.Default;

    /// <summary>Where the policy came from, for messages.</summary>
    public string Source { get; init; } = "built-in defaults";
}

/// <summary>Glob over slash-separated logical paths: '**' spans folders, '*' stays within one segment, '?' one char.</summary>
public static class PathGlob
{
    public static bool IsMatch(string pattern, string path)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(path);
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern.Replace('\\', '/'))
            .Replace(@"\*\*/", "(?:.*/)?", StringComparison.Ordinal)
            .Replace(@"\*\*", ".*", StringComparison.Ordinal)
            .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
            .Replace(@"\?", "[^/]", StringComparison.Ordinal) + "$";
        var normalized = path.Replace('\\', '/');
        return System.Text.RegularExpressions.Regex.IsMatch(normalized, regex, System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))
            || System.Text.RegularExpressions.Regex.IsMatch(normalized.TrimStart('.', '/'), regex, System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}
