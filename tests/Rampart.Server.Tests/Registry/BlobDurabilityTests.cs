using System.Security.Cryptography;
using Rampart.Server.Registry;
using Rampart.TestKit;

namespace Rampart.Server.Tests.Registry;

/// <summary>A blob is flushed to disk before its rename makes it visible, and its folder is flushed after (watched through the store's file-system seam).</summary>
public sealed class BlobDurabilityTests
{
    [Fact]
    public async Task Put_FlushesFileBeforeRename_AndFolderAfter()
    {
        using var data = new TempDirectory();
        var files = new RecordingFiles();
        var store = new BlobStore(data.Path, files);
        var bytes = "a report"u8.ToArray();
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        var target = store.PathOf(digest);
        var shard = Path.GetDirectoryName(target)!;

        (await store.PutAsync(bytes, CancellationToken.None)).Should().Be(digest);

        files.Steps.Should().HaveCount(4);
        files.Steps[0].Should().Be("dir " + Path.GetDirectoryName(shard), "a new shard folder is a new name in the root");
        files.Steps[1].Should().StartWith("file " + data.Path).And.EndWith(".tmp");
        files.Steps[2].Should().Be($"move {files.Steps[1]["file ".Length..]} -> {target}");
        files.Steps[3].Should().Be("dir " + shard);
        (await File.ReadAllBytesAsync(target)).Should().Equal(bytes);

        // The same content again: flushed, the rename loses to the stored copy, the duplicate goes, nothing else changes.
        files.Steps.Clear();
        (await store.PutAsync(bytes, CancellationToken.None)).Should().Be(digest);
        files.Steps.Should().HaveCount(2);
        files.Steps[0].Should().StartWith("file ");
        files.Steps[1].Should().StartWith("move ");
        Directory.GetFiles(store.UploadDirectory).Should().BeEmpty();
    }

    [Fact]
    public async Task Adopt_OfAFinishedUpload_FlushesBeforeRename()
    {
        using var data = new TempDirectory();
        var files = new RecordingFiles();
        var store = new BlobStore(data.Path, files);
        var part = Path.Combine(store.UploadDirectory, "x.part");
        await File.WriteAllBytesAsync(part, Models.CleanSafetensors());

        var digest = await store.AdoptAsync(part, CancellationToken.None);

        files.Steps.Select(s => s.Split(' ')[0]).Should().Equal("dir", "file", "move", "dir");
        files.Steps[1].Should().Be("file " + part);
        store.Exists(digest).Should().BeTrue();
    }

    [Fact]
    public void RealFolderFlush_Works_AndReportsAMissingFolder()
    {
        using var data = new TempDirectory();
        var durable = BlobFileSystem.Durable;
        durable.Invoking(d => d.FlushDirectory(data.Path)).Should().NotThrow();
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            durable.Invoking(d => d.FlushDirectory(Path.Combine(data.Path, "missing"))).Should().Throw<IOException>().WithMessage("*cannot open the folder*");
        }
    }

    private sealed class RecordingFiles : BlobFileSystem
    {
        public List<string> Steps { get; } = [];

        public override void FlushFile(string path)
        {
            Steps.Add("file " + path);
            base.FlushFile(path);
        }

        public override void Move(string from, string to)
        {
            Steps.Add($"move {from} -> {to}");
            base.Move(from, to);
        }

        public override void FlushDirectory(string path)
        {
            Steps.Add("dir " + path);
            base.FlushDirectory(path);
        }
    }
}
