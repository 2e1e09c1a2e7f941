using System.Collections.Immutable;
using System.Globalization;
using Rampart.Core;
using Rampart.Core.Reporting;
using Rampart.Data.Reading;
using Rampart.Data.Scan;
using Rampart.Text.Statistics;

namespace Rampart.Data.Diff;

/// <summary>One column's shift between two versions.</summary>
public sealed record ColumnShift(string Column, string Kind, double? KolmogorovSmirnov, double Psi);

/// <summary>What changed between two versions of a dataset.</summary>
public sealed record DatasetDiffResult(
    string OldPath,
    string NewPath,
    long OldRows,
    long NewRows,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed,
    IReadOnlyList<(string Column, ColumnKind Old, ColumnKind New)> KindChanged,
    IReadOnlyDictionary<string, (double Old, double New)> LabelShares,
    double? LabelDivergence,
    IReadOnlyList<ColumnShift> Shifts,
    IReadOnlyList<Finding> Findings,
    IReadOnlyList<string> Warnings)
{
    public ScanReport ToReport(ToolInfo tool, DateTimeOffset startedAt, TimeSpan duration, Severity failOn)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var verdict = Findings.Aggregate(Verdict.Clean, (v, f) => v.Worst(f.Verdict));
        var facts = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, string>
        {
            ["old"] = OldPath,
            ["old-rows"] = OldRows.ToString(CultureInfo.InvariantCulture),
            ["new-rows"] = NewRows.ToString(CultureInfo.InvariantCulture),
        });
        return new ScanReport(tool, startedAt, duration, [OldPath, NewPath], failOn,
            [new ArtifactReport(NewPath, null, ["dataset-diff"], null, ArtifactStatus.Scanned, verdict, null, facts)], [.. Findings], [], [.. Warnings], DataRules.Catalog);
    }
}

/// <summary>
/// `rampart data diff OLD NEW`: schema (columns added, removed, changed kind), class balance (Jensen-Shannon divergence
/// of the label shares) and per-column distribution shift (Kolmogorov-Smirnov and PSI over the old version's deciles for
/// numeric columns, PSI over the old top values for categorical ones), with the runtime guard's drift statistics.
/// </summary>
public static class DatasetDiff
{
    public const double KsThreshold = 0.1;
    public const double PsiThreshold = 0.2;
    public const double DivergenceThreshold = 0.01;
    public const double ShareThreshold = 0.05;

    public static DatasetDiffResult Compare(string oldPath, string newPath, string? labelColumn = null, DataLimits? limits = null, CancellationToken cancellationToken = default)
    {
        var warnings = new List<string>();
        var (oldColumns, oldStats, oldRows, oldFailure) = Profile(oldPath, limits, cancellationToken);
        var (newColumns, newStats, newRows, newFailure) = Profile(newPath, limits, cancellationToken);
        var f = new DatasetScanner.FindingFactory(newPath);
        var findings = new List<Finding>();
        foreach (var (path, failure) in new[] { (oldPath, oldFailure), (newPath, newFailure) })
        {
            if (failure is not null)
            {
                findings.Add(new DatasetScanner.FindingFactory(path).Make(DataRules.Unreadable, $"The dataset could not be read to the end: {failure}.", [], [], new() { ["reason"] = failure }));
            }
        }

        var added = newColumns.Where(c => !oldColumns.Contains(c, StringComparer.Ordinal)).ToList();
        var removed = oldColumns.Where(c => !newColumns.Contains(c, StringComparer.Ordinal)).ToList();
        var changed = oldColumns.Intersect(newColumns, StringComparer.Ordinal)
            .Select(c => (Column: c, Old: oldStats[c].Kind, New: newStats[c].Kind))
            .Where(x => x.Old != x.New && (x.Old == ColumnKind.Numeric || x.New == ColumnKind.Numeric)).ToList();
        if (added.Count + removed.Count + changed.Count > 0)
        {
            var parts = new List<string>();
            if (added.Count > 0)
            {
                parts.Add($"added {string.Join(", ", added.Select(c => $"'{c}'"))}");
            }

            if (removed.Count > 0)
            {
                parts.Add($"removed {string.Join(", ", removed.Select(c => $"'{c}'"))}");
            }

            parts.AddRange(changed.Select(c => $"'{c.Column}' changed from {c.Old.ToString().ToLowerInvariant()} to {c.New.ToString().ToLowerInvariant()}"));
            findings.Add(f.Make(DataRules.SchemaChange, $"The schema changed: {string.Join("; ", parts)}.", [], [],
                new() { ["added"] = string.Join(",", added), ["removed"] = string.Join(",", removed) }));
        }

        var oldLabel = DatasetScanner.FindLabel(oldColumns, labelColumn);
        var newLabel = DatasetScanner.FindLabel(newColumns, labelColumn);
        var shares = new Dictionary<string, (double Old, double New)>(StringComparer.Ordinal);
        double? divergence = null;
        if (oldLabel >= 0 && newLabel >= 0 && oldColumns[oldLabel] == newColumns[newLabel])
        {
            var o = oldStats[oldColumns[oldLabel]];
            var n = newStats[newColumns[newLabel]];
            var labels = o.Values.Keys.Union(n.Values.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var p = labels.Select(l => o.Values.GetValueOrDefault(l) / (double)Math.Max(1, o.Present)).ToArray();
            var q = labels.Select(l => n.Values.GetValueOrDefault(l) / (double)Math.Max(1, n.Present)).ToArray();
            for (var i = 0; i < labels.Count; i++)
            {
                shares[labels[i]] = (p[i], q[i]);
            }

            divergence = DriftMetrics.JensenShannon(p, q);
            var moved = labels.Select((l, i) => (Label: l, Old: p[i], New: q[i])).Where(x => Math.Abs(x.New - x.Old) >= ShareThreshold || (x.Old == 0) != (x.New == 0)).ToList();
            if (divergence >= DivergenceThreshold || moved.Count > 0)
            {
                findings.Add(f.Make(DataRules.ClassBalanceShift,
                    string.Create(CultureInfo.InvariantCulture, $"The label shares moved (Jensen-Shannon divergence {divergence:0.0000} bits): {string.Join(", ", moved.Select(m => $"'{m.Label}' {m.Old:P1} -> {m.New:P1}"))}."),
                    [], [], new() { ["divergence"] = divergence.Value.ToString("0.#####", CultureInfo.InvariantCulture), ["column"] = oldColumns[oldLabel] }));
            }
        }
        else
        {
            warnings.Add("no label column in both versions: class balance was not compared");
        }

        var shifts = new List<ColumnShift>();
        foreach (var column in oldColumns.Intersect(newColumns, StringComparer.Ordinal))
        {
            if (oldLabel >= 0 && column == oldColumns[oldLabel])
            {
                continue;
            }

            var o = oldStats[column];
            var n = newStats[column];
            if (o.Kind == ColumnKind.Numeric && n.Kind == ColumnKind.Numeric && o.Sketch.Count > 0 && n.Sketch.Count > 0)
            {
                var edges = Enumerable.Range(1, 9).Select(i => o.Sketch.Quantile(i / 10.0)).Distinct().ToArray();
                var psi = DriftMetrics.Psi(DriftMetrics.Histogram(o.Sketch, edges), DriftMetrics.Histogram(n.Sketch, edges));
                var ks = DriftMetrics.KolmogorovSmirnov(o.Sketch, n.Sketch);
                shifts.Add(new ColumnShift(column, "numeric", ks, psi));
                if (ks >= KsThreshold || psi >= PsiThreshold)
                {
                    findings.Add(f.Make(DataRules.DistributionShift,
                        string.Create(CultureInfo.InvariantCulture, $"Column '{column}' shifted: KS {ks:0.000}, PSI {psi:0.000}; median {o.Sketch.Quantile(0.5):0.###} -> {n.Sketch.Quantile(0.5):0.###}."),
                        [], [], new() { ["column"] = column, ["ks"] = ks.ToString("0.####", CultureInfo.InvariantCulture), ["psi"] = psi.ToString("0.####", CultureInfo.InvariantCulture) }));
                }
            }
            else if (o.Kind == ColumnKind.Categorical && n.Kind == ColumnKind.Categorical)
            {
                var top = o.Values.OrderByDescending(v => v.Value).Take(20).Select(v => v.Key).ToList();
                double[] Shares(ColumnStats s) => [.. top.Select(t => s.Values.GetValueOrDefault(t) / (double)Math.Max(1, s.Present)), 1 - top.Sum(t => s.Values.GetValueOrDefault(t) / (double)Math.Max(1, s.Present))];
                var psi = DriftMetrics.Psi(Shares(o), Shares(n));
                shifts.Add(new ColumnShift(column, "categorical", null, psi));
                if (psi >= PsiThreshold)
                {
                    findings.Add(f.Make(DataRules.DistributionShift, string.Create(CultureInfo.InvariantCulture, $"Column '{column}' shifted: PSI {psi:0.000} over its {top.Count} most frequent old values."),
                        [], [], new() { ["column"] = column, ["psi"] = psi.ToString("0.####", CultureInfo.InvariantCulture) }));
                }
            }
        }

        return new DatasetDiffResult(oldPath, newPath, oldRows, newRows, added, removed, changed, shares, divergence, shifts, findings, warnings);
    }

    private static (IReadOnlyList<string> Columns, Dictionary<string, ColumnStats> Stats, long Rows, string? Failure) Profile(string path, DataLimits? limits, CancellationToken cancellationToken)
    {
        using var source = DatasetReader.Open(path, limits);
        var stats = new List<ColumnStats>();
        long rows = 0;
        foreach (var row in source.ReadRows(cancellationToken))
        {
            while (stats.Count < source.Columns.Count)
            {
                var s = new ColumnStats(source.Columns[stats.Count]);
                for (long k = 0; k < rows; k++)
                {
                    s.Add(null);
                }

                stats.Add(s);
            }

            for (var c = 0; c < stats.Count; c++)
            {
                stats[c].Add(c < row.Values.Length ? row.Values[c] : null);
            }

            rows++;
        }

        while (stats.Count < source.Columns.Count)
        {
            stats.Add(new ColumnStats(source.Columns[stats.Count]));
        }

        return ([.. source.Columns], stats.GroupBy(s => s.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal), rows, source.Failure);
    }
}
