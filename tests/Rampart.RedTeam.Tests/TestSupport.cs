using System.Text;
using Rampart.Cli;
using Rampart.Core.Reporting;
using Rampart.RedTeam.Probes;
using Rampart.RedTeam.Reports;
using Rampart.RedTeam.Targets;

namespace Rampart.RedTeam.Tests;

/// <summary>Shared settings and helpers of the red-team tests.</summary>
internal static class TestSupport
{
    public static readonly ToolInfo Tool = new("rampart", "0.0.0-test", new Uri("https://example.test/rampart"), new Uri("https://example.test/docs/rules/"));

    public static HarnessOptions Harness(double timeoutSeconds = 10, int maxBytes = 1 << 20, string? journal = null, int concurrency = 4, int maxEvents = 10_000) =>
        new(new TargetLimits(TimeSpan.FromSeconds(timeoutSeconds), maxBytes, maxEvents), concurrency, 0, journal);

    public static LlmRunOptions Llm(int seed = 1, int maxErrors = 10) => new(seed, 1, [], [], maxErrors);

    public static Task<RedTeamReport> RunLlmAsync(Uri target, HarnessOptions? harness = null, LlmRunOptions? options = null, IReadOnlyCollection<string>? families = null, bool stream = false) =>
        RedTeamRunner.RunLlmAsync([new RunTarget("direct", target)], "test-model", stream, families ?? [], options ?? Llm(), harness ?? Harness(), Tool, TimeProvider.System, CancellationToken.None);

    public static async Task<(int ExitCode, string Stdout, string Stderr)> CliAsync(params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        var environment = new CliEnvironment(stdout, stderr, false, false, true, 120, Directory.GetCurrentDirectory(), TimeProvider.System);
        var code = await RampartCli.RunAsync(args, environment, CancellationToken.None);
        return (code, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }
}
