using Rampart.TestKit;

namespace Rampart.Cli.Tests.Shipping;

/// <summary>
/// The repository's .pre-commit-hooks.yaml, used by Debian's pre-commit from a hook repository in a temporary git
/// repository: a commit that adds a hostile pickle is blocked, a clean model and a clean pickle go through.
/// </summary>
public sealed class PreCommitHookTests : IDisposable
{
    private const string PreCommit = "/usr/bin/pre-commit";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, string> Environment() => new()
    {
        ["PATH"] = ShippedRampart.PathWith(ShippedRampart.CommandFolder(_dir.Path)),
        ["PRE_COMMIT_HOME"] = _dir.File("pre-commit-home"),
        ["HOME"] = _dir.Path,
        ["GIT_AUTHOR_NAME"] = "t", ["GIT_AUTHOR_EMAIL"] = "t@example.test", ["GIT_COMMITTER_NAME"] = "t", ["GIT_COMMITTER_EMAIL"] = "t@example.test",
        ["GIT_CONFIG_NOSYSTEM"] = "1",
    };

    private async Task<(int Code, string Output)> Git(string folder, params string[] arguments) =>
        await ShippedRampart.RunAsync("git", ["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", .. arguments], folder, Environment());

    /// <summary>A hook repository holding this repository's .pre-commit-hooks.yaml, committed; returns (folder, commit).</summary>
    private async Task<(string Folder, string Rev)> HookRepositoryAsync()
    {
        var hooks = Directory.CreateDirectory(_dir.File("hooks")).FullName;
        File.Copy(Path.Combine(RepositoryPaths.Root, ".pre-commit-hooks.yaml"), Path.Combine(hooks, ".pre-commit-hooks.yaml"));
        (await Git(hooks, "init", "-q")).Code.Should().Be(0);
        (await Git(hooks, "add", ".")).Code.Should().Be(0);
        (await Git(hooks, "commit", "-q", "-m", "hooks")).Code.Should().Be(0);
        var (_, rev) = await Git(hooks, "rev-parse", "HEAD");
        return (hooks, rev.Trim());
    }

    private async Task<string> ProjectAsync(params string[] hookIds)
    {
        var (hooks, rev) = await HookRepositoryAsync();
        var project = Directory.CreateDirectory(_dir.File("project")).FullName;
        (await Git(project, "init", "-q")).Code.Should().Be(0);
        await File.WriteAllTextAsync(Path.Combine(project, ".pre-commit-config.yaml"),
            $"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n" + string.Concat(hookIds.Select(id => $"  - id: {id}\n")));
        var (code, output) = await ShippedRampart.RunAsync(PreCommit, ["install"], project, Environment());
        code.Should().Be(0, output);
        return project;
    }

    private async Task<(int Code, string Output, bool Committed)> CommitAsync(string project, string name, byte[] content)
    {
        await File.WriteAllBytesAsync(Path.Combine(project, name), content);
        (await Git(project, "add", name, ".pre-commit-config.yaml")).Code.Should().Be(0);
        var (code, output) = await Git(project, "commit", "-m", "add " + name);
        var (_, tracked) = await Git(project, "ls-tree", "-r", "--name-only", "HEAD");
        return (code, output, tracked.Split('\n').Contains(name));
    }

    [Fact]
    public async Task ScanHook_HostilePickleIsBlocked_CleanFilesGoThrough()
    {
        if (!File.Exists(PreCommit))
        {
            Console.WriteLine($"SKIPPED: {PreCommit} is not installed (apt-get install pre-commit)");
            return;
        }

        var project = await ProjectAsync("rampart-scan");

        var (code, output, committed) = await CommitAsync(project, "model.safetensors", HuggingFaceRepoBuilder.SafetensorsBytes());
        code.Should().Be(0, output);
        committed.Should().BeTrue();
        output.Should().Contain("rampart scan (model files)").And.Contain("Passed");

        (code, output, committed) = await CommitAsync(project, "numbers.pkl", new PickleBuilder().Proto(2).BinInt1(5).Stop().ToArray());
        code.Should().Be(0, output);
        committed.Should().BeTrue();

        (code, output, committed) = await CommitAsync(project, "evil.pkl", PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-marker"));
        code.Should().NotBe(0, "the hook must block the commit");
        committed.Should().BeFalse();
        output.Should().Contain("Failed").And.Contain("MALICIOUS").And.Contain("evil.pkl");
    }

    [Fact]
    public async Task AuditHook_FiresOnManifestsOnly_AndBlocksAnUnreadableOne()
    {
        if (!File.Exists(PreCommit))
        {
            Console.WriteLine($"SKIPPED: {PreCommit} is not installed (apt-get install pre-commit)");
            return;
        }

        var project = await ProjectAsync("rampart-audit");
        var config = await File.ReadAllTextAsync(Path.Combine(project, ".pre-commit-config.yaml"));
        await File.WriteAllTextAsync(Path.Combine(project, ".pre-commit-config.yaml"), config + "    args: [--no-advisories]\n");

        var (code, output, committed) = await CommitAsync(project, "notes.txt", "just notes"u8.ToArray());
        code.Should().Be(0, output);
        committed.Should().BeTrue();
        output.Should().Contain("(no files to check)");

        (code, output, committed) = await CommitAsync(project, "requirements.txt", "requests==2.31.0\n"u8.ToArray());
        code.Should().Be(0, output);
        committed.Should().BeTrue();

        (code, output, committed) = await CommitAsync(project, "requirements-dev.txt", "-r /nonexistent/elsewhere.txt\nnumpy\n"u8.ToArray());
        code.Should().NotBe(0, output);
        committed.Should().BeFalse();
    }
}
