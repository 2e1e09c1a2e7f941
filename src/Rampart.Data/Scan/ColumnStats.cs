using System.Globalization;
using Rampart.Text.Statistics;

namespace Rampart.Data.Scan;

/// <summary>What a column's values are, judged from the values.</summary>
public enum ColumnKind
{
    /// <summary>No values.</summary>
    Empty,

    /// <summary>At least 95% of the values parse as numbers.</summary>
    Numeric,

    /// <summary>Short strings or codes (few spaces).</summary>
    Categorical,

    /// <summary>Free text: long values, mostly with spaces.</summary>
    Text,
}

/// <summary>One column's streaming profile: counts, a quantile sketch of its numbers and its most frequent values.</summary>
public sealed class ColumnStats(string name)
{
    /// <summary>Distinct values counted exactly; beyond it new values are only counted in total.</summary>
    public const int MaxTracked = 5000;

    private readonly Dictionary<string, long> _values = new(StringComparer.Ordinal);

    public string Name { get; } = name;

    public long Missing { get; private set; }

    public long Present { get; private set; }

    public long Numbers { get; private set; }

    public long WithSpaces { get; private set; }

    public long TotalLength { get; private set; }

    /// <summary>Whether more distinct values were seen than <see cref="MaxTracked"/>.</summary>
    public bool Overflow { get; private set; }

    public KllSketch Sketch { get; } = new();

    public IReadOnlyDictionary<string, long> Values => _values;

    public void Add(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            Missing++;
            return;
        }

        Present++;
        TotalLength += value.Length;
        if (TryNumber(value, out var number))
        {
            Numbers++;
            Sketch.Add(number);
        }
        else if (value.Contains(' ', StringComparison.Ordinal))
        {
            WithSpaces++;
        }

        if (_values.TryGetValue(value, out var count))
        {
            _values[value] = count + 1;
        }
        else if (_values.Count < MaxTracked)
        {
            _values[value] = 1;
        }
        else
        {
            Overflow = true;
        }
    }

    public ColumnKind Kind =>
        Present == 0 ? ColumnKind.Empty
        : Numbers >= 0.95 * Present ? ColumnKind.Numeric
        : TotalLength / (double)Present >= 20 && WithSpaces >= 0.5 * Present ? ColumnKind.Text
        : ColumnKind.Categorical;

    public static bool TryNumber(string value, out double number) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out number) && double.IsFinite(number);
}
