using System.Collections.Concurrent;
using System.Diagnostics;
using Rampart.Scanning;

namespace Rampart.Interop.Tests;

/// <summary>
/// Finds the real Python programs the interop suite drives: Debian's system interpreter (with torch, numpy, joblib,
/// sklearn, dill, pandas) and every CPython that pyenv has installed. Absent programs make tests skip with a reason.
/// </summary>
internal static class PythonEnvironment
{
    /// <summary>The libraries generate.py and prove.py need.</summary>
    public static readonly string[] MlModules = ["torch", "numpy", "joblib", "sklearn", "dill", "pandas"];

    private static readonly ConcurrentDictionary<string, string?> ModuleChecks = new(StringComparer.Ordinal);

    /// <summary>Debian's interpreter, or the one named by RAMPART_INTEROP_PYTHON.</summary>
    public static string SystemPython =>
        Environment.GetEnvironmentVariable("RAMPART_INTEROP_PYTHON") is { Length: > 0 } overridden ? overridden : "/usr/bin/python3";

    /// <summary>The folder with generate.py, prove.py and plain_data.py.</summary>
    public static string ScriptsFolder => Path.Combine(AppContext.BaseDirectory, "python");

    /// <summary>Every pyenv CPython (bin/python under $PYENV_ROOT/versions or ~/.pyenv/versions), in version order.</summary>
    public static IReadOnlyList<string> PyenvInterpreters()
    {
        var root = Environment.GetEnvironmentVariable("PYENV_ROOT") is { Length: > 0 } r
            ? r
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pyenv");
        var versions = Path.Combine(root, "versions");
        if (!Directory.Exists(versions))
        {
            return [];
        }

        return [.. Directory.EnumerateDirectories(versions)
            .Select(d => Path.Combine(d, "bin", "python"))
            .Where(File.Exists)
            .OrderBy(p => p, StringComparer.Ordinal)];
    }

    /// <summary>Why a test needing these modules in the system Python cannot run, or null when it can.</summary>
    public static string? SkipReason(IReadOnlyCollection<string> modules)
    {
        var key = string.Join(",", modules);
        return ModuleChecks.GetOrAdd(key, _ => CheckModules(modules));
    }

    /// <summary>Why the Rampart half of a test cannot run yet, or null when analyzers are registered.</summary>
    public static string? AnalyzersSkipReason() =>
        AnalyzerRegistry.CreateAll().IsEmpty ? "no analyzers are registered in AnalyzerRegistry.CreateAll() yet" : null;

    private static string? CheckModules(IReadOnlyCollection<string> modules)
    {
        if (!File.Exists(SystemPython))
        {
            return $"{SystemPython} is not installed";
        }

        const string Probe = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))";
        try
        {
            using var process = new Process { StartInfo = new ProcessStartInfo(SystemPython) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false } };
            process.StartInfo.ArgumentList.Add("-c");
            process.StartInfo.ArgumentList.Add(Probe);
            foreach (var module in modules)
            {
                process.StartInfo.ArgumentList.Add(module);
            }

            process.Start();
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.StandardError.ReadToEnd();
            if (!process.WaitForExit(60_000))
            {
                process.Kill(entireProcessTree: true);
                return $"{SystemPython} did not answer a module probe within 60 s";
            }

            return output.Length > 0 ? $"{SystemPython} lacks the Python modules: {output} (install python3-<module>)" : null;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{SystemPython} cannot be started: {e.Message}";
        }
    }
}

/// <summary>A fact that runs only where the system Python has the given modules (and, if asked, Rampart has analyzers).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute(params string[] modules)
    {
        Modules = modules;
        Skip = PythonEnvironment.SkipReason(modules);
    }

    public IReadOnlyList<string> Modules { get; }

    /// <summary>When true, the test also needs registered analyzers (it asserts Rampart's verdicts).</summary>
    public bool NeedsAnalyzers
    {
        get => _needsAnalyzers;
        init
        {
            _needsAnalyzers = value;
            Skip ??= value ? PythonEnvironment.AnalyzersSkipReason() : null;
        }
    }

    private readonly bool _needsAnalyzers;
}

/// <summary>A fact over the generated corpus: needs the system Python with every ML library generate.py uses.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute()
    {
        Skip = PythonEnvironment.SkipReason(PythonEnvironment.MlModules);
    }

    /// <summary>When true, the test also needs registered analyzers (it asserts Rampart's verdicts).</summary>
    public bool NeedsAnalyzers
    {
        get => _needsAnalyzers;
        init
        {
            _needsAnalyzers = value;
            Skip ??= value ? PythonEnvironment.AnalyzersSkipReason() : null;
        }
    }

    private readonly bool _needsAnalyzers;
}
