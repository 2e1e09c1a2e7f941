using System.Diagnostics;
using System.Text.RegularExpressions;
using Rampart.TestKit;

namespace Rampart.Server.Tests.Clients;

/// <summary>Skips where Debian's interpreter is absent, saying so.</summary>
public sealed class SystemPythonFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    public SystemPythonFactAttribute()
    {
        if (!File.Exists(Python))
        {
            Skip = $"{Python} is absent: the Python client's tests need Debian's interpreter";
        }
    }
}

/// <summary>
/// The Python client's own unittest suite (clients/python/tests), run by Debian's python3 against a real server
/// started here, so the single `dotnet test` of .ci/run covers it. The suite's verdict is parsed, not just its exit code.
/// </summary>
public sealed partial class PythonClientTests
{
    [SystemPythonFact]
    public async Task PythonClientSuite_PassesAgainstARealServer()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("train");
        using var scientist = await server.UserAsync("sam", "train", "data-scientist");
        using var reviewer = await server.UserAsync("rex", "train", "security-reviewer", mfa: true);
        var info = new ProcessStartInfo(SystemPythonFactAttribute.Python, ["-m", "unittest", "discover", "-s", "tests", "-v"])
        {
            WorkingDirectory = Path.Combine(RepositoryPaths.Root, "clients", "python"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["RAMPART_TEST_SERVER"] = server.Host.Address.ToString();
        info.Environment["RAMPART_TEST_PROJECT"] = "train";
        info.Environment["RAMPART_TEST_PUSH_TOKEN"] = await scientist.CreateTokenAsync("train", "read", "push");
        info.Environment["RAMPART_TEST_REVIEW_TOKEN"] = await reviewer.CreateTokenAsync("train", "read", "review");
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        using var python = Process.Start(info)!;
        var output = python.StandardOutput.ReadToEndAsync();
        var error = python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync();
        var log = await output + await error;

        python.ExitCode.Should().Be(0, log);
        var ran = RanLine().Match(log);
        ran.Success.Should().BeTrue(log);
        int.Parse(ran.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(11, log);
        log.Should().Contain("\nOK").And.NotContain("skipped", "the server tests must run, not skip");

        // What the suite did is on the server: a released version pulled, a run in the ledger.
        var records = (await RampartProcess.VerifiedLedgerAsync(Server.ServerHost.LedgerLocation(server.Options))).Values;
        var run = records.Should().ContainSingle(r => r.Kind.Name == "training-run").Subject;
        run.Text("builder").Should().StartWith("unittest (recorded by sam (token ");
        run.Pairs("metrics").Should().ContainSingle(p => p.Key == "auc" && p.Value == "0.91");
        run.Pairs("parameters").Select(p => p.Key).Should().BeEquivalentTo("lr", "epochs");
        records.Should().Contain(r => r.Kind.Name == "approval" && r.Text("decision") == "approved");
    }

    [GeneratedRegex(@"Ran (\d+) tests? in")]
    private static partial Regex RanLine();
}
