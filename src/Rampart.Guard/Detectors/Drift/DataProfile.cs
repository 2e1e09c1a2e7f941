using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Rampart.Text.Statistics;

namespace Rampart.Guard.Detectors.Drift;

/// <summary>One column of a reference profile: a quantile sketch for numbers, the most frequent values for categories, and the missing rate.</summary>
public sealed record FeatureProfile(string Name, bool IsNumeric, bool IsPrediction, long Count, long Missing, KllSketch Sketch, ImmutableDictionary<string, long> TopValues, long OtherValues)
{
    public double MissingRate => Count == 0 ? 0 : (double)Missing / Count;

    /// <summary>Decile edges of the reference: the bins PSI and JS compare.</summary>
    public ImmutableArray<double> Edges => [.. Enumerable.Range(1, 9).Select(i => Sketch.Quantile(i / 10.0)).Distinct()];
}

/// <summary>A reference profile of training data (or of the predictions a model made on it), written by `rampart profile build`.</summary>
public sealed record DataProfile(long Rows, ImmutableArray<FeatureProfile> Features)
{
    public const int TopK = 32;

    /// <summary>Builds a profile; values parse as numbers where at least 95% of a column's non-missing values do.</summary>
    public static DataProfile Build(IEnumerable<IReadOnlyDictionary<string, string?>> rows, string? predictionColumn = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var columns = new Dictionary<string, ColumnBuilder>(StringComparer.Ordinal);
        var order = new List<string>();
        long count = 0;
        foreach (var row in rows)
        {
            count++;
            foreach (var (name, value) in row)
            {
                if (!columns.TryGetValue(name, out var column))
                {
                    columns[name] = column = new ColumnBuilder(count - 1);
                    order.Add(name);
                }

                column.Add(value);
            }

            foreach (var name in order)
            {
                if (!row.ContainsKey(name))
                {
                    columns[name].Add(null);
                }
            }
        }

        return new DataProfile(count, [.. order.Select(n => columns[n].Build(n, n == predictionColumn))]);
    }

    internal sealed class ColumnBuilder(long missingBefore)
    {
        private readonly KllSketch _sketch = new();
        private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
        private long _count = missingBefore;
        private long _missing = missingBefore;
        private long _numbers;
        private long _other;

        public void Add(string? value)
        {
            _count++;
            if (string.IsNullOrWhiteSpace(value) || value is "NA" or "NaN" or "null")
            {
                _missing++;
                return;
            }

            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            {
                _numbers++;
                _sketch.Add(d);
            }

            // Misra-Gries: at most TopK * 2 counters, so a column of unique ids costs bounded memory
            if (_counts.TryGetValue(value, out var c))
            {
                _counts[value] = c + 1;
            }
            else if (_counts.Count < TopK * 2)
            {
                _counts[value] = 1;
            }
            else
            {
                _other++;
                foreach (var key in _counts.Keys.ToList())
                {
                    if (--_counts[key] == 0)
                    {
                        _counts.Remove(key);
                    }
                }
            }
        }

        public FeatureProfile Build(string name, bool prediction)
        {
            var present = _count - _missing;
            var numeric = present > 0 && _numbers >= present * 0.95;
            var top = _counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(TopK).ToImmutableDictionary(StringComparer.Ordinal);
            return new FeatureProfile(name, numeric, prediction, _count, _missing, _sketch, top, present - top.Values.Sum());
        }
    }

    public void Write(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", "rampart-profile/1");
        w.WriteNumber("rows", Rows);
        w.WriteStartArray("features");
        foreach (var f in Features)
        {
            w.WriteStartObject();
            w.WriteString("name", f.Name);
            w.WriteString("kind", f.IsNumeric ? "numeric" : "categorical");
            w.WriteBoolean("prediction", f.IsPrediction);
            w.WriteNumber("count", f.Count);
            w.WriteNumber("missing", f.Missing);
            w.WriteStartObject("sketch");
            w.WriteNumber("k", f.Sketch.K);
            w.WriteNumber("count", f.Sketch.Count);
            w.WriteNumber("min", f.Sketch.Count == 0 ? 0 : f.Sketch.Min);
            w.WriteNumber("max", f.Sketch.Count == 0 ? 0 : f.Sketch.Max);
            w.WriteStartArray("items");
            foreach (var (v, level) in f.Sketch.LeveledItems())
            {
                w.WriteStartArray();
                w.WriteNumberValue(v);
                w.WriteNumberValue(level);
                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("top");
            foreach (var (k, v) in f.TopValues.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal))
            {
                w.WriteNumber(k, v);
            }

            w.WriteEndObject();
            w.WriteNumber("other", f.OtherValues);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Reads a profile; anything unexpected is an <see cref="InvalidDataException"/>.</summary>
    public static DataProfile Read(Stream stream)
    {
        try
        {
            using var doc = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 8 });
            var root = doc.RootElement;
            if (root.GetProperty("format").GetString() != "rampart-profile/1")
            {
                throw new InvalidDataException("not a rampart-profile/1 document");
            }

            var features = ImmutableArray.CreateBuilder<FeatureProfile>();
            foreach (var f in root.GetProperty("features").EnumerateArray())
            {
                var s = f.GetProperty("sketch");
                var sketch = KllSketch.FromItems(
                    s.GetProperty("items").EnumerateArray().Select(i => (i[0].GetDouble(), i[1].GetInt32())),
                    s.GetProperty("count").GetInt64(), s.GetProperty("min").GetDouble(), s.GetProperty("max").GetDouble(), s.GetProperty("k").GetInt32());
                features.Add(new FeatureProfile(
                    f.GetProperty("name").GetString()!,
                    f.GetProperty("kind").GetString() switch { "numeric" => true, "categorical" => false, var k => throw new InvalidDataException($"unknown kind '{k}'") },
                    f.GetProperty("prediction").GetBoolean(),
                    f.GetProperty("count").GetInt64(),
                    f.GetProperty("missing").GetInt64(),
                    sketch,
                    f.GetProperty("top").EnumerateObject().ToImmutableDictionary(p => p.Name, p => p.Value.GetInt64(), StringComparer.Ordinal),
                    f.GetProperty("other").GetInt64()));
            }

            return new DataProfile(root.GetProperty("rows").GetInt64(), features.ToImmutable());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"malformed profile: {e.Message}", e);
        }
    }
}
