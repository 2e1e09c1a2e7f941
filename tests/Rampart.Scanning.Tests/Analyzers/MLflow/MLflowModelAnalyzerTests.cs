using Rampart.Core;
using Rampart.Core.Reporting;
using Rampart.Scanning.Analyzers.MLflow;
using Rampart.Scanning.Tests.Analyzers.Pickle;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.MLflow;

public sealed class MLflowModelAnalyzerTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private async Task<(ScanReport Report, ArtifactReport Folder)> Scan(MLflowModelBuilder builder)
    {
        var folder = builder.Write(_temp.Path);
        var report = await ScanHelper.ScanPathsAsync([folder]);
        return (report, report.Artifacts.Single(a => a.Formats.Contains("mlflow")));
    }

    [Theory]
    [InlineData("cloudpickle")]
    [InlineData("pickle")]
    public async Task Analyze_SklearnFlavor_NamesThePickleItsLoaderReadsAndHow(string format)
    {
        var (report, folder) = await Scan(new MLflowModelBuilder().Sklearn(MLflowFixtures.EstimatorPickle(), format));

        var finding = report.Findings.Single(f => f.RuleId == MLflowModelAnalyzer.UnpicklingFlavor);
        finding.Property("flavor").Should().Be("sklearn");
        finding.Property("name").Should().Be("model.pkl");
        finding.Property("serialization").Should().Be(format);
        folder.Facts["mlflow.flavors"].Should().Be("python_function, sklearn");
        folder.Facts["mlflow.loader_module"].Should().Be("mlflow.sklearn");
        folder.Facts["mlflow.serialization_format"].Should().Be(format);
        folder.Facts["mlflow.mlflow_version"].Should().Be("2.9.2");
        folder.Facts["mlflow.environment_files"].Should().Be("requirements.txt, python_env.yaml, conda.yaml");
        report.Findings.Should().NotContain(f => f.RuleId == MLflowModelAnalyzer.CustomLoaderModule || f.RuleId == MLflowModelAnalyzer.MissingFile);
    }

    [Fact]
    public async Task Analyze_RequirementsAndCondaEnvironment_AreHandedToTheManifestAnalyzer()
    {
        var (report, _) = await Scan(new MLflowModelBuilder().Sklearn(MLflowFixtures.EstimatorPickle()));

        report.Artifacts.Single(a => a.Path.EndsWith("/conda.yaml", StringComparison.Ordinal)).Formats.Should().Contain("python-manifest");
        report.Artifacts.Single(a => a.Path.EndsWith("/requirements.txt", StringComparison.Ordinal)).Formats.Should().Contain("python-manifest");
        report.Artifacts.Single(a => a.Path.EndsWith("/model.pkl", StringComparison.Ordinal)).Formats.Should().Contain("pickle");
    }

    [Fact]
    public async Task Analyze_HostilePickleInTheModel_IsMaliciousThroughThePickleAnalyzer()
    {
        var (report, _) = await Scan(new MLflowModelBuilder().Sklearn(PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-marker")));

        report.Verdict.Should().Be(Verdict.Malicious);
        report.Findings.Should().Contain(f => f.ArtifactPath.EndsWith("/model.pkl", StringComparison.Ordinal) && f.Verdict == Verdict.Malicious);
        report.Findings.Should().Contain(f => f.RuleId == MLflowModelAnalyzer.UnpicklingFlavor);
    }

    [Fact]
    public async Task Analyze_CustomPyfunc_NamesTheCloudpickledPythonModel()
    {
        var (report, _) = await Scan(new MLflowModelBuilder().CustomPyfunc(MLflowFixtures.EstimatorPickle()));

        var finding = report.Findings.Single(f => f.RuleId == MLflowModelAnalyzer.UnpicklingFlavor);
        finding.Property("name").Should().Be("python_model.pkl");
        finding.Property("serialization").Should().Be("cloudpickle");
        report.Findings.Should().NotContain(f => f.RuleId == MLflowModelAnalyzer.CustomLoaderModule, "mlflow.pyfunc.model is MLflow's own loader");
    }

    [Fact]
    public async Task Analyze_LoaderModuleOutsideMlflow_IsReportedAndItsCodeScanned()
    {
        var (report, _) = await Scan(new MLflowModelBuilder().CustomLoader("my_loader", "import os\ndef _load_pyfunc(path):\n    os.system('touch /tmp/rampart-marker')\n"));

        var finding = report.Findings.Single(f => f.RuleId == MLflowModelAnalyzer.CustomLoaderModule);
        finding.Property("name").Should().Be("my_loader");
        finding.Message.Should().Contain("code folder 'code'");
        report.Artifacts.Single(a => a.Path.EndsWith("code/my_loader.py", StringComparison.Ordinal)).Formats.Should().Contain("python");
        report.Findings.Should().NotContain(f => f.RuleId == MLflowModelAnalyzer.MissingFile);
    }

    [Theory]
    [InlineData("model.pkl")]
    [InlineData("conda.yaml")]
    [InlineData("python_env.yaml")]
    public async Task Analyze_NamedFileMissing_IsInconclusive(string missing)
    {
        var (report, _) = await Scan(new MLflowModelBuilder().Sklearn(MLflowFixtures.EstimatorPickle()).Without(missing));

        report.Findings.Should().ContainSingle(f => f.RuleId == MLflowModelAnalyzer.MissingFile).Which.Property("name").Should().Be(missing);
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Theory]
    [InlineData("../../etc/model.pkl")]
    [InlineData("/etc/model.pkl")]
    public async Task Analyze_NamedFileOutsideTheFolder_IsInconclusive(string path)
    {
        var builder = new MLflowModelBuilder().Sklearn(MLflowFixtures.EstimatorPickle(), file: path);
        var folder = builder.Without(path).Write(_temp.Path);

        var report = await ScanHelper.ScanPathsAsync([folder]);

        report.Findings.Should().Contain(f => f.RuleId == MLflowModelAnalyzer.MissingFile && f.Message.Contains("outside the model folder", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyze_OnnxFlavor_RaisesNoLoadingPathFinding()
    {
        var (report, folder) = await Scan(new MLflowModelBuilder().Onnx(OnnxFixtures.Relu().Build()));

        report.Findings.Should().NotContain(f => f.RuleId.StartsWith("RAMP-MLF", StringComparison.Ordinal));
        folder.Facts["mlflow.loader_module"].Should().Be("mlflow.onnx");
        // Only the environment's audit speaks (no advisory database here: RAMP-DEP-011, fail closed); the model is clean.
        report.Findings.Should().OnlyContain(f => f.RuleId.StartsWith("RAMP-DEP", StringComparison.Ordinal) && (f.ArtifactPath.EndsWith("conda.yaml", StringComparison.Ordinal) || f.ArtifactPath.EndsWith("requirements.txt", StringComparison.Ordinal)));
        report.Artifacts.Single(a => a.Path.EndsWith("model.onnx", StringComparison.Ordinal)).Verdict.Should().Be(Verdict.Clean);
    }

    [Theory]
    [InlineData("flavors: [unclosed\n")]
    [InlineData("- just\n- a list\n")]
    [InlineData("artifact_path: model\nmlflow_version: 2.9.2\n")]
    [InlineData("flavors:\n  a: &x [*x]\n  b: {")]
    public async Task Analyze_MalformedMLmodel_IsInconclusiveNotClean(string text)
    {
        var folder = Directory.CreateDirectory(_temp.File("model")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "MLmodel"), text);

        var report = await ScanHelper.ScanPathsAsync([folder]);

        report.Verdict.Should().Be(Verdict.Inconclusive);
        report.Findings.Should().Contain(f => f.ArtifactPath == folder && f.Message.Contains("MLmodel", StringComparison.Ordinal));
    }

    /// <summary>
    /// A real model: a scikit-learn estimator fitted and cloudpickled by Debian's Python (the standalone cloudpickle, or
    /// the copy joblib vendors), in the folder layout mlflow.sklearn.save_model writes; and a hostile PythonModel whose
    /// pickle touches a marker file, never loaded here.
    /// </summary>
    [MlPythonFact]
    public async Task Analyze_RealCloudpickledModels_CleanEstimatorNeedsReviewHostileOneIsMalicious()
    {
        const string script = """
            import sys
            try:
                import cloudpickle
            except ImportError:
                from joblib.externals import cloudpickle
            from sklearn.linear_model import LogisticRegression
            model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
            with open(sys.argv[1], "wb") as f:
                cloudpickle.dump(model, f)
            class Hostile:
                def __reduce__(self):
                    import os
                    return (os.system, ("touch " + sys.argv[3],))
            with open(sys.argv[2], "wb") as f:
                cloudpickle.dump(Hostile(), f)
            """;
        var scriptPath = _temp.File("make.py");
        await File.WriteAllTextAsync(scriptPath, script);
        var (code, output) = await DebianPython.RunAsync([scriptPath, _temp.File("clean.pkl"), _temp.File("hostile.pkl"), _temp.File("marker")]);
        code.Should().Be(0, output);

        var clean = new MLflowModelBuilder().Sklearn(await File.ReadAllBytesAsync(_temp.File("clean.pkl"))).Write(_temp.Path, "clean-model");
        var hostile = new MLflowModelBuilder().CustomPyfunc(await File.ReadAllBytesAsync(_temp.File("hostile.pkl"))).Write(_temp.Path, "hostile-model");

        var cleanReport = await ScanHelper.ScanPathsAsync([clean]);
        cleanReport.Findings.Should().Contain(f => f.RuleId == MLflowModelAnalyzer.UnpicklingFlavor && f.Property("serialization") == "cloudpickle");
        cleanReport.Verdict.Should().NotBe(Verdict.Malicious, string.Join("; ", cleanReport.Findings.Select(f => f.RuleId + " " + f.Message)));

        var hostileReport = await ScanHelper.ScanPathsAsync([hostile]);
        hostileReport.Verdict.Should().Be(Verdict.Malicious);
        hostileReport.Findings.Should().Contain(f => f.ArtifactPath.EndsWith("python_model.pkl", StringComparison.Ordinal) && f.Verdict == Verdict.Malicious);
        File.Exists(_temp.File("marker")).Should().BeFalse("nothing was loaded");
    }
}
