using System.Diagnostics;

namespace Rampart.Provenance.Tests;

/// <summary>Runs a Python program in a child process and returns its exit code and output.</summary>
internal static class PythonProcess
{
    public static (int Code, string Stdout, string Stderr) Run(string python, IReadOnlyList<string> arguments, int timeoutMilliseconds = 120_000)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutMilliseconds))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{python} {string.Join(' ', arguments.Take(1))} did not finish within {timeoutMilliseconds / 1000} s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
