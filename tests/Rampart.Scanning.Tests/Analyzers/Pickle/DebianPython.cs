using System.Diagnostics;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>Debian's /usr/bin/python3 with the ML libraries the generators introspect.</summary>
internal static class DebianPython
{
    public const string Path = "/usr/bin/python3";

    private static readonly Lazy<string?> LazyMissing = new(() =>
    {
        if (!File.Exists(Path))
        {
            return $"{Path} is not installed";
        }

        var (code, output) = Run("-c", "import torch, sklearn, pandas, numpy, scipy, pytz");
        return code == 0 ? null : $"{Path} lacks torch, sklearn, pandas, numpy, scipy or pytz (apt-get install python3-torch python3-sklearn python3-pandas python3-tz): {output.Trim()}";
    });

    /// <summary>Why the generators cannot run here, or null.</summary>
    public static string? Missing => LazyMissing.Value;

    /// <summary>Runs Debian's Python with the arguments; its exit code and its output and error text.</summary>
    public static (int Code, string Output) Run(params string[] arguments) => RunAsync(arguments).GetAwaiter().GetResult();

    /// <summary>Runs Debian's Python with the arguments; its exit code and its output and error text.</summary>
    public static async Task<(int Code, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, stdout + await stderr);
    }
}

/// <summary>A fact skipped, with the reason, where Debian's Python lacks the ML libraries.</summary>
public sealed class DebianPythonFactAttribute : FactAttribute
{
    public DebianPythonFactAttribute()
    {
        if (DebianPython.Missing is { } reason)
        {
            Skip = reason;
        }
    }
}
