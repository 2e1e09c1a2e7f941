using System.Diagnostics;

namespace Rampart.Data.Tests.Kit;

/// <summary>Debian's /usr/bin/python3 with scikit-learn, which exports its bundled datasets for the real-data tests.</summary>
internal static class DebianPython
{
    public const string Path = "/usr/bin/python3";

    private static readonly Lazy<string?> LazyMissing = new(() =>
    {
        if (!File.Exists(Path))
        {
            return $"{Path} is not installed";
        }

        var (code, output) = Run("-c", "import sklearn, numpy");
        return code == 0 ? null : $"{Path} lacks scikit-learn or numpy (apt-get install python3-sklearn): {output.Trim()}";
    });

    public static string? Missing => LazyMissing.Value;

    public static (int Code, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.GetAwaiter().GetResult());
    }

    /// <summary>
    /// Writes scikit-learn's bundled dataset <paramref name="name"/> (load_digits, load_iris, load_wine, load_breast_cancer)
    /// as CSV: the feature columns (spaces in names replaced by underscores) and "label". No network: these ship with sklearn.
    /// </summary>
    public static string ExportSklearn(string name, string path)
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
        var (code, output) = Run("-c", script);
        if (code != 0)
        {
            throw new InvalidOperationException($"exporting {name} failed: {output}");
        }

        return path;
    }

    private static string Quote(string s) => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}

/// <summary>A fact skipped, with the reason, where Debian's Python lacks scikit-learn.</summary>
public sealed class SklearnFactAttribute : FactAttribute
{
    public SklearnFactAttribute()
    {
        if (DebianPython.Missing is { } reason)
        {
            Skip = reason;
        }
    }
}
