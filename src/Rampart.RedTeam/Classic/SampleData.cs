using System.Globalization;
using Rampart.Core.IO;

namespace Rampart.RedTeam.Classic;

/// <summary>
/// The attacker's sample (<c>--data sample.csv</c>): a header line and numeric rows. A column named <c>label</c> holds
/// the true class (0..k-1), a column named <c>member</c> says whether the row was in the training set (1) or not (0);
/// every other column is a feature, sent to the model in file order.
/// </summary>
public sealed record SampleData(IReadOnlyList<string> FeatureNames, IReadOnlyList<double[]> Rows, IReadOnlyList<int>? Labels, IReadOnlyList<bool>? Members)
{
    public const int MaxRows = 200_000;
    public const int MaxColumns = 4_096;

    public int Width => FeatureNames.Count;

    /// <summary>Per-feature standard deviation (1 where a feature is constant): the unit of every perturbation budget.</summary>
    public double[] Scale()
    {
        var scale = new double[Width];
        for (var j = 0; j < Width; j++)
        {
            var mean = Rows.Average(r => r[j]);
            var sd = Math.Sqrt(Rows.Average(r => (r[j] - mean) * (r[j] - mean)));
            scale[j] = sd > 1e-12 ? sd : 1;
        }

        return scale;
    }

    /// <summary>
    /// Reads the CSV. Written here rather than with a CSV library because the file is only numbers and needs hard
    /// limits (rows, columns, line length) that a general reader does not enforce; quoted fields are refused.
    /// </summary>
    public static SampleData Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var lines = BoundedFile.ReadLines(path, maxLineChars: 1 << 20).GetEnumerator();
        if (!lines.MoveNext())
        {
            throw new InvalidDataException($"{path} is empty; it needs a header line and numeric rows");
        }

        var header = lines.Current.Split(',').Select(h => h.Trim()).ToArray();
        if (header.Length > MaxColumns)
        {
            throw new InvalidDataException($"{path} has {header.Length} columns (limit {MaxColumns})");
        }

        var label = Array.FindIndex(header, h => h.Equals("label", StringComparison.OrdinalIgnoreCase));
        var member = Array.FindIndex(header, h => h.Equals("member", StringComparison.OrdinalIgnoreCase));
        var features = Enumerable.Range(0, header.Length).Where(i => i != label && i != member).ToArray();
        if (features.Length == 0)
        {
            throw new InvalidDataException($"{path} has no feature columns");
        }

        var rows = new List<double[]>();
        var labels = new List<int>();
        var members = new List<bool>();
        var line = 1;
        while (lines.MoveNext())
        {
            line++;
            if (lines.Current.Trim().Length == 0)
            {
                continue;
            }

            if (rows.Count >= MaxRows)
            {
                throw new InvalidDataException($"{path} has more than {MaxRows:N0} rows");
            }

            var cells = lines.Current.Split(',');
            if (cells.Length != header.Length)
            {
                throw new InvalidDataException($"{path} line {line}: {cells.Length} cells where the header has {header.Length}");
            }

            double Number(int i) => double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? v
                : throw new InvalidDataException($"{path} line {line}: column '{header[i]}' is not a number ('{cells[i].Trim()}')");
            rows.Add([.. features.Select(Number)]);
            if (label >= 0)
            {
                var l = Number(label);
                labels.Add(l >= 0 && l == Math.Floor(l) && l < 10_000 ? (int)l : throw new InvalidDataException($"{path} line {line}: label must be a class index 0..k-1"));
            }

            if (member >= 0)
            {
                members.Add(Number(member) != 0);
            }
        }

        if (rows.Count < 10)
        {
            throw new InvalidDataException($"{path} has {rows.Count} rows; the attacks need at least 10");
        }

        return new SampleData([.. features.Select(i => header[i])], rows, label >= 0 ? labels : null, member >= 0 ? members : null);
    }
}
