using System.Collections.Immutable;

namespace Rampart.Core.Policy;

/// <summary>Whether the dependency audit checks packages against the advisory database.</summary>
public enum AdvisoryMode
{
    /// <summary>Check against the database; without one, an Inconclusive finding says advisories were not checked.</summary>
    Required,

    /// <summary>Do not check advisories (rampart audit --no-advisories).</summary>
    Off,
}

/// <summary>The "dependencies" section: settings of the dependency and environment audit (docs/commands/audit.md).</summary>
public sealed partial record ScanPolicy
{
    /// <summary>Manifests matched by these globs must pin every requirement (==version); the defaults cover training and serving manifests.</summary>
    /// <remarks>A computed property, not a stored one: ScanPolicy.Default (in another file) may be built first.</remarks>
    public static ImmutableArray<string> DefaultRequirePins =>
        ["**/*train*/**", "**/*serv*/**", "**/*inference*/**", "**/*train*.txt", "**/*serv*.txt", "**/*inference*.txt", "**/environment.y*ml"];

    /// <summary>Names (or globs) of packages that live on the team's internal index: pulled from anywhere else they are a dependency-confusion risk.</summary>
    public ImmutableArray<string> InternalPackages { get; init; } = [];

    /// <summary>Index URLs (prefixes) that count as internal: a manifest pinned to one of them is not confused.</summary>
    public ImmutableArray<string> InternalIndexes { get; init; } = [];

    /// <summary>Globs over manifest paths whose requirements must be pinned; empty turns the check off.</summary>
    public ImmutableArray<string> RequirePins { get; init; } = DefaultRequirePins;

    /// <summary>Whether advisories are checked (policy 'advisories: off', or rampart audit --no-advisories).</summary>
    public AdvisoryMode Advisories { get; init; } = AdvisoryMode.Required;

    /// <summary>The advisory database file (--db); null: RAMPART_DB, then the user's cache folder.</summary>
    public string? AdvisoryDatabase { get; init; }

    /// <summary>
    /// The PEP 508 marker variables (packaging's names; the dotted aliases are read by Rampart.Dependencies).
    /// </summary>
    public static readonly ImmutableHashSet<string> MarkerVariables = ImmutableHashSet.Create(StringComparer.Ordinal,
        "python_version", "python_full_version", "os_name", "sys_platform", "platform_release", "platform_system",
        "platform_version", "platform_machine", "platform_python_implementation", "implementation_name",
        "implementation_version", "extra", "extras", "dependency_groups");

    /// <summary>
    /// The environment the audited requirements are for (policy dependencies.target): marker
    /// variable to value. A pin whose marker this decides false is not for the target and is not checked; one it
    /// leaves undecided (every marker, when empty) is audited.
    /// </summary>
    public ImmutableDictionary<string, string> TargetEnvironment { get; init; } = ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);
}
