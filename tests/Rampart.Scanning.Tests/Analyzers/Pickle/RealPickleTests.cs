using Rampart.Core;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>Runs Debian's /usr/bin/python3 once to write real pickles with torch, numpy, sklearn and joblib.</summary>
public sealed class RealPickles : IDisposable
{
    public const string Python = DebianPython.Path;

    private static readonly Lazy<string?> LazyMissing = new(() =>
    {
        if (!System.IO.File.Exists(Python))
        {
            return $"{Python} is not installed";
        }

        var (code, output) = DebianPython.Run(["-c", "import torch, numpy, sklearn, joblib"]);
        return code == 0 ? null : $"{Python} lacks torch, numpy, sklearn or joblib: {output.Trim()}";
    });

    private readonly TempDirectory _temp = new();

    public RealPickles()
    {
        if (Missing is not null)
        {
            return;
        }

        var script = Path.Combine(RepositoryPaths.Root, "tests", "Rampart.Scanning.Tests", "Analyzers", "Pickle", "real_pickles.py");
        var (code, output) = DebianPython.Run([script, _temp.Path]);
        if (code != 0)
        {
            throw new InvalidOperationException("real_pickles.py failed: " + output);
        }
    }

    /// <summary>Why the real files cannot be made here, or null.</summary>
    public static string? Missing => LazyMissing.Value;

    public string File(string name) => _temp.File(name);

    public void Dispose() => _temp.Dispose();
}

/// <summary>A fact that is skipped, with the reason, where the real Python libraries are absent.</summary>
public sealed class RealPicklesTheoryAttribute : TheoryAttribute
{
    public RealPicklesTheoryAttribute()
    {
        if (RealPickles.Missing is { } reason)
        {
            Skip = reason;
        }
    }
}

public sealed class RealPickleTests(RealPickles files) : IClassFixture<RealPickles>
{
    [RealPicklesTheory]
    [InlineData("torch_zip_state_dict.data.pkl")]
    [InlineData("torch_zip_checkpoint.data.pkl")]
    [InlineData("torch_legacy_state_dict.pt")]
    [InlineData("numpy_p0.pkl")]
    [InlineData("numpy_p1.pkl")]
    [InlineData("numpy_p2.pkl")]
    [InlineData("numpy_p3.pkl")]
    [InlineData("numpy_p4.pkl")]
    [InlineData("numpy_p5.pkl")]
    [InlineData("stdlib_p0.pkl")]
    [InlineData("stdlib_p2.pkl")]
    [InlineData("stdlib_p4.pkl")]
    [InlineData("joblib_arrays.joblib")]
    public async Task Scan_RealBenignFile_IsClean(string name)
    {
        var report = await ScanHelper.ScanPathsAsync([files.File(name)]);

        report.Findings.Should().BeEmpty(name);
        report.Artifacts[0].Formats.Should().Contain("pickle");
        report.Artifacts[0].Verdict.Should().Be(Verdict.Clean);
    }

    [RealPicklesTheory]
    [InlineData("torch_zip_module.data.pkl", "torch.nn.modules.linear.Linear")]
    [InlineData("sklearn_pipeline.pkl", "sklearn.pipeline.Pipeline", "sklearn.preprocessing._data.StandardScaler", "sklearn.linear_model._logistic.LogisticRegression")]
    public async Task Scan_RealWholeModelSave_NeedsReviewNamingTheClasses(string name, params string[] classes)
    {
        var report = await ScanHelper.ScanPathsAsync([files.File(name)]);

        report.Artifacts[0].Verdict.Should().Be(Verdict.NeedsReview);
        report.Findings.Should().OnlyContain(f => f.RuleId == "RAMP-PKL-002");
        report.Findings.Select(f => f.Property("name")).Should().BeEquivalentTo(classes);
    }

    [RealPicklesTheory]
    [InlineData("malicious_p0.pkl")]
    [InlineData("malicious_p1.pkl")]
    [InlineData("malicious_p2.pkl")]
    [InlineData("malicious_p3.pkl")]
    [InlineData("malicious_p4.pkl")]
    [InlineData("malicious_p5.pkl")]
    [InlineData("joblib_malicious.joblib")]
    public async Task Scan_RealMaliciousFile_IsMaliciousForProcessExecution(string name)
    {
        var report = await ScanHelper.ScanPathsAsync([files.File(name)]);

        report.Artifacts[0].Verdict.Should().Be(Verdict.Malicious);
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-PKL-101" && f.Property("name") == "posix.system");
        System.IO.File.Exists(files.File("marker")).Should().BeFalse("nothing may ever run the payload");
    }

    public static TheoryData<string> JoblibFiles()
    {
        var data = new TheoryData<string>();
        foreach (var compression in (string[])["none", "zlib", "gzip", "bz2", "lzma", "xz"])
        {
            foreach (var stem in (string[])["model", "model.bin", "model.pkl", "model.joblib", "model.dat"])
            {
                data.Add($"joblib_{compression}_{stem}");
            }
        }

        return data;
    }

    [RealPicklesTheory]
    [MemberData(nameof(JoblibFiles))]
    public async Task Scan_RealJoblibDump_IsJudgedByContentWhateverTheNameAndCompression(string name)
    {
        var malicious = await ScanHelper.ScanPathsAsync([files.File(name + "_malicious")]);
        var benign = await ScanHelper.ScanPathsAsync([files.File(name + "_benign")]);

        malicious.Artifacts[0].Verdict.Should().Be(Verdict.Malicious);
        malicious.Findings.Should().Contain(f => f.RuleId == "RAMP-PKL-101" && f.Property("name") == "posix.system");
        benign.Findings.Should().BeEmpty();
        benign.Artifacts[0].Verdict.Should().Be(Verdict.Clean);
        benign.Artifacts.Should().Contain(a => a.Formats.Contains("pickle") && a.Facts.ContainsKey("pickle.joblibArrays"));
        System.IO.File.Exists(files.File("marker")).Should().BeFalse("nothing may ever run the payload");
    }

    [RealPicklesTheory]
    [InlineData("sklearn_tree_none.joblib")]
    [InlineData("sklearn_tree_zlib.joblib")]
    [InlineData("sklearn_tree_xz.joblib")]
    [InlineData("sklearn_regressor_none.joblib")]
    [InlineData("sklearn_forest_none.joblib")]
    [InlineData("sklearn_forest_zlib.joblib")]
    [InlineData("sklearn_boosting_none.joblib")]
    [InlineData("sklearn_boosting_xz.joblib")]
    public async Task Scan_RealTreeModel_ReadsItsStructuredNodesAndIsNeverInconclusiveOrMalicious(string name)
    {
        var report = await ScanHelper.ScanPathsAsync([files.File(name)]);

        report.Artifacts[0].Verdict.Should().BeOneOf(Verdict.Clean, Verdict.NeedsReview);
        report.Findings.Should().OnlyContain(f => f.Verdict == Verdict.NeedsReview, name);
        report.Artifacts.Should().Contain(a => a.Facts.ContainsKey("pickle.joblibArrays"));
    }
}
