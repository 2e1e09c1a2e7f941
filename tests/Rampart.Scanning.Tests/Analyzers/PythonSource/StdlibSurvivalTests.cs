using System.Diagnostics;
using Rampart.Scanning.Analyzers.PythonSource;
using Xunit.Abstractions;

namespace Rampart.Scanning.Tests.Analyzers.PythonSource;

/// <summary>
/// The parser against every .py file of the standard libraries installed on the machine (Debian's python3 and each
/// pyenv version): no crash ever, and at least 99% of the files of supported versions (3.8–3.13) parsed with no
/// error. The remaining files are mostly deliberate syntax errors (lib2to3 Python 2 test data, badsyntax_* tests).
/// </summary>
public sealed class StdlibSurvivalTests(ITestOutputHelper output)
{
    [StdlibFact("system", "3.11")]
    public void Parse_SystemPython311Stdlib_NoCrashAndAtLeast99Percent() => Check(StdlibFactAttribute.Find("system", "3.11")!, 0.99);

    [StdlibFact("pyenv", "3.8")]
    public void Parse_Pyenv38Stdlib_NoCrashAndAtLeast99Percent() => Check(StdlibFactAttribute.Find("pyenv", "3.8")!, 0.99);

    [StdlibFact("pyenv", "3.9")]
    public void Parse_Pyenv39Stdlib_NoCrashAndAtLeast99Percent() => Check(StdlibFactAttribute.Find("pyenv", "3.9")!, 0.99);

    [StdlibFact("pyenv", "3.10")]
    public void Parse_Pyenv310Stdlib_NoCrashAndAtLeast99Percent() => Check(StdlibFactAttribute.Find("pyenv", "3.10")!, 0.99);

    [StdlibFact("pyenv", "3.11")]
    public void Parse_Pyenv311Stdlib_NoCrashAndAtLeast99Percent() => Check(StdlibFactAttribute.Find("pyenv", "3.11")!, 0.99);

    [StdlibFact("pyenv", "3.12")]
    public void Parse_Pyenv312Stdlib_NoCrashAndAtLeast99Percent() => Check(StdlibFactAttribute.Find("pyenv", "3.12")!, 0.99);

    [StdlibFact("pyenv", "3.13")]
    public void Parse_Pyenv313Stdlib_NoCrashAndAtLeast99Percent() => Check(StdlibFactAttribute.Find("pyenv", "3.13")!, 0.99);

    /// <summary>Older versions are outside the supported range: no crash required, the rate is only reported.</summary>
    [StdlibFact("pyenv", "3.6")]
    public void Parse_Pyenv36Stdlib_NoCrash() => Check(StdlibFactAttribute.Find("pyenv", "3.6")!, 0.0);

    [StdlibFact("pyenv", "3.7")]
    public void Parse_Pyenv37Stdlib_NoCrash() => Check(StdlibFactAttribute.Find("pyenv", "3.7")!, 0.0);

    private void Check(string root, double minimumRate)
    {
        var files = StdlibFactAttribute.PythonFiles(root);
        files.Should().NotBeEmpty();
        var failed = new List<(string File, string Error)>();
        var stopwatch = Stopwatch.StartNew();
        foreach (var file in files)
        {
            var text = PySourceDecoder.Decode(File.ReadAllBytes(file), out _, out _);
            var module = PyParser.Parse(text);
            if (module.Errors.Count > 0)
            {
                failed.Add((Path.GetRelativePath(root, file), module.Errors[0]));
            }
        }

        var rate = 1.0 - ((double)failed.Count / files.Count);
        output.WriteLine($"{root}: {files.Count} files, {files.Count - failed.Count} parsed without error ({rate:P2}) in {stopwatch.Elapsed.TotalSeconds:0.0} s");
        foreach (var (file, error) in failed.Take(60))
        {
            output.WriteLine($"  {file}: {error}");
        }

        rate.Should().BeGreaterThanOrEqualTo(minimumRate);
    }
}

/// <summary>A fact over one installed Python standard library, skipped with the reason where it is absent.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class StdlibFactAttribute : FactAttribute
{
    public StdlibFactAttribute(string kind, string version)
    {
        if (Find(kind, version) is null)
        {
            Skip = kind == "system"
                ? $"/usr/lib/python{version} is not installed on this machine"
                : $"no pyenv Python {version} under {PyenvRoot}/versions on this machine";
        }
    }

    private static string PyenvRoot => Environment.GetEnvironmentVariable("PYENV_ROOT")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pyenv");

    public static string? Find(string kind, string version)
    {
        if (kind == "system")
        {
            var path = $"/usr/lib/python{version}";
            return Directory.Exists(path) ? path : null;
        }

        var versions = Path.Combine(PyenvRoot, "versions");
        if (!Directory.Exists(versions))
        {
            return null;
        }

        return Directory.EnumerateDirectories(versions, version + ".*")
            .Order(StringComparer.Ordinal)
            .Select(d => Path.Combine(d, "lib", "python" + version))
            .FirstOrDefault(Directory.Exists);
    }

    /// <summary>Every .py file of the standard library (site-packages and dist-packages excluded).</summary>
    public static List<string> PythonFiles(string root) =>
        [.. Directory.EnumerateFiles(root, "*.py", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Where(f => !f.Contains("/site-packages/", StringComparison.Ordinal) && !f.Contains("/dist-packages/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
}
