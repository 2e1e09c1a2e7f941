using System.Diagnostics;
using Rampart.TestKit;

namespace Rampart.Cli.Tests.Shipping;

/// <summary>The `rampart` program as the integrations run it: the built CLI behind a `rampart` command on PATH.</summary>
internal static class ShippedRampart
{
    /// <summary>The configuration these tests were built in (the CLI beside them was built in the same one).</summary>
    public static string Configuration => AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string CliProject => Path.Combine(RepositoryPaths.Root, "src", "Rampart.Cli", "Rampart.Cli.csproj");

    public static string CliDll => Path.Combine(RepositoryPaths.Root, "src", "Rampart.Cli", "bin", Configuration, "net10.0", "rampart.dll");

    /// <summary>
    /// A folder holding an executable `rampart` that runs the built CLI (or the program named by RAMPART_CLI_BINARY,
    /// e.g. the NativeAOT binary) and logs each run's arguments to <see cref="CallLog"/>; put it first on PATH.
    /// </summary>
    public static string CommandFolder(string parent)
    {
        var folder = Directory.CreateDirectory(Path.Combine(parent, "rampart-bin")).FullName;
        var script = Path.Combine(folder, "rampart");
        var run = Environment.GetEnvironmentVariable(CliRunner.BinaryVariable) is { Length: > 0 } binary
            ? $"exec \"{Path.GetFullPath(binary)}\" \"$@\""
            : $"exec dotnet \"{CliDll}\" \"$@\"";
        File.WriteAllText(script, $"#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"{CallLog(folder)}\"\n{run}\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }

        return folder;
    }

    /// <summary>One line per run of the `rampart` in <paramref name="commandFolder"/>: its arguments.</summary>
    public static string CallLog(string commandFolder) => Path.Combine(commandFolder, "calls.log");

    /// <summary>Runs a program; its exit code and its standard output and error together.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string program, IEnumerable<string> arguments, string? workingDirectory = null, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory() };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, stdout + await stderr);
    }

    /// <summary>PATH with <paramref name="folder"/> first.</summary>
    public static string PathWith(string folder) => folder + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
}
