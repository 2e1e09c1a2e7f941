using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace Rampart.TestKit;

/// <summary>What a run of Debian's Python printed, and its exit code.</summary>
public sealed record PythonRun(int Code, string Stdout, string Stderr)
{
    /// <summary>Standard output followed by standard error, for assertion messages.</summary>
    public string Output => Stdout + Stderr;

    public void Deconstruct(out int code, out string output)
    {
        code = Code;
        output = Output;
    }
}

/// <summary>
/// Debian's /usr/bin/python3, the interpreter that `.ci/run` installs torch, numpy, scikit-learn and the other real
/// loaders for (not the pyenv python3 first on PATH). Tests use it to make fixtures with real libraries and to load
/// hostile fixtures in a child process; where it or a module is missing they skip with the reason.
/// </summary>
public static class DebianPython
{
    public const string Path = "/usr/bin/python3";

    private static readonly ConcurrentDictionary<string, Lazy<string?>> MissingByModules = new(StringComparer.Ordinal);

    /// <summary>Why Debian's Python cannot import every one of <paramref name="modules"/> here, or null when it can.</summary>
    public static string? Missing(params string[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var key = string.Join(",", modules);
        return MissingByModules.GetOrAdd(key, _ => new Lazy<string?>(() =>
        {
            if (!File.Exists(Path))
            {
                return $"{Path} is not installed (Debian's python3; .ci/run installs it with the ML libraries)";
            }

            if (modules.Length == 0)
            {
                return null;
            }

            var run = Run(["-c", "import " + key]);
            var packages = string.Join(" ", modules.Select(m => "python3-" + m));
            return run.Code == 0 ? null : $"{Path} cannot import {key} (apt-get install {packages}): {run.Output.Trim()}";
        })).Value;
    }

    /// <summary>Runs Debian's Python with <paramref name="arguments"/> (each one argument, no shell), writing <paramref name="stdin"/> to it when given.</summary>
    public static PythonRun Run(IEnumerable<string> arguments, string? stdin = null) => RunAsync(arguments, stdin).GetAwaiter().GetResult();

    /// <summary>Runs Debian's Python with <paramref name="arguments"/> (each one argument, no shell), writing <paramref name="stdin"/> to it when given.</summary>
    public static async Task<PythonRun> RunAsync(IEnumerable<string> arguments, string? stdin = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Path} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin).ConfigureAwait(false);
            process.StandardInput.Close();
        }

        await process.WaitForExitAsync().ConfigureAwait(false);
        return new PythonRun(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}

/// <summary>A fact that needs Debian's Python able to import the named modules; skipped with the reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public class DebianPythonFactAttribute : FactAttribute
{
    public DebianPythonFactAttribute(params string[] modules)
    {
        if (DebianPython.Missing(modules) is { } reason)
        {
            Skip = reason;
        }
    }
}
