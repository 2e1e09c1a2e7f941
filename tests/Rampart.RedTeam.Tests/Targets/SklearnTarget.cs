using System.Diagnostics;
using System.Globalization;
using Rampart.TestKit;

namespace Rampart.RedTeam.Tests.Targets;

/// <summary>
/// A real scikit-learn model of TestKit's model_server.py (--model trees or lr), served by Debian's /usr/bin/python3 in a child process. Tests
/// that need it skip with a printed reason where python3 or scikit-learn is missing.
/// </summary>
public sealed class SklearnTarget : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> LazySkip = new(() =>
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is missing (Debian's python3 with python3-sklearn serves the test model)";
        }

        using var probe = Process.Start(new ProcessStartInfo(Python, "-c \"import sklearn, numpy\"") { RedirectStandardError = true, UseShellExecute = false })!;
        probe.WaitForExit(60_000);
        return probe.ExitCode == 0 ? null : "scikit-learn is not installed for /usr/bin/python3 (apt-get install python3-sklearn)";
    });

    private readonly Process _process;
    private readonly TempDirectory _temp;

    private SklearnTarget(Process process, TempDirectory temp, Uri address)
    {
        _process = process;
        _temp = temp;
        Address = address;
    }

    public static string? SkipReason => LazySkip.Value;

    public Uri Address { get; }

    public string SamplePath => Path.Combine(_temp.Path, "sample.csv");

    public static async Task<SklearnTarget> StartAsync(string model = "trees", bool labelsOnly = false)
    {
        var temp = new TempDirectory();
        var start = new ProcessStartInfo(Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { ModelServerScript.Path, "--model", model, "--out", temp.Path, "--stdin-lifetime" }.Concat(labelsOnly ? ["--labels-only"] : []))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (!int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            var error = await process.StandardError.ReadToEndAsync(timeout.Token);
            process.Kill(true);
            throw new InvalidOperationException($"model_server.py did not start: {line} {error}");
        }

        return new SklearnTarget(process, temp, new Uri($"http://127.0.0.1:{port}/"));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill(true);
            }
        }
        finally
        {
            _process.Dispose();
            _temp.Dispose();
        }

        await Task.CompletedTask;
    }
}

/// <summary>A fact that needs the scikit-learn target; skipped with the reason where it cannot run.</summary>
public sealed class SklearnFactAttribute : FactAttribute
{
    public SklearnFactAttribute() => Skip = SklearnTarget.SkipReason;
}
