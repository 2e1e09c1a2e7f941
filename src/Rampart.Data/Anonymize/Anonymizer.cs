using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using nietras.SeparatedValues;
using Rampart.Data.Reading;
using Rampart.Data.Scan;

namespace Rampart.Data.Anonymize;

/// <summary>One released differentially private value.</summary>
public sealed record DpRelease(string Query, string? Group, double Value, double Epsilon, double Delta, string Mechanism, double Scale);

/// <summary>What an anonymisation produced and whether it met the policy.</summary>
public sealed record AnonymizationResult(long RowsIn, long RowsOut, long Suppressed, int K, int L, int RequiredK, int RequiredL, long Classes, IReadOnlyList<DpRelease> Releases, double EpsilonSpent, double DeltaSpent, double BudgetEpsilon, double BudgetDelta)
{
    /// <summary>Whether k-anonymity and l-diversity were reached over the rows written.</summary>
    public bool Satisfied => K >= RequiredK && L >= RequiredL;

    public string ToJson()
    {
        var o = new JsonObject
        {
            ["rowsIn"] = RowsIn,
            ["rowsOut"] = RowsOut,
            ["suppressedRows"] = Suppressed,
            ["equivalenceClasses"] = Classes,
            ["k"] = K,
            ["requiredK"] = RequiredK,
            ["l"] = L,
            ["requiredL"] = RequiredL,
            ["satisfied"] = Satisfied,
            ["privacyBudget"] = new JsonObject { ["epsilon"] = BudgetEpsilon, ["delta"] = BudgetDelta, ["epsilonSpent"] = EpsilonSpent, ["deltaSpent"] = DeltaSpent, ["epsilonRemaining"] = Math.Max(0, BudgetEpsilon - EpsilonSpent) },
            ["releases"] = new JsonArray([.. Releases.Select(r => (JsonNode)new JsonObject
            {
                ["query"] = r.Query,
                ["group"] = r.Group,
                ["value"] = r.Value,
                ["mechanism"] = r.Mechanism,
                ["epsilon"] = r.Epsilon,
                ["delta"] = r.Delta,
                ["noiseScale"] = r.Scale,
            })]),
        };
        return o.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }
}

/// <summary>
/// Applies an <see cref="AnonymizationPolicy"/> in two streaming passes: the first counts the equivalence classes of
/// the transformed quasi-identifiers (and the distinct sensitive values in each, up to l); the second writes the rows
/// of classes with at least k rows (record suppression of the rest) as CSV. Memory is one entry per class. The
/// differentially private aggregates are computed on the original rows (clamped to the declared bounds) with noise
/// from a cryptographic random source; their epsilons add up (sequential composition) and must fit the budget.
/// </summary>
public static class Anonymizer
{
    public static AnonymizationResult Run(string input, string output, AnonymizationPolicy policy, Func<double>? uniform = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        uniform ??= SecureUniform;
        IReadOnlyList<string> columns;
        var classes = new Dictionary<string, (long Count, HashSet<string> Sensitive)>(StringComparer.Ordinal);
        var aggregates = policy.Queries.Select(_ => new Aggregate()).ToList();
        long rowsIn = 0;
        using (var source = DatasetReader.Open(input))
        {
            int[]? qi = null;
            var sensitive = -1;
            foreach (var row in source.ReadRows(cancellationToken))
            {
                if (qi is null)
                {
                    qi = [.. policy.QuasiIdentifiers.Select(q => Index(source.Columns, q))];
                    sensitive = policy.Sensitive is null ? -1 : Index(source.Columns, policy.Sensitive);
                    foreach (var name in policy.Columns.Keys.Concat(policy.Queries.SelectMany(q => new[] { q.Column, q.By }).OfType<string>()))
                    {
                        _ = Index(source.Columns, name);
                    }
                }

                rowsIn++;
                var key = ClassKey(row.Values, qi, source.Columns, policy);
                if (!classes.TryGetValue(key, out var entry))
                {
                    entry = (0, new HashSet<string>(StringComparer.Ordinal));
                }

                if (sensitive >= 0 && entry.Sensitive.Count < Math.Max(policy.L, 1))
                {
                    entry.Sensitive.Add(row.Values[sensitive] ?? string.Empty);
                }

                classes[key] = (entry.Count + 1, entry.Sensitive);
                for (var i = 0; i < policy.Queries.Count; i++)
                {
                    aggregates[i].Add(policy.Queries[i], row.Values, source.Columns);
                }
            }

            Fail(source);
            columns = source.Columns;
        }

        var kept = classes.Where(c => c.Value.Count >= policy.K).ToList();
        long rowsOut = 0;
        using (var source = DatasetReader.Open(input))
        {
            var qi = policy.QuasiIdentifiers.Select(q => Index(columns, q)).ToArray();
            var outColumns = columns.Select((c, i) => (Name: c, Index: i)).Where(c => Rule(policy, c.Name).Action != ColumnAction.Suppress).ToList();
            using var writer = Sep.New(',').Writer(o => o with { Escape = true }).ToFile(output);
            foreach (var row in source.ReadRows(cancellationToken))
            {
                if (classes[ClassKey(row.Values, qi, columns, policy)].Count < policy.K)
                {
                    continue;
                }

                using var line = writer.NewRow(cancellationToken);
                foreach (var (name, index) in outColumns)
                {
                    line[name].Set(Transform(Rule(policy, name), row.Values[index], policy.HashKey));
                }

                rowsOut++;
            }

            Fail(source);
        }

        var releases = new List<DpRelease>();
        for (var i = 0; i < policy.Queries.Count; i++)
        {
            releases.AddRange(aggregates[i].Release(policy.Queries[i], uniform));
        }

        return new AnonymizationResult(rowsIn, rowsOut, rowsIn - rowsOut, kept.Count == 0 ? 0 : (int)Math.Min(int.MaxValue, kept.Min(c => c.Value.Count)),
            policy.Sensitive is null ? policy.L : kept.Count == 0 ? 0 : kept.Min(c => c.Value.Sensitive.Count), policy.K, policy.L, kept.Count,
            releases, policy.Queries.Sum(q => q.Epsilon), policy.Queries.Sum(q => q.Delta), policy.BudgetEpsilon, policy.BudgetDelta);
    }

    /// <summary>The value after its column's rule.</summary>
    public static string Transform(ColumnRule rule, string? value, byte[]? key)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (value is null)
        {
            return string.Empty;
        }

        switch (rule.Action)
        {
            case ColumnAction.Mask:
                var keep = Math.Min(rule.Keep, value.Length / 2);
                return new string('*', value.Length - keep) + value[^keep..];
            case ColumnAction.Hash:
                return Convert.ToHexStringLower(HMACSHA256.HashData(key!, Encoding.UTF8.GetBytes(value)))[..32];
            case ColumnAction.Generalize when rule.Year:
                return value.Length >= 4 && value[..4].All(char.IsAsciiDigit) ? value[..4] : "*";
            case ColumnAction.Generalize when rule.BinWidth > 0:
                if (!ColumnStats.TryNumber(value, out var number))
                {
                    return "*";
                }

                var low = Math.Floor(number / rule.BinWidth) * rule.BinWidth;
                return string.Create(CultureInfo.InvariantCulture, $"{low:0.###}-{low + rule.BinWidth:0.###}");
            case ColumnAction.Generalize:
                return value.Length <= rule.Keep ? value : value[..rule.Keep] + new string('*', value.Length - rule.Keep);
            default:
                return value;
        }
    }

    private static ColumnRule Rule(AnonymizationPolicy policy, string column) =>
        policy.Columns.TryGetValue(column, out var rule) ? rule : new ColumnRule(ColumnAction.Keep);

    private static string ClassKey(string?[] values, int[] qi, IReadOnlyList<string> columns, AnonymizationPolicy policy) =>
        string.Join("\u001f", qi.Select(i => Transform(Rule(policy, columns[i]), values[i], policy.HashKey)));

    private static int Index(IReadOnlyList<string> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (string.Equals(columns[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new AnonymizationException($"the policy names column '{name}', which the dataset does not have (columns: {string.Join(", ", columns)})");
    }

    private static void Fail(DatasetSource source)
    {
        if (source.Failure is { } failure)
        {
            throw new AnonymizationException($"the dataset could not be read to the end, so nothing trustworthy can be released: {failure}");
        }
    }

    /// <summary>A uniform double in (0, 1) from the operating system's cryptographic generator.</summary>
    public static double SecureUniform()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return ((BitConverter.ToUInt64(bytes) >> 11) + 0.5) / (1UL << 53);
    }

    /// <summary>Laplace noise of scale b, by the inverse CDF.</summary>
    public static double Laplace(double b, Func<double> uniform)
    {
        ArgumentNullException.ThrowIfNull(uniform);
        var u = uniform() - 0.5;
        return -b * Math.Sign(u) * Math.Log(1 - (2 * Math.Abs(u)));
    }

    /// <summary>Gaussian noise of standard deviation sigma (Box-Muller).</summary>
    public static double Gaussian(double sigma, Func<double> uniform)
    {
        ArgumentNullException.ThrowIfNull(uniform);
        return sigma * Math.Sqrt(-2 * Math.Log(uniform())) * Math.Cos(2 * Math.PI * uniform());
    }

    private sealed class Aggregate
    {
        private readonly SortedDictionary<string, long> _counts = new(StringComparer.Ordinal);
        private double _sum;
        private long _count;

        public void Add(DpQuery query, string?[] values, IReadOnlyList<string> columns)
        {
            if (query.Statistic == "count")
            {
                var group = query.By is null ? "*" : values[Index(columns, query.By)] ?? string.Empty;
                _counts[group] = _counts.GetValueOrDefault(group) + 1;
                return;
            }

            var v = values[Index(columns, query.Column!)];
            if (v is not null && ColumnStats.TryNumber(v, out var x))
            {
                _sum += Math.Clamp(x, query.Lower, query.Upper);
                _count++;
            }
        }

        /// <summary>
        /// Count: each row changes one group's count by 1 (sensitivity 1; disjoint groups share the epsilon). Sum:
        /// sensitivity max(|lower|, |upper|). Mean: half the epsilon (and delta) for a noisy sum, half for a noisy count.
        /// Laplace scale = sensitivity / epsilon; Gaussian sigma = sensitivity * sqrt(2 ln(1.25 / delta)) / epsilon.
        /// Group names of a count by a column are themselves data: release only columns whose values are public categories.
        /// </summary>
        public IEnumerable<DpRelease> Release(DpQuery q, Func<double> uniform)
        {
            double Noise(double sensitivity, double epsilon, double delta, out double scale)
            {
                scale = q.Mechanism == "gaussian" ? sensitivity * Math.Sqrt(2 * Math.Log(1.25 / delta)) / epsilon : sensitivity / epsilon;
                return q.Mechanism == "gaussian" ? Gaussian(scale, uniform) : Laplace(scale, uniform);
            }

            var name = q.Statistic + (q.Column is null ? string.Empty : $"({q.Column})") + (q.By is null ? string.Empty : $" by {q.By}");
            if (q.Statistic == "count")
            {
                foreach (var (group, count) in _counts)
                {
                    var noisy = count + Noise(1, q.Epsilon, q.Delta, out var scale);
                    yield return new DpRelease(name, q.By is null ? null : group, Math.Max(0, Math.Round(noisy)), q.Epsilon, q.Delta, q.Mechanism, scale);
                }

                yield break;
            }

            var sensitivity = Math.Max(Math.Abs(q.Lower), Math.Abs(q.Upper));
            if (q.Statistic == "sum")
            {
                yield return new DpRelease(name, null, _sum + Noise(sensitivity, q.Epsilon, q.Delta, out var s), q.Epsilon, q.Delta, q.Mechanism, s);
                yield break;
            }

            var noisySum = _sum + Noise(sensitivity, q.Epsilon / 2, q.Delta / 2, out var sumScale);
            var noisyCount = Math.Max(1, _count + Noise(1, q.Epsilon / 2, q.Delta / 2, out _));
            yield return new DpRelease(name, null, Math.Clamp(noisySum / noisyCount, q.Lower, q.Upper), q.Epsilon, q.Delta, q.Mechanism, sumScale);
        }
    }
}
