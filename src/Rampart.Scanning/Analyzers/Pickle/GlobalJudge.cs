using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Rampart.Core.Policy;
using Rampart.Core.Rules;
using Rampart.Scanning.Analyzers.Pickle.Capabilities;

namespace Rampart.Scanning.Analyzers.Pickle;

internal enum GlobalClass
{
    /// <summary>Plain data: nothing to report.</summary>
    Clean,

    /// <summary>A legitimate class whose own code runs on load: RAMP-PKL-002.</summary>
    Review,

    /// <summary>Not known to be safe: RAMP-PKL-001 or the deny rule that names it.</summary>
    Malicious,
}

/// <summary>The judgement of one resolved global.</summary>
/// <param name="Class">Clean, review or malicious.</param>
/// <param name="RuleId">The rule to report (null for Clean).</param>
/// <param name="Source">Which profile, policy entry or deny rule decided.</param>
/// <param name="Reach">For a global judged by the capability map, what the map knows about it.</param>
internal sealed record GlobalJudgement(GlobalClass Class, string? RuleId, string Source, CapableCallable? Reach = null);

/// <summary>One allow-list profile from rules/profiles/*.json or rules/profiles/generated/*.json.</summary>
/// <param name="Id">The profile's id.</param>
/// <param name="Description">What it holds and why.</param>
/// <param name="Clean">Names that are plain data.</param>
/// <param name="Review">Names of legitimate code that runs on load.</param>
/// <param name="Versions">For a generated profile, the library versions it was generated from ("pytz 2022.7.1"), else empty.</param>
internal sealed record GlobalProfile(string Id, string Description, IReadOnlyList<string> Clean, IReadOnlyList<string> Review, string Versions = "")
{
    /// <summary>How a judgement names the profile: its id, and for a generated one the versions it came from.</summary>
    public string Source => Versions.Length == 0 ? Id : $"{Id} ({Versions})";
}

/// <summary>
/// Decides what a pickle global means. The precedence, gravest evidence first:
/// <list type="number">
/// <item>Deny rules, matched on every dotted suffix of the name and on every name the capability map resolves it to
/// through aliases ("from os import system as run" makes "lib.run" os.system): malicious, whatever any list says.</item>
/// <item>An EXACT name in the policy (allowedGlobals, then reviewGlobals) or in a profile's clean list: clean or
/// needs-review as listed. An exact entry is a decision about that very callable, and a user's stays theirs.</item>
/// <item>A name the capability map proves can reach a capability (itself or through its aliases): malicious,
/// RAMP-PKL-112 with the chain. No glob ("sklearn.*", a policy's "mylib.*") and no exact entry of a profile's
/// review list overrides this proof: a glob covers a whole library without judging its callables one by one
/// (sklearn.utils._show_versions.show_versions runs a process), and "review" says code runs on load, not that the
/// code is harmless.</item>
/// <item>Otherwise the old allow-list order: policy then profile clean (exact or glob), policy then profile review,
/// then the map's safe names (RAMP-PKL-113 needs-review); anything else is not known to be safe (RAMP-PKL-001).</item>
/// </list>
/// Glob entries only accept a plain identifier after the module ("torch.nn.modules.linear.Linear"), never a
/// dotted or dunder attribute path, because protocol 4 resolves "a.b.c" by getattr and can walk into any module
/// the allowed one imports ("torch.nn.modules.module" + "os.system" is os.system).
/// </summary>
internal sealed class GlobalJudge
{
    public const string UnknownGlobalRule = "RAMP-PKL-001";
    public const string ReviewGlobalRule = "RAMP-PKL-002";
    public const string DenyTag = "pickle-deny";

    /// <summary>A global no profile knows that the capability map shows can reach a capability.</summary>
    public const string CapabilityRule = "RAMP-PKL-112";

    /// <summary>A global no profile knows that the capability map shows reaches no capability.</summary>
    public const string NoCapabilityRule = "RAMP-PKL-113";

    /// <summary>How a judgement by the map names its source.</summary>
    public const string CapabilityMapSource = "capability map";

    private static readonly Lazy<IReadOnlyList<GlobalProfile>> LazyProfiles = new(LoadProfiles);

    private readonly RuleCatalog _rules;
    private readonly NameSet _clean;
    private readonly NameSet _review;
    private readonly NameSet _policyClean;
    private readonly NameSet _policyReview;
    private readonly CapabilityMap _capabilities;

    // The built-in profiles are compiled once per process; only the policy's own names differ between scans.
    private static readonly Lazy<NameSet> ProfileClean = new(() => new NameSet(Profiles.SelectMany(p => p.Clean.Select(n => (n, p.Source)))));
    private static readonly Lazy<NameSet> ProfileReview = new(() => new NameSet(Profiles.SelectMany(p => p.Review.Select(n => (n, p.Source)))));
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Engine.AnalysisContext, GlobalJudge> PerScan = [];

    public GlobalJudge(RuleCatalog rules, ScanPolicy policy, CapabilityMap? capabilities = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _rules = rules;
        _clean = ProfileClean.Value;
        _review = ProfileReview.Value;
        _policyClean = new NameSet(policy.AllowedGlobals.Select(n => (n, "policy allowedGlobals")));
        _policyReview = new NameSet(policy.ReviewGlobals.Select(n => (n, "policy reviewGlobals")));
        _capabilities = capabilities ?? CapabilityMap.Shipped;
    }

    /// <summary>The judge for one scan (its rules and policy), built on first use and shared by every pickle in it.</summary>
    public static GlobalJudge For(Engine.AnalysisContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return PerScan.GetValue(context, c => new GlobalJudge(c.Rules, c.Policy));
    }

    public static IReadOnlyList<GlobalProfile> Profiles => LazyProfiles.Value;

    /// <summary>How many dotted suffixes of a global's name are checked against the deny rules.</summary>
    private const int MaxDenySuffixes = 64;

    public GlobalJudgement Judge(string module, string name, string rawFullName)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(name);
        var normalizedModule = Normalize(module);
        var normalizedName = Normalize(name);
        var full = normalizedModule + "." + normalizedName;

        if ((DenyRule(full) ?? DenyRule(Normalize(rawFullName))) is { } deny)
        {
            return new GlobalJudgement(GlobalClass.Malicious, deny.Id, deny.Name);
        }

        // What the map knows, through the aliases a module binds (a pickle names where a callable is looked up, not
        // where it is defined). A name an alias resolves to is checked against the deny rules as the name itself is.
        var known = _capabilities.Look(full);
        foreach (var target in known.Targets)
        {
            if (DenyRule(target) is { } aliasDeny)
            {
                return new GlobalJudgement(GlobalClass.Malicious, aliasDeny.Id, $"{aliasDeny.Name} (as {target}, which {full} is bound to)");
            }
        }

        var plain = IsPlainAttribute(normalizedModule, normalizedName);
        var clean = _policyClean.Match(full, plain) ?? _clean.Match(full, plain);
        var review = _policyReview.Match(full, plain) ?? _review.Match(full, plain);

        // The order is documented on the class: exact entries of the policy and exact clean names of the profiles, then
        // the map's proof of a capability, then every other entry.
        if (clean is { Exact: true })
        {
            return new GlobalJudgement(GlobalClass.Clean, null, clean.Value.Source);
        }

        if (_policyReview.Match(full, plain) is { Exact: true } userReview)
        {
            return new GlobalJudgement(GlobalClass.Review, ReviewGlobalRule, userReview.Source);
        }

        if (known.Capable is { } reach)
        {
            var overridden = (clean ?? review) is { } entry ? $"; {entry.Source} lists it by a glob or for review only, which does not override the chain" : string.Empty;
            return new GlobalJudgement(GlobalClass.Malicious, CapabilityRule, $"{CapabilityMapSource} ({reach.From}){overridden}", reach);
        }

        if (clean is { } cleanEntry)
        {
            return new GlobalJudgement(GlobalClass.Clean, null, cleanEntry.Source);
        }

        if (review is { } reviewEntry)
        {
            return new GlobalJudgement(GlobalClass.Review, ReviewGlobalRule, reviewEntry.Source);
        }

        // No profile knows it: a name the map does not know (or could not resolve completely) stays "not known to be safe".
        if (known.Safe)
        {
            return new GlobalJudgement(GlobalClass.Review, NoCapabilityRule, $"{CapabilityMapSource} ({string.Join("; ", _capabilities.Sources)})");
        }

        return new GlobalJudgement(GlobalClass.Malicious, UnknownGlobalRule, "not in any allow-list profile");
    }

    /// <summary>
    /// The most severe deny rule matching the name or any of its first <see cref="MaxDenySuffixes"/> dotted suffixes.
    /// The cap keeps a name of thousands of dots from costing quadratic time and memory; a longer name that no
    /// checked suffix denies still falls through to "not in any allow-list profile" (fail closed).
    /// </summary>
    private RuleDefinition? DenyRule(string fullName)
    {
        RuleDefinition? best = null;
        var suffix = fullName;
        for (var checkedSuffixes = 0; checkedSuffixes <= MaxDenySuffixes; checkedSuffixes++)
        {
            foreach (var rule in _rules.MatchName(suffix, DenyTag))
            {
                if (best is null || rule.Severity > best.Severity)
                {
                    best = rule;
                }
            }

            var dot = suffix.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0 || dot == suffix.Length - 1)
            {
                return best;
            }

            suffix = suffix[(dot + 1)..];
        }

        return best;
    }

    /// <summary>True when the attribute is one identifier and no part of the name is empty or a dunder.</summary>
    internal static bool IsPlainAttribute(string module, string name)
    {
        if (name.Length == 0 || name.Contains('.', StringComparison.Ordinal) || IsDunderOrEmpty(name))
        {
            return false;
        }

        var parts = module.Split('.');
        var torchScript = parts[0] == TorchScriptRoot;
        for (var i = 0; i < parts.Length; i++)
        {
            // TorchScript archives name their compiled classes under the root "__torch__" (see rules/profiles/torchscript.json),
            // and tell apart several compiled copies of one class by a "___torch_mangle_<N>" module segment.
            if (IsDunderOrEmpty(parts[i]) && !(torchScript && (i == 0 || IsTorchMangle(parts[i]))))
            {
                return false;
            }
        }

        return true;
    }

    private const string TorchScriptRoot = "__torch__";

    private const string TorchManglePrefix = "___torch_mangle_";

    private static bool IsTorchMangle(string part) =>
        part.Length > TorchManglePrefix.Length
        && part.StartsWith(TorchManglePrefix, StringComparison.Ordinal)
        && part.AsSpan(TorchManglePrefix.Length).ContainsAnyExceptInRange('0', '9') is false;

    private static bool IsDunderOrEmpty(string part) => part.Length == 0 || part.StartsWith("__", StringComparison.Ordinal);

    /// <summary>NFKC, as Python normalises identifiers; names that cannot be normalised stay as written.</summary>
    internal static string Normalize(string text)
    {
        if (System.Text.Ascii.IsValid(text))
        {
            return text;
        }

        string normalized;
        try
        {
            normalized = text.Normalize(NormalizationForm.FormKC);
        }
        catch (Exception e) when (e is ArgumentException or PlatformNotSupportedException)
        {
            normalized = text;
        }

        return System.Text.Ascii.IsValid(normalized) ? normalized : FoldCompatibilityLetters(normalized);
    }

    /// <summary>
    /// The NFKC folds that matter for identifiers, done by hand because invariant-globalization builds may not
    /// normalise: fullwidth ASCII (U+FF01-U+FF5E) and the mathematical alphanumeric letters and digits.
    /// </summary>
    private static string FoldCompatibilityLetters(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var v = rune.Value;
            if (v is >= 0xFF01 and <= 0xFF5E)
            {
                builder.Append((char)(v - 0xFF01 + 0x21));
            }
            else if (v is >= 0x1D400 and <= 0x1D6A3)
            {
                var index = (v - 0x1D400) % 52;
                builder.Append((char)(index < 26 ? 'A' + index : 'a' + index - 26));
            }
            else if (v is >= 0x1D7CE and <= 0x1D7FF)
            {
                builder.Append((char)('0' + ((v - 0x1D7CE) % 10)));
            }
            else
            {
                builder.Append(rune.ToString());
            }
        }

        return builder.ToString();
    }

    private const string GeneratedPrefix = "profiles/generated/";

    /// <summary>
    /// The hand-written profiles first, then the generated ones (rules/profiles/generated, written by
    /// tools/profiles/generate_profiles.py), so a name both know is credited to the hand-written profile.
    /// </summary>
    private static List<GlobalProfile> LoadProfiles()
    {
        var assembly = typeof(GlobalJudge).Assembly;
        var profiles = new List<GlobalProfile>();
        foreach (var resource in assembly.GetManifestResourceNames()
                     .Where(n => n.StartsWith("profiles/", StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
                     .OrderBy(n => n.StartsWith(GeneratedPrefix, StringComparison.Ordinal))
                     .ThenBy(n => n, StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Resource {resource} vanished.");
            using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            var root = document.RootElement;
            profiles.Add(new GlobalProfile(
                root.GetProperty("id").GetString() ?? throw new InvalidDataException($"{resource}: missing id"),
                root.GetProperty("description").GetString() ?? string.Empty,
                Strings(root, "clean"),
                Strings(root, "review"),
                Versions(root)));
        }

        return profiles;
    }

    /// <summary>"torch 1.13.0a0, python 3.11.2" from a generated profile's "versions" object; empty when it has none.</summary>
    private static string Versions(JsonElement root) =>
        root.TryGetProperty("versions", out var versions) && versions.ValueKind == JsonValueKind.Object
            ? string.Join(", ", versions.EnumerateObject().Select(v => $"{v.Name} {v.Value.GetString()}"))
            : string.Empty;

    private static string[] Strings(JsonElement root, string property) =>
        root.TryGetProperty(property, out var array) ? [.. array.EnumerateArray().Select(e => e.GetString() ?? throw new InvalidDataException($"null in {property}"))] : [];

    /// <summary>Exact names (any shape) and glob patterns (plain attributes only), each with where it came from.</summary>
    private sealed class NameSet
    {
        private readonly FrozenDictionary<string, string> _exact;
        private readonly (NamePattern Pattern, string Source)[] _globs;

        public NameSet(IEnumerable<(string Name, string Source)> entries)
        {
            var exact = new Dictionary<string, string>(StringComparer.Ordinal);
            var globs = new List<(NamePattern, string)>();
            foreach (var (name, source) in entries)
            {
                if (name.Contains('*', StringComparison.Ordinal))
                {
                    globs.Add((new NamePattern(name), source));
                }
                else
                {
                    exact.TryAdd(name, source);
                }
            }

            _exact = exact.ToFrozenDictionary(StringComparer.Ordinal);
            _globs = [.. globs];
        }

        /// <summary>Where the entry matching the name came from, and whether it names it exactly (not by a glob); null if none.</summary>
        public (string Source, bool Exact)? Match(string fullName, bool plainAttribute)
        {
            if (_exact.TryGetValue(fullName, out var source))
            {
                return (source, true);
            }

            if (!plainAttribute)
            {
                return null;
            }

            foreach (var (pattern, globSource) in _globs)
            {
                if (pattern.IsMatch(fullName))
                {
                    return (globSource, false);
                }
            }

            return null;
        }
    }
}
