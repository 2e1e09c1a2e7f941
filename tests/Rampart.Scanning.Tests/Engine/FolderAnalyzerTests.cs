using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Engine;

public sealed class FolderAnalyzerTests
{
    [Fact]
    public async Task ScanAsync_FolderAnalyzer_SeesEveryFolderWithItsFilesAndReportsAgainstTheFolder()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("repo/sub/deeper"));
        await File.WriteAllTextAsync(temp.File("repo/marker.txt"), "x");
        await File.WriteAllTextAsync(temp.File("repo/sub/a.txt"), "a");
        await File.WriteAllTextAsync(temp.File("repo/sub/deeper/b.txt"), "bb");
        var recorder = new RecordingFolderAnalyzer();

        var report = await Scanner(recorder).ScanAsync([temp.File("repo")], ScanPolicy.Default);

        recorder.Seen.Keys.Should().BeEquivalentTo(temp.File("repo"), temp.File("repo/sub"), temp.File("repo/sub/deeper"));
        var root = recorder.Seen[temp.File("repo")];
        root.IsScanTarget.Should().BeTrue();
        root.Files.Select(f => f.RelativePath).Should().Equal("marker.txt");
        root.AllFiles.Select(f => f.RelativePath).Should().Equal("marker.txt", "sub/a.txt", "sub/deeper/b.txt");
        root.Subfolders.Should().Equal("sub");
        recorder.Seen[temp.File("repo/sub")].AllFiles.Select(f => f.RelativePath).Should().Equal("a.txt", "deeper/b.txt");
        recorder.Seen[temp.File("repo/sub")].IsScanTarget.Should().BeFalse();

        // Only the folder holding marker.txt gets a finding, reported against the folder's display path.
        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.ParseError).Subject;
        finding.ArtifactPath.Should().Be(temp.File("repo"));
        report.Artifacts.Should().Contain(a => a.Path == temp.File("repo") && a.Verdict == Verdict.Inconclusive && a.Formats.Contains("test-folder"));
        report.Artifacts.Should().NotContain(a => a.Path == temp.File("repo/sub"), "no folder analyzer recognised it");
    }

    [Fact]
    public async Task FolderView_ReadOutsideTheListing_Throws()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("repo"));
        await File.WriteAllTextAsync(temp.File("secret.txt"), "outside");
        await File.WriteAllTextAsync(temp.File("repo/config.json"), "{}");
        var folder = ArtifactWalker.ExpandTree([temp.File("repo")]).Folders.Single();

        (await folder.ReadAllBytesAsync("config.json", 100, CancellationToken.None)).Should().Equal("{}"u8.ToArray());
        var escape = async () => await folder.ReadAllBytesAsync("../secret.txt", 100, CancellationToken.None);
        await escape.Should().ThrowAsync<FileNotFoundException>();
        var tooBig = async () => await folder.ReadAllBytesAsync("config.json", 1, CancellationToken.None);
        await tooBig.Should().ThrowAsync<LimitExceededException>();
    }

    [Fact]
    public async Task ScanAsync_FolderAnalyzerThrows_IsContainedAsAnalyzerFailure()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("repo"));
        await File.WriteAllTextAsync(temp.File("repo/marker.txt"), "x");

        var report = await Scanner(new ThrowingFolderAnalyzer()).ScanAsync([temp.File("repo")], ScanPolicy.Default);

        report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.AnalyzerFailure && f.ArtifactPath == temp.File("repo"))
            .Which.Message.Should().Contain("deliberate");
    }

    [Fact]
    public async Task ScanAsync_SingleFileTarget_RunsNoFolderAnalyzer()
    {
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(temp.File("marker.txt"), "x");
        var recorder = new RecordingFolderAnalyzer();

        await Scanner(recorder).ScanAsync([temp.File("marker.txt")], ScanPolicy.Default);

        recorder.Seen.Should().BeEmpty();
    }

    private static Scanner Scanner(IFolderAnalyzer analyzer) =>
        new(AnalyzerRegistry.CreateAll(), AnalyzerRegistry.Rules, RampartTool.Info) { FolderAnalyzers = [analyzer] };

    private sealed class RecordingFolderAnalyzer : IFolderAnalyzer
    {
        public System.Collections.Concurrent.ConcurrentDictionary<string, FolderView> Seen { get; } = new(StringComparer.Ordinal);

        public string Id => "test-folder";

        public bool CanAnalyze(FolderView folder, AnalysisContext context)
        {
            Seen[folder.FullPath] = folder;
            return folder.Find("marker.txt") is not null;
        }

        public ValueTask<AnalysisResult> AnalyzeAsync(FolderView folder, AnalysisContext context, CancellationToken cancellationToken)
        {
            var result = new AnalysisResult(Id, folder, context);
            result.Inconclusive("marker found");
            return ValueTask.FromResult(result);
        }
    }

    private sealed class ThrowingFolderAnalyzer : IFolderAnalyzer
    {
        public string Id => "test-folder-throw";

        public bool CanAnalyze(FolderView folder, AnalysisContext context) => true;

        public ValueTask<AnalysisResult> AnalyzeAsync(FolderView folder, AnalysisContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("deliberate failure");
    }
}
