using Rampart.RedTeam.Reports;

namespace Rampart.RedTeam.Classic;

/// <summary>ROC analysis of a membership attack's scores (higher score: more likely a member).</summary>
public static class Metrics
{
    /// <summary>Area under the ROC curve (Mann-Whitney U, ties counted half).</summary>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(positive);
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        var ranks = new double[scores.Count];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }

            for (var k = i; k <= j; k++)
            {
                ranks[order[k]] = (i + j) / 2.0 + 1;
            }

            i = j + 1;
        }

        var pos = positive.Count(p => p);
        var neg = positive.Count - pos;
        if (pos == 0 || neg == 0)
        {
            return 0.5;
        }

        var rankSum = Enumerable.Range(0, scores.Count).Where(i => positive[i]).Sum(i => ranks[i]);
        return (rankSum - (pos * (pos + 1) / 2.0)) / (pos * (double)neg);
    }

    /// <summary>The ROC curve: one point per distinct threshold, from (0,0) to (1,1).</summary>
    public static IReadOnlyList<CurvePoint> Roc(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(positive);
        var pos = Math.Max(1, positive.Count(p => p));
        var neg = Math.Max(1, positive.Count - positive.Count(p => p));
        var points = new List<CurvePoint> { new(0, 0) };
        int tp = 0, fp = 0;
        foreach (var group in Enumerable.Range(0, scores.Count).GroupBy(i => scores[i]).OrderByDescending(g => g.Key))
        {
            tp += group.Count(i => positive[i]);
            fp += group.Count(i => !positive[i]);
            points.Add(new CurvePoint(fp / (double)neg, tp / (double)pos));
        }

        return points;
    }

    /// <summary>The best true-positive rate among thresholds whose false-positive rate is at most <paramref name="fpr"/>.</summary>
    public static double TprAtFpr(IReadOnlyList<CurvePoint> roc, double fpr)
    {
        ArgumentNullException.ThrowIfNull(roc);
        return roc.Where(p => p.X <= fpr + 1e-12).Max(p => p.Y);
    }

    /// <summary>Keeps at most <paramref name="max"/> points of a curve (for charts), always the first and last.</summary>
    public static IReadOnlyList<CurvePoint> Thin(IReadOnlyList<CurvePoint> points, int max)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count <= max)
        {
            return points;
        }

        var step = (points.Count - 1) / (double)(max - 1);
        return [.. Enumerable.Range(0, max).Select(i => points[(int)Math.Round(i * step)])];
    }
}
