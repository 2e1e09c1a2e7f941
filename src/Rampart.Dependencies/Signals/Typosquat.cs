using System.Collections.Frozen;
using Rampart.Dependencies.Pep440;

namespace Rampart.Dependencies.Signals;

/// <summary>
/// Names that imitate a popular ML package: one edit away (Damerau-Levenshtein distance 1: one letter added,
/// removed, changed, or two neighbours swapped), separators dropped or moved, or a popular name wrapped in a
/// common prefix or suffix ("python-torch", "numpy-py"). Names on the list are never reported.
/// </summary>
public sealed class Typosquat
{
    private static readonly string[] Prefixes = ["python-", "py-", "py", "python3-", "pip-", "the-"];
    private static readonly string[] Suffixes = ["-python", "-py", "py", "-lib", "-python3", "-pkg", "-package", "-sdk", "s"];

    private static readonly Lazy<Typosquat> LazyDefault = new(() => new Typosquat(LoadEmbedded()));

    private readonly FrozenSet<string> _popular;
    private readonly (string Name, string Squashed)[] _targets;

    public Typosquat(IEnumerable<string> popular)
    {
        _popular = popular.Select(PackageName.Normalize).Where(n => n.Length > 0).ToFrozenSet(StringComparer.Ordinal);
        _targets = [.. _popular.Where(t => t.Length >= 4).Order(StringComparer.Ordinal).Select(t => (t, t.Replace("-", "", StringComparison.Ordinal)))];
    }

    /// <summary>The list shipped in rules/data/popular-ml-packages.txt.</summary>
    public static Typosquat Default => LazyDefault.Value;

    public IReadOnlySet<string> Popular => _popular;

    /// <summary>The popular package <paramref name="name"/> imitates and how, or null.</summary>
    public (string Target, string How)? Check(string name)
    {
        var n = PackageName.Normalize(name);
        if (_popular.Contains(n) || n.Length < 4)
        {
            return null;
        }

        // Checked without allocating per candidate: this runs for every dependency of every manifest.
        var squashed = n.Replace("-", "", StringComparison.Ordinal);
        foreach (var (target, targetSquashed) in _targets)
        {
            if (squashed == targetSquashed)
            {
                return (target, "the same letters with different separators");
            }

            if (target.Length >= 5 && Math.Abs(target.Length - n.Length) <= 1 && Distance(n, target) == 1)
            {
                return (target, "one edit away");
            }
        }

        foreach (var (target, _) in _targets)
        {
            if (n.Length <= target.Length)
            {
                continue;
            }

            foreach (var p in Prefixes)
            {
                if (n.Length == p.Length + target.Length && n.StartsWith(p, StringComparison.Ordinal) && n.EndsWith(target, StringComparison.Ordinal))
                {
                    return (target, $"the popular name with the prefix '{p}'");
                }
            }

            foreach (var x in Suffixes)
            {
                if (n.Length == target.Length + x.Length && n.StartsWith(target, StringComparison.Ordinal) && n.EndsWith(x, StringComparison.Ordinal))
                {
                    return (target, $"the popular name with the suffix '{x}'");
                }
            }
        }

        return null;
    }

    /// <summary>Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions).</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (b.Length > 256 || a.Length > 256)
        {
            return Math.Abs(a.Length - b.Length) + 1; // package names are short; never a huge matrix
        }

        // Three rolling rows: the one before the previous is needed for transpositions.
        Span<int> before = stackalloc int[b.Length + 1];
        Span<int> previous = stackalloc int[b.Length + 1];
        Span<int> current = stackalloc int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    current[j] = Math.Min(current[j], before[j - 2] + 1);
                }
            }

            var recycled = before;
            before = previous;
            previous = current;
            current = recycled;
        }

        return previous[b.Length];
    }

    private static List<string> LoadEmbedded()
    {
        using var stream = typeof(Typosquat).Assembly.GetManifestResourceStream("data/popular-ml-packages.txt")
            ?? throw new InvalidOperationException("the popular package list is not embedded");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            var t = line.Trim();
            if (t.Length > 0 && !t.StartsWith('#'))
            {
                lines.Add(t);
            }
        }

        return lines;
    }
}
