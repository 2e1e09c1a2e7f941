using System.Collections.Immutable;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace Rampart.Dependencies.Pep440;

/// <summary>
/// A PEP 440 version: epoch, release, pre-release, post-release, development release and local label, ordered by
/// the PEP's rules (dev before pre before final before post; a local label sorts after its public version).
/// </summary>
public sealed partial class PythonVersion : IComparable<PythonVersion>, IEquatable<PythonVersion>
{
    private PythonVersion(BigInteger epoch, ImmutableArray<BigInteger> release, (string Label, BigInteger Number)? pre,
        BigInteger? post, BigInteger? dev, ImmutableArray<string> local)
    {
        Epoch = epoch;
        Release = release;
        Pre = pre;
        Post = post;
        Dev = dev;
        Local = local;
    }

    public BigInteger Epoch { get; }

    public ImmutableArray<BigInteger> Release { get; }

    /// <summary>"a", "b" or "rc" and its number.</summary>
    public (string Label, BigInteger Number)? Pre { get; }

    public BigInteger? Post { get; }

    public BigInteger? Dev { get; }

    /// <summary>Local label segments (lower case), empty when there is none.</summary>
    public ImmutableArray<string> Local { get; }

    public bool IsPrerelease => Pre is not null || Dev is not null;

    public bool IsPostrelease => Post is not null;

    public bool HasLocal => !Local.IsEmpty;

    /// <summary>The version without its local label.</summary>
    public PythonVersion Public => HasLocal ? new PythonVersion(Epoch, Release, Pre, Post, Dev, []) : this;

    /// <summary>Epoch and release only.</summary>
    public PythonVersion BaseVersion => new(Epoch, Release, null, null, null, []);

    [GeneratedRegex(
        @"^\s*v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\.[0-9]+)*)(?<pre>[-_\.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?<pre_n>[0-9]+)?)?(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_\.]?(?<post_l>post|rev|r)[-_\.]?(?<post_n2>[0-9]+)?))?(?<dev>[-_\.]?(?<dev_l>dev)[-_\.]?(?<dev_n>[0-9]+)?)?)(?:\+(?<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, 1000)]
    private static partial Regex Pattern();

    public static bool TryParse(string? text, out PythonVersion version)
    {
        version = null!;
        if (text is null || text.Length > 256)
        {
            return false;
        }

        if (TryParseReleaseOnly(text, out version))
        {
            return true;
        }

        var m = Pattern().Match(text);
        if (!m.Success)
        {
            return false;
        }

        var epoch = m.Groups["epoch"].Success ? BigInteger.Parse(m.Groups["epoch"].Value, CultureInfo.InvariantCulture) : BigInteger.Zero;
        var release = m.Groups["release"].Value.Split('.').Select(p => BigInteger.Parse(p, CultureInfo.InvariantCulture)).ToImmutableArray();
        (string, BigInteger)? pre = null;
        if (m.Groups["pre"].Success)
        {
            var label = m.Groups["pre_l"].Value.ToLowerInvariant() switch
            {
                "alpha" or "a" => "a",
                "beta" or "b" => "b",
                _ => "rc",
            };
            pre = (label, Number(m.Groups["pre_n"]));
        }

        BigInteger? post = null;
        if (m.Groups["post"].Success)
        {
            post = m.Groups["post_n1"].Success ? Number(m.Groups["post_n1"]) : Number(m.Groups["post_n2"]);
        }

        BigInteger? dev = m.Groups["dev"].Success ? Number(m.Groups["dev_n"]) : null;
        var local = m.Groups["local"].Success
            ? m.Groups["local"].Value.ToLowerInvariant().Split('-', '_', '.').ToImmutableArray()
            : [];
        version = new PythonVersion(epoch, release, pre, post, dev, local);
        return true;
    }

    // "1.26.4": most versions in lockfiles and advisories are a bare release. Read those without the regex (the
    // pattern above gives the same result for them); anything else falls through to it.
    private static bool TryParseReleaseOnly(string text, out PythonVersion version)
    {
        version = null!;
        if (text.Length == 0 || !char.IsAsciiDigit(text[0]) || !char.IsAsciiDigit(text[^1]))
        {
            return false;
        }

        var segments = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '.')
            {
                if (text[i - 1] == '.')
                {
                    return false;
                }

                segments++;
            }
            else if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        var release = ImmutableArray.CreateBuilder<BigInteger>(segments);
        var span = text.AsSpan();
        foreach (var range in span.Split('.'))
        {
            var part = span[range];
            release.Add(part.Length <= 18 ? long.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture) : BigInteger.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture));
        }

        version = new PythonVersion(BigInteger.Zero, release.MoveToImmutable(), null, null, null, []);
        return true;
    }

    private static BigInteger Number(Group g) => g.Success ? BigInteger.Parse(g.Value, CultureInfo.InvariantCulture) : BigInteger.Zero;

    public static PythonVersion Parse(string text) =>
        TryParse(text, out var v) ? v : throw new FormatException($"'{text}' is not a PEP 440 version");

    /// <summary>
    /// A string equal for two versions exactly when they are equal by PEP 440 ("1.0" and "1.0.0", "1.0+ABC.01" and
    /// "1.0+abc.1"): the normal form with the release's trailing zeros and the local label's leading zeros dropped.
    /// Lets a database index listed versions and answer "is this version listed" without parsing the list.
    /// </summary>
    public string EqualityKey
    {
        get
        {
            var release = Release.AsSpan();
            var length = release.Length;
            while (length > 1 && release[length - 1].IsZero)
            {
                length--;
            }

            var b = new StringBuilder();
            b.Append(Epoch.ToString(CultureInfo.InvariantCulture)).Append('!');
            for (var i = 0; i < length; i++)
            {
                b.Append(i == 0 ? "" : ".").Append(release[i].ToString(CultureInfo.InvariantCulture));
            }

            b.Append(ToString().AsSpan(ReleaseLength()));
            if (HasLocal)
            {
                var plus = b.ToString().IndexOf('+', StringComparison.Ordinal);
                b.Length = plus;
                b.Append('+').AppendJoin('.', Local.Select(l => BigInteger.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n.ToString(CultureInfo.InvariantCulture) : l));
            }

            return b.ToString();
        }
    }

    // Characters of ToString() taken by the epoch and release.
    private int ReleaseLength() =>
        (Epoch.IsZero ? 0 : Epoch.ToString(CultureInfo.InvariantCulture).Length + 1)
        + string.Join('.', Release.Select(r => r.ToString(CultureInfo.InvariantCulture))).Length;

    public override string ToString()
    {
        var b = new StringBuilder();
        if (!Epoch.IsZero)
        {
            b.Append(Epoch.ToString(CultureInfo.InvariantCulture)).Append('!');
        }

        b.AppendJoin('.', Release.Select(r => r.ToString(CultureInfo.InvariantCulture)));
        if (Pre is { } p)
        {
            b.Append(p.Label).Append(p.Number.ToString(CultureInfo.InvariantCulture));
        }

        if (Post is { } post)
        {
            b.Append(".post").Append(post.ToString(CultureInfo.InvariantCulture));
        }

        if (Dev is { } dev)
        {
            b.Append(".dev").Append(dev.ToString(CultureInfo.InvariantCulture));
        }

        if (HasLocal)
        {
            b.Append('+').AppendJoin('.', Local);
        }

        return b.ToString();
    }

    public int CompareTo(PythonVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        var c = Epoch.CompareTo(other.Epoch);
        if (c != 0)
        {
            return c;
        }

        c = CompareRelease(Release, other.Release);
        if (c != 0)
        {
            return c;
        }

        c = PreKey(this).CompareTo(PreKey(other));
        if (c != 0)
        {
            return c;
        }

        c = CompareOptional(Post, other.Post, missingIsLow: true);
        if (c != 0)
        {
            return c;
        }

        c = CompareOptional(Dev, other.Dev, missingIsLow: false);
        return c != 0 ? c : CompareLocal(Local, other.Local);
    }

    internal static int CompareRelease(ImmutableArray<BigInteger> a, ImmutableArray<BigInteger> b)
    {
        var n = Math.Max(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            var x = i < a.Length ? a[i] : BigInteger.Zero;
            var y = i < b.Length ? b[i] : BigInteger.Zero;
            var c = x.CompareTo(y);
            if (c != 0)
            {
                return c;
            }
        }

        return 0;
    }

    // (rank, label rank, number): a bare dev release sorts before any pre-release; no pre-release sorts after all.
    private static (int, int, BigInteger) PreKey(PythonVersion v)
    {
        if (v.Pre is null && v.Post is null && v.Dev is not null)
        {
            return (0, 0, BigInteger.Zero);
        }

        if (v.Pre is { } p)
        {
            return (1, p.Label switch { "a" => 0, "b" => 1, _ => 2 }, p.Number);
        }

        return (2, 0, BigInteger.Zero);
    }

    private static int CompareOptional(BigInteger? a, BigInteger? b, bool missingIsLow)
    {
        if (a is null && b is null)
        {
            return 0;
        }

        if (a is null)
        {
            return missingIsLow ? -1 : 1;
        }

        return b is null ? (missingIsLow ? 1 : -1) : a.Value.CompareTo(b.Value);
    }

    private static int CompareLocal(ImmutableArray<string> a, ImmutableArray<string> b)
    {
        if (a.IsEmpty || b.IsEmpty)
        {
            return a.IsEmpty.CompareTo(b.IsEmpty) * -1;
        }

        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var aNum = BigInteger.TryParse(a[i], NumberStyles.None, CultureInfo.InvariantCulture, out var x);
            var bNum = BigInteger.TryParse(b[i], NumberStyles.None, CultureInfo.InvariantCulture, out var y);
            int c;
            if (aNum && bNum)
            {
                c = x.CompareTo(y);
            }
            else if (aNum != bNum)
            {
                c = aNum ? 1 : -1; // numbers sort after strings
            }
            else
            {
                c = string.CompareOrdinal(a[i], b[i]);
            }

            if (c != 0)
            {
                return c;
            }
        }

        return a.Length.CompareTo(b.Length);
    }

    public bool Equals(PythonVersion? other) => other is not null && CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is PythonVersion v && Equals(v);

    public override int GetHashCode()
    {
        var trimmed = Release.Reverse().SkipWhile(r => r.IsZero).Reverse();
        var h = new HashCode();
        h.Add(Epoch);
        foreach (var r in trimmed)
        {
            h.Add(r);
        }

        h.Add(Pre);
        h.Add(Post);
        h.Add(Dev);
        foreach (var l in Local)
        {
            // "00" and "0" are equal local segments: hash numbers by value.
            h.Add(BigInteger.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n.ToString(CultureInfo.InvariantCulture) : l);
        }

        return h.ToHashCode();
    }

    public static bool operator ==(PythonVersion? a, PythonVersion? b) => a is null ? b is null : a.Equals(b);

    public static bool operator !=(PythonVersion? a, PythonVersion? b) => !(a == b);

    public static bool operator <(PythonVersion a, PythonVersion b) => a is not null && a.CompareTo(b) < 0;

    public static bool operator >(PythonVersion a, PythonVersion b) => a is not null && a.CompareTo(b) > 0;

    public static bool operator <=(PythonVersion a, PythonVersion b) => a is not null && a.CompareTo(b) <= 0;

    public static bool operator >=(PythonVersion a, PythonVersion b) => a is not null && a.CompareTo(b) >= 0;
}
