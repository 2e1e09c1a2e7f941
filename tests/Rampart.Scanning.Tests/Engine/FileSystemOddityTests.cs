using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Dependencies.Toml;
using Rampart.Scanning.Analyzers.Gguf.Jinja;
using Rampart.Scanning.Analyzers.Pickle;
using Rampart.Scanning.Compression;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Engine;

/// <summary>
/// Whatever the file system does under a scanned folder, the scan finishes with a report: the odd path is a finding
/// (RAMP-GEN-005, Inconclusive, with the reason in words) and everything beside it is still judged. Real links,
/// devices and a real permission-denied file are used; a folder that cannot be listed and entries that vanish
/// between two calls are reproduced through the walker's <see cref="WalkFileSystem"/> seam (deterministically).
/// </summary>
public sealed class FileSystemOddityTests
{
    private static readonly byte[] Evil = PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-marker");

    private static TempDirectory FolderWithEvilPickle()
    {
        var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("sub"));
        File.WriteAllBytes(temp.File("sub/evil.pkl"), Evil);
        return temp;
    }

    private static Finding UnreadableAt(ScanReport report, string endsWith) =>
        report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.Unreadable && f.ArtifactPath.EndsWith(endsWith, StringComparison.Ordinal)).Subject;

    private static void EvilStillJudged(ScanReport report)
    {
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-PKL-101" && f.ArtifactPath.EndsWith("sub/evil.pkl", StringComparison.Ordinal));
        report.Verdict.Should().Be(Verdict.Malicious);
    }

    [LinuxTheory]
    [InlineData("dangling.pkl", "/nonexistent/rampart/target", "dangling link")]
    [InlineData("sub/deeper.pt", "relative/missing", "dangling link")]
    [InlineData("sub/self", "self", "link loop")]
    public async Task Scan_DanglingOrLoopingLink_FindingOnTheLinkAndTheRestJudged(string link, string target, string expected)
    {
        using var temp = FolderWithEvilPickle();
        File.CreateSymbolicLink(temp.File(link), target);

        var report = await ScanHelper.ScanPathsAsync([temp.Path]);

        var finding = UnreadableAt(report, link);
        finding.Message.Should().Contain(expected);
        finding.Verdict.Should().Be(Verdict.Inconclusive);
        EvilStillJudged(report);
    }

    [LinuxFact]
    public async Task Scan_TwoLinksPointingAtEachOther_BothReportedAsLoops()
    {
        using var temp = FolderWithEvilPickle();
        File.CreateSymbolicLink(temp.File("a"), "b");
        File.CreateSymbolicLink(temp.File("b"), "a");

        var report = await ScanHelper.ScanPathsAsync([temp.Path]);

        UnreadableAt(report, "/a").Message.Should().Contain("link loop");
        UnreadableAt(report, "/b").Message.Should().Contain("link loop");
        EvilStillJudged(report);
    }

    [LinuxTheory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/null")]
    public async Task Scan_LinkToDevice_ListedNeverRead(string device)
    {
        using var temp = FolderWithEvilPickle();
        File.CreateSymbolicLink(temp.File("weights.bin"), device);

        var report = await ScanHelper.ScanPathsAsync([temp.Path]).WaitAsync(TimeSpan.FromMinutes(2));

        UnreadableAt(report, "weights.bin").Message.Should().Contain("CharacterDevice");
        EvilStillJudged(report);
    }

    [LinuxFact]
    public async Task Scan_DanglingLinkNamedDirectly_FindingNotUsageError()
    {
        using var temp = new TempDirectory();
        File.CreateSymbolicLink(temp.File("model.pt"), "/nonexistent/model.pt");

        var report = await ScanHelper.ScanPathsAsync([temp.File("model.pt")]);

        UnreadableAt(report, "model.pt").Message.Should().Contain("dangling link");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    /// <summary>
    /// A file this process cannot open, for real: as root (which chmod 000 does not stop) a link to a procfs file with
    /// no read permission, whose permission check ignores capabilities; as anyone else a chmod 000 file.
    /// </summary>
    private static string? MakeUnopenable(TempDirectory temp)
    {
        const string WriteOnlyProcFile = "/proc/sys/vm/compact_memory";
        var path = temp.File("locked.pt");
        if (Environment.UserName == "root")
        {
            if (!File.Exists(WriteOnlyProcFile))
            {
                return null;
            }

            File.CreateSymbolicLink(path, WriteOnlyProcFile);
        }
        else if (OperatingSystem.IsLinux())
        {
            File.WriteAllBytes(path, Evil);
            File.SetUnixFileMode(path, UnixFileMode.None);
        }

        try
        {
            using var probe = File.OpenRead(path);
            return null; // Opens after all: this machine cannot produce a real permission error.
        }
        catch (UnauthorizedAccessException)
        {
            return path;
        }
    }

    [LinuxFact]
    public async Task Scan_FileThatCannotBeOpened_AccessDeniedFindingAndTheRestJudged()
    {
        using var temp = FolderWithEvilPickle();
        MakeUnopenable(temp).Should().NotBeNull("a file this process cannot open is needed");

        var report = await ScanHelper.ScanPathsAsync([temp.Path]);

        UnreadableAt(report, "locked.pt").Message.Should().Contain("access was denied");
        EvilStillJudged(report);
    }

    /// <summary>Simulates what the OS does between two calls: refuses one folder, or removes a path after a listing.</summary>
    private sealed class FaultyFileSystem(Func<string, Exception?> refuse, Action<string>? afterListing = null) : WalkFileSystem
    {
        public override IEnumerable<FileSystemInfo> Enumerate(string folder)
        {
            if (refuse(folder) is { } error)
            {
                throw error;
            }

            var entries = base.Enumerate(folder).ToList();
            afterListing?.Invoke(folder);
            return entries;
        }
    }

    private static Scanner ScannerOver(WalkFileSystem fileSystem) => new(AnalyzerRegistry.CreateAll(), AnalyzerRegistry.Rules, RampartTool.Info)
    {
        FileSystem = fileSystem,
        FolderAnalyzers = AnalyzerRegistry.CreateFolderAnalyzers(),
    };

    [Theory]
    [InlineData("locked", typeof(UnauthorizedAccessException), "access was denied")]
    [InlineData("locked", typeof(IOException), "could not be listed")]
    public async Task Scan_FolderThatCannotBeListed_FindingOnTheFolderAndTheRestJudged(string folder, Type error, string expected)
    {
        using var temp = FolderWithEvilPickle();
        Directory.CreateDirectory(temp.File(folder));
        File.WriteAllBytes(temp.File(folder + "/hidden.pkl"), Evil);
        var scanner = ScannerOver(new FaultyFileSystem(f => f.EndsWith("/" + folder, StringComparison.Ordinal) ? (Exception)Activator.CreateInstance(error, "simulated")! : null));

        var report = await scanner.ScanAsync([temp.Path], ScanPolicy.Default);

        UnreadableAt(report, folder).Message.Should().Contain(expected).And.Contain("nothing in it was scanned");
        EvilStillJudged(report);
    }

    [Fact]
    public async Task Scan_FolderRemovedBetweenListingAndWalking_FindingOnTheFolder()
    {
        using var temp = FolderWithEvilPickle();
        Directory.CreateDirectory(temp.File("gone/inner"));
        File.WriteAllBytes(temp.File("gone/inner/x.pkl"), Evil);
        var scanner = ScannerOver(new FaultyFileSystem(_ => null, f =>
        {
            if (f.EndsWith("/gone", StringComparison.Ordinal))
            {
                Directory.Delete(f + "/inner", recursive: true);
            }
        }));

        var report = await scanner.ScanAsync([temp.Path], ScanPolicy.Default);

        UnreadableAt(report, "gone/inner").Message.Should().Contain("no longer exists");
        EvilStillJudged(report);
    }

    [LinuxFact]
    public async Task Scan_FileRemovedBetweenListingAndExamining_FindingOnTheFile()
    {
        using var temp = FolderWithEvilPickle();
        File.WriteAllBytes(temp.File("sub/brief.pt"), Evil);
        var scanner = ScannerOver(new FaultyFileSystem(_ => null, f =>
        {
            if (f.EndsWith("/sub", StringComparison.Ordinal))
            {
                File.Delete(f + "/brief.pt");
            }
        }));

        var report = await scanner.ScanAsync([temp.Path], ScanPolicy.Default);

        UnreadableAt(report, "brief.pt").Message.Should().Contain("vanished");
        EvilStillJudged(report);
    }

    public static TheoryData<Exception, string> Failures() => new()
    {
        { new MalformedContentException("bad header", 12), RuleIds.ParseError },
        { new JinjaSyntaxException("unexpected end of template", 1, 5), RuleIds.ParseError },
        { new PickleFormatException("truncated", 3, atEnd: true), RuleIds.ParseError },
        { new UnsupportedCompressionException("bcj", "BCJ filter", 8), RuleIds.ParseError },
        { new TomlException("bad key", 2, 1), RuleIds.ParseError },
        { new EndOfStreamException("short read"), RuleIds.ParseError },
        { new LimitExceededException("max-test", "too big"), RuleIds.LimitReached },
        { new FileNotFoundException("gone"), RuleIds.Unreadable },
        { new UnauthorizedAccessException("denied"), RuleIds.Unreadable },
        { new InvalidOperationException("bug"), RuleIds.AnalyzerFailure },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Ladder_SameErrorInFileAndFolderAnalyzer_JudgedTheSame(Exception error, string expectedRule)
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("THROW.bin"), "THROW");
        var scanner = new Scanner([new Thrower(error)], AnalyzerRegistry.Rules, RampartTool.Info) { FolderAnalyzers = [new Thrower(error)] };

        var report = await scanner.ScanAsync([temp.Path], ScanPolicy.Default);

        var rules = report.Findings.Select(f => f.RuleId).ToList();
        rules.Should().HaveCount(2).And.AllBe(expectedRule);
        report.Findings.Should().OnlyContain(f => f.Verdict == Verdict.Inconclusive);
    }

    private sealed class Thrower(Exception error) : IArtifactAnalyzer, IFolderAnalyzer
    {
        public string Id => "thrower";

        public bool CanAnalyze(Artifact artifact) => artifact.Head.Span.StartsWith("THROW"u8);

        public bool CanAnalyze(FolderView folder, AnalysisContext context) => true;

        public ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken) => throw error;

        public ValueTask<AnalysisResult> AnalyzeAsync(FolderView folder, AnalysisContext context, CancellationToken cancellationToken) => throw error;
    }
}

/// <summary>A theory that needs Linux (symbolic links, devices, statx); reported as skipped elsewhere.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux (symbolic links, devices and statx)";
        }
    }
}
