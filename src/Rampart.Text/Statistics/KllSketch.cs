namespace Rampart.Text.Statistics;

/// <summary>
/// A KLL quantile sketch (Karnin, Lang, Liberty 2016) of our own: levels of compactors; when a level is full it is
/// sorted and every other item (random offset) moves up one level with double weight. Memory is O(k log(n/k)); the rank
/// error is about 1.7/k with high probability (tested against exact quantiles). Deterministic for a given seed, mergeable.
/// </summary>
public sealed class KllSketch
{
    private readonly List<List<double>> _levels = [[]];
    private readonly Random _random;

    public KllSketch(int k = 200, int seed = 17)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 8);
        K = k;
        _random = new Random(seed);
    }

    public int K { get; }

    /// <summary>Values added (NaN is not a value: count it as missing instead).</summary>
    public long Count { get; private set; }

    public double Min { get; private set; } = double.PositiveInfinity;

    public double Max { get; private set; } = double.NegativeInfinity;

    public void Add(double value)
    {
        if (double.IsNaN(value))
        {
            return;
        }

        Count++;
        Min = Math.Min(Min, value);
        Max = Math.Max(Max, value);
        _levels[0].Add(value);
        Compress();
    }

    /// <summary>Every retained item with its weight (2^level).</summary>
    public IEnumerable<(double Value, long Weight)> Items() =>
        _levels.SelectMany((level, h) => level.Select(v => (v, 1L << h)));

    /// <summary>Approximate fraction of values at or below <paramref name="x"/>.</summary>
    public double Cdf(double x)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        long below = 0, total = 0;
        foreach (var (v, w) in Items())
        {
            total += w;
            if (v <= x)
            {
                below += w;
            }
        }

        return (double)below / total;
    }

    /// <summary>Approximate q-quantile, q in [0, 1].</summary>
    public double Quantile(double q)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        var items = Items().OrderBy(i => i.Value).ToList();
        var total = items.Sum(i => i.Weight);
        var target = q * total;
        long cumulative = 0;
        foreach (var (v, w) in items)
        {
            cumulative += w;
            if (cumulative >= target)
            {
                return v;
            }
        }

        return items[^1].Value;
    }

    /// <summary>Restores a sketch from its items (as written to a profile).</summary>
    public static KllSketch FromItems(IEnumerable<(double Value, int Level)> items, long count, double min, double max, int k)
    {
        ArgumentNullException.ThrowIfNull(items);
        var sketch = new KllSketch(k) { Count = count, Min = min, Max = max };
        foreach (var (v, level) in items)
        {
            if (level is < 0 or > 62)
            {
                throw new InvalidDataException("sketch level out of range");
            }

            while (sketch._levels.Count <= level)
            {
                sketch._levels.Add([]);
            }

            sketch._levels[level].Add(v);
        }

        return sketch;
    }

    /// <summary>Items with their level, for serialisation.</summary>
    public IEnumerable<(double Value, int Level)> LeveledItems() => _levels.SelectMany((level, h) => level.Select(v => (v, h)));

    private int Capacity(int level)
    {
        // geometrically smaller capacities for lower levels (c = 2/3), at least 2
        var depth = _levels.Count - level - 1;
        return Math.Max(2, (int)Math.Ceiling(K * Math.Pow(2.0 / 3.0, depth)));
    }

    private void Compress()
    {
        for (var h = 0; h < _levels.Count; h++)
        {
            if (_levels[h].Count < Capacity(h))
            {
                continue;
            }

            if (h + 1 == _levels.Count)
            {
                _levels.Add([]);
            }

            var level = _levels[h];
            level.Sort();
            var offset = _random.Next(2);
            for (var i = offset; i < level.Count; i += 2)
            {
                _levels[h + 1].Add(level[i]);
            }

            level.Clear();
        }
    }
}
