using System.Text.Json;
using Rampart.Core;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Cli.Tests;

/// <summary>
/// `rampart scan` and `rampart audit` over folders holding dangling links, link loops and links to devices: both
/// finish with a full report (never exit 70), name every odd path in it, and still judge the files beside them.
/// </summary>
public sealed class FileSystemOddityCliTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Folder(params (string Link, string Target)[] links)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_temp.Path, "repo")).FullName;
        Directory.CreateDirectory(Path.Combine(folder, "nested"));
        File.WriteAllBytes(Path.Combine(folder, "nested", "evil.pkl"), PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-marker"));
        File.WriteAllText(Path.Combine(folder, "requirements.txt"), "torchh==1.0\n");
        foreach (var (link, target) in links)
        {
            File.CreateSymbolicLink(Path.Combine(folder, link), target);
        }

        return folder;
    }

    private static List<(string Rule, string Path, string Message)> Findings(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.GetProperty("findings").EnumerateArray().Select(f => (
            f.GetProperty("ruleId").GetString()!,
            f.GetProperty("path").GetString()!,
            f.GetProperty("message").GetString()!))];
    }

    public static TheoryData<string, string, string> Oddities() => new()
    {
        { "dangling.pkl", "/nonexistent/rampart", "dangling link" },
        { "nested/broken.pt", "missing/model.pt", "dangling link" },
        { "nested/loop", "loop", "link loop" },
        { "zero.bin", "/dev/zero", "CharacterDevice" },
    };

    [Theory]
    [MemberData(nameof(Oddities))]
    public async Task Scan_FolderWithFileSystemOddity_ReportsItAndTheMaliciousFileExitOne(string link, string target, string expected)
    {
        var run = await CliRunner.RunAsync(["scan", Folder((link, target)), "--format", "json", "--no-progress"]);

        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stderr);
        var findings = Findings(run.Stdout);
        findings.Should().Contain(f => f.Rule == "RAMP-GEN-005" && f.Path.EndsWith(link, StringComparison.Ordinal) && f.Message.Contains(expected));
        findings.Should().Contain(f => f.Rule == "RAMP-PKL-101" && f.Path.EndsWith("nested/evil.pkl", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Oddities))]
    public async Task Audit_FolderWithFileSystemOddity_ReportsItAndTheDependencyFinding(string link, string target, string expected)
    {
        var run = await CliRunner.RunAsync(["audit", Folder((link, target)), "--no-advisories", "--format", "json", "--no-progress"]);

        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stderr);
        var findings = Findings(run.Stdout);
        findings.Should().Contain(f => f.Rule == "RAMP-GEN-005" && f.Path.EndsWith(link, StringComparison.Ordinal) && f.Message.Contains(expected));
        findings.Should().Contain(f => f.Rule == "RAMP-DEP-008");
    }

    [Fact]
    public async Task Scan_EveryOddityAtOnce_OneReportNamingEachPath()
    {
        var folder = Folder(("a", "b"), ("b", "a"), ("gone.pt", "/nonexistent/x"), ("null.bin", "/dev/null"));

        var run = await CliRunner.RunAsync(["scan", folder, "--format", "json", "--no-progress"]);

        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stderr);
        Findings(run.Stdout).Where(f => f.Rule == "RAMP-GEN-005").Select(f => Path.GetFileName(f.Path))
            .Should().BeEquivalentTo("a", "b", "gone.pt", "null.bin");
    }
}
