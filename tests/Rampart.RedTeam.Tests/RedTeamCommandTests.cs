using System.Security.Cryptography;
using System.Text.Json;
using Rampart.Provenance;
using Rampart.Provenance.Signing;
using Rampart.RedTeam.Tests.Targets;
using Rampart.TestKit;

namespace Rampart.RedTeam.Tests;

/// <summary>`rampart redteam` in-process: formats, exit codes, bad input, ledger recording.</summary>
public sealed class RedTeamCommandTests : IAsyncLifetime
{
    private ScriptedChatServer _weak = null!;
    private ScriptedChatServer _hardened = null!;

    public async Task InitializeAsync()
    {
        _weak = await ScriptedChatServer.StartAsync(hardened: false);
        _hardened = await ScriptedChatServer.StartAsync(hardened: true);
    }

    public async Task DisposeAsync()
    {
        await _weak.DisposeAsync();
        await _hardened.DisposeAsync();
    }

    [Fact]
    public async Task Llm_WeakTarget_JsonReport_ExitsOne()
    {
        var (code, stdout, stderr) = await TestSupport.CliAsync("redteam", "llm", "--target", _weak.Address.ToString(), "--format", "json", "--family", "prompt-injection", "--family", "bias");
        code.Should().Be(1, stderr);
        using var doc = JsonDocument.Parse(stdout);
        doc.RootElement.GetProperty("runs")[0].GetProperty("findings").GetArrayLength().Should().Be(3);
    }

    [Fact]
    public async Task Llm_HardenedTarget_TextReport_ExitsZero()
    {
        var (code, stdout, stderr) = await TestSupport.CliAsync("redteam", "llm", "--target", _hardened.Address.ToString(), "--fail-on", "low");
        code.Should().Be(0, stderr);
        stdout.Should().Contain("pass pi.ignore-previous").And.Contain("0 finding(s); exit code 0");
    }

    [Fact]
    public async Task Llm_Unreachable_PartialReportAndExitTwo_NoStackTrace()
    {
        var (code, stdout, stderr) = await TestSupport.CliAsync("redteam", "llm", "--target", BadTargetServer.Unreachable().ToString(), "--timeout", "2");
        code.Should().Be(2);
        stdout.Should().Contain("PARTIAL").And.Contain("unreachable");
        stderr.Should().NotContain("   at ");
    }

    [Theory]
    [InlineData("ftp://example.test/", "not an http(s) URL")]
    [InlineData("http://127.0.0.1:1/ --family telepathy", "unknown probe family telepathy")]
    [InlineData("http://127.0.0.1:1/ --fail-on severe", "--fail-on must be one of")]
    [InlineData("http://127.0.0.1:1/ --ledger x.db", "needs both --ledger and --model-digest")]
    public async Task Llm_BadArguments_AreUsageErrors(string arguments, string expected)
    {
        var (code, _, stderr) = await TestSupport.CliAsync(["redteam", "llm", "--target", .. arguments.Split(' ')]);
        code.Should().Be(3);
        stderr.Should().Contain(expected).And.NotContain("   at ");
    }

    [Fact]
    public async Task Model_MissingOrBadData_IsAUsageError()
    {
        using var temp = new TempDirectory();
        var (code, _, stderr) = await TestSupport.CliAsync("redteam", "model", "--target", "http://127.0.0.1:1/", "--protocol", "v2", "--data", Path.Combine(temp.Path, "none.csv"));
        code.Should().Be(3);
        stderr.Should().Contain("--data");
        File.WriteAllText(Path.Combine(temp.Path, "bad.csv"), "a,b\n1,oops\n");
        (code, _, stderr) = await TestSupport.CliAsync("redteam", "model", "--target", "http://127.0.0.1:1/", "--protocol", "mlflow", "--data", Path.Combine(temp.Path, "bad.csv"));
        code.Should().Be(3);
        stderr.Should().Contain("not a number");
    }

    [Fact]
    public async Task Probes_ListsEveryFamily()
    {
        var (code, stdout, _) = await TestSupport.CliAsync("redteam", "probes");
        code.Should().Be(0);
        stdout.Should().Contain("tool-call-abuse").And.Contain("RAMP-RT-013").And.Contain("enc.zero-width");
    }

    [Fact]
    public async Task Llm_HtmlToFile_AndRecordedInTheLedger()
    {
        using var temp = new TempDirectory();
        var keyPath = Path.Combine(temp.Path, "key.pem");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        }

        var db = Path.Combine(temp.Path, "ledger.db");
        using (var signer = LedgerSigner.FromPemFile(keyPath, "tester"))
        {
            await (await Ledger.InitializeAsync(db, "test", signer)).DisposeAsync();
        }

        var html = Path.Combine(temp.Path, "report.html");
        var (code, _, stderr) = await TestSupport.CliAsync("redteam", "llm", "--target", _weak.Address.ToString(), "--family", "system-prompt-extraction",
            "--format", "html", "--output", html, "--ledger", db, "--key", keyPath, "--model-digest", "sha256:" + new string('b', 64));

        code.Should().Be(1, stderr);
        File.ReadAllText(html).Should().StartWith("<!DOCTYPE html>").And.Contain("RAMP-RT-004");
        stderr.Should().Contain("recorded the run as evaluation entry");
        await using var ledger = await Ledger.OpenAsync(db);
        (await ledger.GetSizeAsync()).Should().Be(1);
    }
}
