using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Rampart.Dependencies.Pep440;

/// <summary>One PEP 440 version clause: an operator and a version ("~=1.4.2", "==2.*", "===foo").</summary>
public sealed partial record VersionSpecifier(string Operator, string VersionText)
{
    private static readonly string[] Operators = ["~=", "===", "==", "!=", "<=", ">=", "<", ">"];

    [GeneratedRegex(@"^(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ReleaseOnly();

    public bool IsWildcard => VersionText.EndsWith(".*", StringComparison.Ordinal);

    public static bool TryParse(string text, out VersionSpecifier specifier)
    {
        specifier = null!;
        var t = text.Trim();
        var op = Operators.FirstOrDefault(o => t.StartsWith(o, StringComparison.Ordinal));
        if (op is null)
        {
            return false;
        }

        var v = t[op.Length..].Trim();
        if (v.Length == 0)
        {
            return false;
        }

        if (op == "===")
        {
            if (v.Any(char.IsWhiteSpace))
            {
                return false;
            }

            specifier = new VersionSpecifier(op, v);
            return true;
        }

        if (v.EndsWith(".*", StringComparison.Ordinal))
        {
            if (op is not ("==" or "!=") || !ReleaseOnly().IsMatch(v[..^2]))
            {
                return false;
            }

            specifier = new VersionSpecifier(op, v);
            return true;
        }

        if (!PythonVersion.TryParse(v, out var parsed))
        {
            return false;
        }

        if (parsed.HasLocal && op is not ("==" or "!="))
        {
            return false;
        }

        if (op == "~=" && parsed.Release.Length < 2)
        {
            return false;
        }

        specifier = new VersionSpecifier(op, v);
        return true;
    }

    /// <summary>True when the clause's own version is a pre-release (then pre-releases are accepted by default).</summary>
    public bool MentionsPrerelease =>
        Operator is not ("!=" or "===") && PythonVersion.TryParse(IsWildcard ? VersionText[..^2] : VersionText, out var v) && v.IsPrerelease;

    public bool Contains(string candidateText)
    {
        if (Operator == "===")
        {
            return string.Equals(candidateText.Trim(), VersionText, StringComparison.OrdinalIgnoreCase);
        }

        return PythonVersion.TryParse(candidateText, out var v) && Contains(v);
    }

    public bool Contains(PythonVersion candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (Operator == "===")
        {
            return string.Equals(candidate.ToString(), VersionText, StringComparison.OrdinalIgnoreCase);
        }

        if (IsWildcard)
        {
            var match = PrefixMatch(candidate, VersionText[..^2]);
            return Operator == "==" ? match : !match;
        }

        var spec = PythonVersion.Parse(VersionText);
        switch (Operator)
        {
            case "==":
                return (spec.HasLocal ? candidate : candidate.Public) == spec;
            case "!=":
                return (spec.HasLocal ? candidate : candidate.Public) != spec;
            case "<=":
                return candidate.Public <= spec;
            case ">=":
                return candidate.Public >= spec;
            case "<":
                if (!(candidate.Public < spec))
                {
                    return false;
                }

                return spec.IsPrerelease || !candidate.IsPrerelease || candidate.BaseVersion != spec.BaseVersion;
            case ">":
                if (!(candidate.Public > spec))
                {
                    return false;
                }

                if (!spec.IsPostrelease && candidate.IsPostrelease && candidate.BaseVersion == spec.BaseVersion)
                {
                    return false;
                }

                // A local version of the very version named is not "greater" than it.
                return !candidate.HasLocal || candidate.Public != spec;
            case "~=":
                var prefix = string.Join('.', spec.Release.Take(spec.Release.Length - 1).Select(r => r.ToString(CultureInfo.InvariantCulture)));
                if (!spec.Epoch.IsZero)
                {
                    prefix = spec.Epoch.ToString(CultureInfo.InvariantCulture) + "!" + prefix;
                }

                return candidate.Public >= spec && PrefixMatch(candidate, prefix);
            default:
                return false;
        }
    }

    // Compares the candidate's public version, segment by segment and zero-padded in its release, with a prefix.
    private static bool PrefixMatch(PythonVersion candidate, string prefixText)
    {
        var spec = Split(PythonVersion.Parse(prefixText).ToString());
        var cand = Split(candidate.Public.ToString());
        var specRelease = spec.TakeWhile(IsReleasePart).ToList();
        var candRelease = cand.TakeWhile(IsReleasePart).ToList();
        var specRest = spec.Skip(specRelease.Count).ToList();
        var candRest = cand.Skip(candRelease.Count).ToList();
        while (candRelease.Count < specRelease.Count)
        {
            candRelease.Insert(candRelease.Count, "0");
        }

        var padded = candRelease.Concat(candRest).ToList();
        var wanted = specRelease.Concat(specRest).ToList();
        return padded.Count >= wanted.Count && padded.Take(wanted.Count).SequenceEqual(wanted, StringComparer.Ordinal);
    }

    private static bool IsReleasePart(string s) => s.Length > 0 && s.All(char.IsAsciiDigit) || s.EndsWith('!');

    // "1!2.0rc1.post2" -> ["1!", "2", "0", "rc1", "post2"]
    private static List<string> Split(string normalized)
    {
        var parts = new List<string>();
        var rest = normalized;
        var bang = rest.IndexOf('!', StringComparison.Ordinal);
        parts.Add(bang >= 0 ? rest[..(bang + 1)] : "0!");
        rest = bang >= 0 ? rest[(bang + 1)..] : rest;
        foreach (var item in rest.Split('.'))
        {
            var m = LeadingNumber().Match(item);
            if (m.Success && m.Groups[2].Length > 0 && m.Groups[1].Length > 0)
            {
                parts.Add(m.Groups[1].Value);
                parts.Add(m.Groups[2].Value);
            }
            else
            {
                parts.Add(item);
            }
        }

        return parts;
    }

    [GeneratedRegex(@"^([0-9]+)((?:a|b|c|rc)[0-9]+)$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex LeadingNumber();

    public override string ToString() => Operator + VersionText;
}

/// <summary>A comma-separated set of clauses, all of which must hold (PEP 440 "version specifiers").</summary>
public sealed record SpecifierSet(ImmutableArray<VersionSpecifier> Clauses)
{
    public static SpecifierSet Any { get; } = new([]);

    public static bool TryParse(string text, out SpecifierSet set)
    {
        set = Any;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var clauses = ImmutableArray.CreateBuilder<VersionSpecifier>();
        foreach (var part in text.Split(','))
        {
            if (!VersionSpecifier.TryParse(part, out var clause))
            {
                return false;
            }

            clauses.Add(clause);
        }

        set = new SpecifierSet(clauses.ToImmutable());
        return true;
    }

    /// <summary>
    /// True when <paramref name="candidate"/> satisfies every clause. Pre-releases are excluded unless
    /// <paramref name="prereleases"/> is true, or (when null) a clause names a pre-release.
    /// </summary>
    public bool Contains(string candidate, bool? prereleases = null)
    {
        if (PythonVersion.TryParse(candidate, out var v))
        {
            var allowPre = prereleases ?? Clauses.Any(c => c.MentionsPrerelease);
            if (v.IsPrerelease && !allowPre)
            {
                return false;
            }

            return Clauses.All(c => c.Contains(v));
        }

        return Clauses.Length > 0 && Clauses.All(c => c.Operator == "===" && c.Contains(candidate));
    }

    /// <summary>The one version this set admits (see <see cref="Pin"/>), or null when it admits more, or none.</summary>
    public string? PinnedVersion => Pin().Version;

    /// <summary>
    /// Whether the set admits exactly one version, as pip resolves it: an "===" clause, or an "==" clause without
    /// wildcard, whose version every other clause admits ("&gt;=2.0,==2.19.1", "==2.19.1,!=2.19.0" and "==2.19.1,&lt;3"
    /// are pins). When the clauses exclude the "=="/"===" version, no version can be installed: that is a
    /// contradiction, reported with its reason, never a pin. A set without such a clause is not a pin (null, null).
    /// </summary>
    public (string? Version, string? Contradiction) Pin()
    {
        var arbitrary = Clauses.Where(c => c.Operator == "===").ToList();
        var exact = Clauses.Where(c => c.Operator == "==" && !c.IsWildcard).ToList();
        if (arbitrary.Count > 0)
        {
            // "===" compares strings: one text, and every other clause must admit it.
            var text = arbitrary[0].VersionText;
            var other = arbitrary.FirstOrDefault(c => !c.Contains(text));
            if (other is not null)
            {
                return (null, $"'==={text}' and '{other}' name different versions; no version satisfies both");
            }

            var refusing = Clauses.FirstOrDefault(c => c.Operator != "===" && !c.Contains(text));
            return refusing is null ? (text, null) : (null, $"'{refusing}' excludes '==={text}', the only version the other clause allows; no version satisfies them all");
        }

        if (exact.Count == 0)
        {
            return (null, null);
        }

        var pinned = exact[0];
        var version = PythonVersion.Parse(pinned.VersionText);
        var excluding = Clauses.FirstOrDefault(c => !c.Contains(version));
        return excluding is null
            ? (pinned.VersionText, null)
            : (null, $"'{excluding}' excludes {pinned.VersionText}, the only version '{pinned}' allows; no version satisfies them all");
    }

    public override string ToString() => string.Join(',', Clauses);
}
