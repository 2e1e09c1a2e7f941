using System.Text.Json;
using Rampart.Core;
using Rampart.TestKit;

namespace Rampart.Cli.Tests;

public sealed class DataCommandTests
{
    private static string People(TempDirectory temp)
    {
        var lines = new List<string> { "id,email,score" };
        lines.AddRange(Enumerable.Range(0, 30).Select(i => $"{i},user{i}@mail.corp.test,{i % 7}"));
        File.WriteAllLines(temp.File("people.csv"), lines);
        return temp.File("people.csv");
    }

    [Fact]
    public async Task Scan_PersonalData_Json_ExitsOneWithTheColumn()
    {
        using var temp = new TempDirectory();
        var run = await CliRunner.RunAsync(["data", "scan", People(temp), "--format", "json"]);
        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stderr);
        using var doc = JsonDocument.Parse(run.Stdout);
        var finding = doc.RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("ruleId").GetString() == "RAMP-DATA-001");
        finding.GetProperty("message").GetString().Should().Contain("'email'").And.NotContain("user3@mail.corp.test");
    }

    [Theory]
    [InlineData("sarif")]
    [InlineData("console")]
    public async Task Scan_OtherFormats_NameTheRule(string format)
    {
        using var temp = new TempDirectory();
        var run = await CliRunner.RunAsync(["data", "scan", People(temp), "--format", format]);
        run.Stdout.Should().Contain("RAMP-DATA-001");
    }

    [Fact]
    public async Task Scan_BadEncoding_IsInconclusiveExitTwo()
    {
        using var temp = new TempDirectory();
        File.WriteAllBytes(temp.File("bad.csv"), [.. "a,b\nx,"u8.ToArray(), 0xC3, 0x28, .. "\n"u8.ToArray()]);
        var run = await CliRunner.RunAsync(["data", "scan", temp.File("bad.csv"), "--format", "json"]);
        run.ExitCode.Should().Be(ExitCodes.Inconclusive);
        run.Stdout.Should().Contain("RAMP-DATA-010").And.Contain("UTF-8");
    }

    [Theory]
    [InlineData(new[] { "data", "scan", "/nonexistent/x.csv" }, "no file or folder")]
    [InlineData(new[] { "data", "encrypt", "/nonexistent/x.csv", "-o", "/tmp/y" }, "no file or folder")]
    public async Task BadInput_UsageErrorWithoutStackTrace(string[] args, string message)
    {
        var run = await CliRunner.RunAsync(args);
        run.ExitCode.Should().Be(ExitCodes.UsageError);
        run.Stderr.Should().Contain(message).And.NotContain("   at ");
    }

    [Fact]
    public async Task EncryptDecrypt_RoundTripAndTamperRefused()
    {
        using var temp = new TempDirectory();
        var data = People(temp);
        (await CliRunner.RunAsync(["data", "keygen", "-o", temp.File("k.key")])).ExitCode.Should().Be(0);
        (await CliRunner.RunAsync(["data", "encrypt", data, "-o", temp.File("p.enc"), "--key-file", temp.File("k.key")])).ExitCode.Should().Be(0);
        (await CliRunner.RunAsync(["data", "decrypt", temp.File("p.enc"), "-o", temp.File("p.out"), "--key-file", temp.File("k.key")])).ExitCode.Should().Be(0);
        File.ReadAllBytes(temp.File("p.out")).Should().Equal(File.ReadAllBytes(data));
        var bytes = File.ReadAllBytes(temp.File("p.enc"));
        bytes[^5] ^= 0x40;
        File.WriteAllBytes(temp.File("p.enc"), bytes);
        var run = await CliRunner.RunAsync(["data", "decrypt", temp.File("p.enc"), "-o", temp.File("p.bad"), "--key-file", temp.File("k.key")]);
        run.ExitCode.Should().Be(ExitCodes.VerificationFailed);
        run.Stderr.Should().Contain("failed authentication");
        File.Exists(temp.File("p.bad")).Should().BeFalse();
    }

    [Fact]
    public async Task Fingerprint_FolderManifest_DigestChangesWithContent()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("ds"));
        File.WriteAllText(temp.File("ds/a.csv"), "x\n1\n");
        var first = await CliRunner.RunAsync(["data", "fingerprint", temp.File("ds"), "--manifest", temp.File("m.txt")]);
        first.ExitCode.Should().Be(0, first.Stderr);
        File.ReadAllText(temp.File("m.txt")).Should().Contain("  a.csv");
        File.WriteAllText(temp.File("ds/a.csv"), "x\n2\n");
        var second = await CliRunner.RunAsync(["data", "fingerprint", temp.File("ds")]);
        second.Stdout.Split(' ')[0].Should().StartWith("sha256:").And.NotBe(first.Stdout.Split(' ')[0]);
    }
}
