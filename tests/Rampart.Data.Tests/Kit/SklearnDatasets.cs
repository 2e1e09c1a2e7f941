using Rampart.TestKit;

namespace Rampart.Data.Tests.Kit;

/// <summary>scikit-learn's bundled datasets, exported by Debian's Python (<see cref="DebianPython"/>) for the real-data tests.</summary>
internal static class SklearnDatasets
{
    /// <summary>
    /// Writes scikit-learn's bundled dataset <paramref name="name"/> (load_digits, load_iris, load_wine, load_breast_cancer)
    /// as CSV: the feature columns (spaces in names replaced by underscores) and "label". No network: these ship with sklearn.
    /// </summary>
    public static string Export(string name, string path)
    {
        var script = $$"""
            import csv, sklearn.datasets as d
            b = d.{{name}}()
            names = [str(n).replace(' ', '_') for n in getattr(b, 'feature_names', [])] or ['f%d' % i for i in range(b.data.shape[1])]
            with open({{Quote(path)}}, 'w', newline='') as f:
                w = csv.writer(f, lineterminator='\n')
                w.writerow(names + ['label'])
                for x, y in zip(b.data, b.target):
                    w.writerow([repr(float(v)) if float(v) != int(v) else str(int(v)) for v in x] + [str(int(y))])
            """;
        var (code, output) = DebianPython.Run(["-c", script]);
        if (code != 0)
        {
            throw new InvalidOperationException($"exporting {name} failed: {output}");
        }

        return path;
    }

    private static string Quote(string s) => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}

/// <summary>A fact skipped, with the reason, where Debian's Python lacks scikit-learn.</summary>
public sealed class SklearnFactAttribute() : DebianPythonFactAttribute("sklearn", "numpy");
