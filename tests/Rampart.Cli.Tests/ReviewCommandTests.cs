using System.Diagnostics;
using System.Text.Json;
using Rampart.Core;
using Rampart.TestKit;

namespace Rampart.Cli.Tests;

/// <summary>rampart review on real git repositories made in temporary folders.</summary>
public sealed class ReviewCommandTests : IDisposable
{
    private readonly TempDirectory _repo = new();

    public ReviewCommandTests()
    {
        Git("init", "-q", "-b", "main");
        Write("train.py", "import torch\n\n\ndef load(path):\n    return torch.load(path)\n");
        Write("README.md", "hello\n");
        Git("add", "-A");
        Git("commit", "-q", "-m", "base");
    }

    public void Dispose() => _repo.Dispose();

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_repo.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private string Git(params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = _repo.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", "user.name=Rampart Test", "-c", "user.email=test@rampart.invalid", "-c", "commit.gpgsign=false" }.Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.Should().Be(0, stderr);
        return stdout.Trim();
    }

    private Task<CliRun> Review(params string[] args) =>
        CliRunner.RunAsync(["review", .. args], e => e with { CurrentDirectory = _repo.Path });

    [Fact]
    public async Task Review_WorkingTree_OnlyAddedLinesReported()
    {
        // The old torch.load on line 5 is not part of the change; the new one on line 8 is.
        Write("train.py", "import torch\n\n\ndef load(path):\n    return torch.load(path)\n\ndef load2(p):\n    return torch.load(p)\n");
        var run = await Review();
        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stderr);
        run.Stdout.Should().Contain("## Rampart security review: working tree against HEAD");
        run.Stdout.Should().Contain("- [ ] New `torch.load` of the function parameter 'p'");
        run.Stdout.Should().Contain("[RAMP-PY-001](").And.Contain("RAMP-PY-001.md");
        run.Stdout.Should().Contain("[L8](train.py#L8)").And.NotContain("#L5");
    }

    [Fact]
    public async Task Review_UntrackedNotebook_IncludedWithCellDetail()
    {
        Write("nb/eda.ipynb", new NotebookBuilder().Code("!pip install pandas\nimport yaml\ncfg = yaml.load(open(p))").BuildText());
        var run = await Review();
        run.Stdout.Should().Contain("#### `nb/eda.ipynb`").And.Contain("RAMP-NB-001").And.Contain("RAMP-PY-005").And.Contain("cell 1, line 3");
    }

    [Fact]
    public async Task Review_CommitRange_JsonFormat_UsesCommittedContent()
    {
        var baseSha = Git("rev-parse", "HEAD");
        Write("serve.py", "import requests\nr = requests.get(u, verify=False)\n");
        Git("add", "-A");
        Git("commit", "-q", "-m", "change");
        Write("serve.py", "print('working tree differs')\n");
        var run = await Review($"{baseSha}..HEAD", "--format", "json");
        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        var findings = json.RootElement.GetProperty("findings").EnumerateArray().ToList();
        findings.Should().ContainSingle();
        findings[0].GetProperty("ruleId").GetString().Should().Be("RAMP-PY-008");
    }

    [Fact]
    public async Task Review_SarifFormat_ExactRegion()
    {
        Write("app.py", "import os\n\ndef run(name):\n    os.system('convert ' + name)\n");
        var run = await Review("--format", "sarif");
        using var sarif = JsonDocument.Parse(run.Stdout);
        var region = sarif.RootElement.GetProperty("runs")[0].GetProperty("results")[0].GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region");
        region.GetProperty("startLine").GetInt32().Should().Be(4);
        region.GetProperty("startColumn").GetInt32().Should().Be(5);
    }

    [Fact]
    public async Task Review_NoPythonChange_CleanExitAndSaysSo()
    {
        Write("README.md", "changed\n");
        var run = await Review();
        run.ExitCode.Should().Be(ExitCodes.Clean);
        run.Stdout.Should().Contain("No Python or notebook file changed");
    }

    [Fact]
    public async Task Review_SecretAdded_RedactedInMarkdown()
    {
        var token = FakeSecrets.HuggingFace;
        Write("cfg.py", $"TOKEN = '{token}'\n");
        var run = await Review("--output", "review.md");
        run.ExitCode.Should().Be(ExitCodes.Findings);
        var text = File.ReadAllText(Path.Combine(_repo.Path, "review.md"));
        text.Should().Contain("RAMP-SECRET-001").And.Contain("hf_").And.NotContain(token[4..]);
        run.Stderr.Should().Contain("written to review.md");
    }

    [Fact]
    public async Task Review_BadRange_UsageError()
    {
        var run = await Review("HEAD;rm -rf x");
        run.ExitCode.Should().Be(ExitCodes.UsageError);
        var bad = await Review("nosuchrev..HEAD");
        bad.ExitCode.Should().Be(ExitCodes.UsageError);
        bad.Stderr.Should().Contain("git diff failed");
    }

    [Fact]
    public async Task Review_NotARepository_UsageError()
    {
        using var plain = new TempDirectory();
        var run = await CliRunner.RunAsync(["review", "--repo", plain.Path]);
        run.ExitCode.Should().Be(ExitCodes.UsageError);
        run.Stderr.Should().Contain("git rev-parse failed");
    }
}
