using System.Text;
using Rampart.Core;
using Rampart.Core.Rules;
using Rampart.Core.Tests.Reporting;
using Rampart.Scanning;
using Rampart.Scanning.Engine;

namespace Rampart.Cli.Tests;

/// <summary>What one in-process run of the command line printed and returned.</summary>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the root command in-process with captured standard output and error.</summary>
internal static class CliRunner
{
    public static CliEnvironment Environment(string? currentDirectory = null) => new(
        Stream.Null,
        TextWriter.Null,
        OutIsTerminal: false,
        ErrorIsTerminal: false,
        NoColor: false,
        TerminalWidth: 100,
        CurrentDirectory: currentDirectory ?? Directory.GetCurrentDirectory(),
        Time: TimeProvider.System);

    /// <summary>
    /// Set to a built `rampart` program (e.g. the NativeAOT binary from build/build.sh aot) to run the CLI tests against
    /// it: every run whose environment a process can reproduce (no substituted scanner, no terminal, the system clock)
    /// starts that program in the environment's working folder instead of calling the command tree in-process.
    /// </summary>
    public const string BinaryVariable = "RAMPART_CLI_BINARY";

    public static async Task<CliRun> RunAsync(string[] args, Func<CliEnvironment, CliEnvironment>? configure = null)
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        var environment = Environment() with { Out = stdout, Error = stderr };
        environment = configure?.Invoke(environment) ?? environment;
        environment = environment with { Out = stdout, Error = stderr };
        if (System.Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } binary
            && environment is { ScannerFactory: null, OutIsTerminal: false, ErrorIsTerminal: false } && environment.Time == TimeProvider.System)
        {
            return await RunBinaryAsync(binary, args, environment);
        }

        var code = await RampartCli.RunAsync(args, environment, CancellationToken.None);
        return new CliRun(code, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task<string?>> Absent = new(StringComparer.Ordinal);

    /// <summary>
    /// Null when <paramref name="verb"/> runs in this build; otherwise why a test of it must skip: the program under
    /// RAMPART_CLI_BINARY is a NativeAOT build that answers the verb with "not in this build" (exit 2).
    /// </summary>
    public static Task<string?> SkipReasonAsync(string verb) => Absent.GetOrAdd(verb, async v =>
    {
        if (System.Environment.GetEnvironmentVariable(BinaryVariable) is not { Length: > 0 } binary)
        {
            return null;
        }

        var run = await RunBinaryAsync(binary, [v], Environment());
        return run.ExitCode == ExitCodes.Inconclusive && run.Stderr.Contains("is not in this build", StringComparison.Ordinal)
            ? $"SKIPPED: '{v}' is not in the build under test ({binary})"
            : null;
    });

    /// <summary>
    /// Whether the program under test is a NativeAOT build, which also leaves ML.NET and Parquet.Net out of the verbs
    /// it keeps (docs/install.md): asked of the program itself, the same way as <see cref="SkipReasonAsync"/>
    /// (it answers `gateway` with "not in this build"), so no list of what the build lacks is kept here.
    /// </summary>
    public static async Task<bool> IsNativeAotAsync() => await SkipReasonAsync("gateway") is not null;

    /// <summary>
    /// The base address rule links point at in the program under test: the docs/rules/ folder shipped beside
    /// RAMPART_CLI_BINARY when that is set (as the program resolves it for itself), else this process's.
    /// </summary>
    public static Uri RuleDocsBase =>
        System.Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } binary
        && Path.Combine(Path.GetDirectoryName(Path.GetFullPath(binary))!, "docs", "rules") is var folder && Directory.Exists(folder)
            ? RampartTool.ResolveDocsBase(folder)
            : RampartTool.Info.RuleDocsBaseUri;

    /// <summary>The words every "left out of the NativeAOT build" answer inside a verb carries.</summary>
    public const string LeftOutOfNativeAot = "which the NativeAOT build leaves out";

    private static async Task<CliRun> RunBinaryAsync(string binary, string[] args, CliEnvironment environment)
    {
        var start = new System.Diagnostics.ProcessStartInfo(Path.GetFullPath(binary))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = environment.CurrentDirectory,
            StandardOutputEncoding = new UTF8Encoding(false),
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (environment.NoColor)
        {
            start.Environment["NO_COLOR"] = "1";
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliRun(process.ExitCode, output, await error);
    }

    /// <summary>The rule the marker analyzer raises: high severity, malicious.</summary>
    public const string MarkerRuleId = "RAMP-TEST-001";

    /// <summary>A scanner with the built-in rules plus one test analyzer that flags files starting with "EVIL".</summary>
    public static Scanner MarkerScanner() => new(
        [new MarkerAnalyzer()],
        new RuleCatalog([.. AnalyzerRegistry.Rules.Rules, SampleReports.Rule(MarkerRuleId, Severity.High, Verdict.Malicious, "evil-marker")]),
        RampartTool.Info);

    private sealed class MarkerAnalyzer : IArtifactAnalyzer
    {
        public string Id => "marker";

        public bool CanAnalyze(Artifact artifact) => artifact.Head.Span.StartsWith("EVIL"u8);

        public ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
        {
            var result = new AnalysisResult(Id, artifact, context);
            result.Report(MarkerRuleId, "the file starts with the evil marker", FindingLocation.AtOffset(0, "marker"), [new("name", "evil.marker")]);
            return ValueTask.FromResult(result);
        }
    }
}
