using System.Globalization;
using System.Text.Json;
using Rampart.Core;
using Rampart.TestKit;
using Xunit.Abstractions;

namespace Rampart.Interop.Tests;

/// <summary>
/// ONNX models written by the real onnx package (Debian's python3-onnx): the package's own backend test models must
/// all be Clean with the same facts onnx itself reads, and hand-edited hostile models (whose external data onnx.load
/// really reads from outside the model folder) must get the expected verdicts.
/// </summary>
public sealed class OnnxInteropTests(ITestOutputHelper output)
{
    private static string Script => Path.Combine(PythonEnvironment.ScriptsFolder, "onnx_models.py");

    [PythonFact("onnx", NeedsAnalyzers = true)]
    public async Task BackendAndExampleModels_Scanned_AllCleanWithOnnxsOwnFacts()
    {
        using var temp = new TempDirectory();
        await ProcessRunner.RunCheckedAsync(PythonEnvironment.SystemPython, [Script, "backend", temp.Path], temp.Path, TimeSpan.FromMinutes(5));
        var facts = await ProcessRunner.RunCheckedAsync(PythonEnvironment.SystemPython, [Script, "facts", temp.Path], temp.Path, TimeSpan.FromMinutes(5));
        var installed = await ProcessRunner.RunCheckedAsync(PythonEnvironment.SystemPython, [Script, "facts", "@installed"], temp.Path, TimeSpan.FromMinutes(5));
        var expected = (facts.StandardOutput + installed.StandardOutput).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(e => e.GetProperty("path").GetString()!, StringComparer.Ordinal);
        expected.Should().HaveCountGreaterThan(500, "onnx 1.12 writes several hundred backend test models");

        var report = await ScanHelper.ScanPathsAsync([.. expected.Keys]);

        var problems = new List<string>();
        foreach (var (path, onnxFacts) in expected)
        {
            var artifact = report.Artifacts.SingleOrDefault(a => a.Path == path);
            if (artifact is null)
            {
                problems.Add($"{path}: not in the report");
                continue;
            }

            if (artifact.Verdict != Verdict.Clean)
            {
                problems.Add($"{path}: {artifact.Verdict}: {string.Join("; ", report.Findings.Where(f => f.ArtifactPath == path).Select(f => $"{f.RuleId} {f.Message}"))}");
                continue;
            }

            foreach (var key in new[] { "ir_version", "opset", "nodes", "parameters" })
            {
                var want = onnxFacts.GetProperty(key).ValueKind == JsonValueKind.Null ? null : onnxFacts.GetProperty(key).GetInt64().ToString(CultureInfo.InvariantCulture);
                var got = artifact.Facts.GetValueOrDefault($"onnx.{key}");
                if (want != got)
                {
                    problems.Add($"{path}: onnx.{key} is {got ?? "absent"}, onnx reads {want ?? "absent"}");
                }
            }
        }

        output.WriteLine($"{expected.Count} backend test models scanned, {problems.Count} problem(s)");
        problems.Should().BeEmpty();
    }

    [PythonFact("onnx", NeedsAnalyzers = true)]
    public async Task HostileModels_WrittenByOnnx_ExpectedVerdicts()
    {
        using var temp = new TempDirectory();
        var run = await ProcessRunner.RunCheckedAsync(PythonEnvironment.SystemPython, [Script, "hostile", temp.Path], temp.Path, TimeSpan.FromMinutes(2));
        var models = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        models.Should().HaveCount(8);

        // The proof that the attack is real: onnx.load pulled the marker file from outside the model's folder.
        foreach (var name in new[] { "traversal", "symlink" })
        {
            models.Single(m => m.GetProperty("name").GetString() == name).GetProperty("loaded").GetString()
                .Should().Be("RAMPART-MARKER-SECRET-24", $"onnx.load reads the outside file for the '{name}' model");
        }

        var report = await ScanHelper.ScanPathsAsync([.. models.Select(m => m.GetProperty("path").GetString()!)]);

        foreach (var model in models)
        {
            var path = model.GetProperty("path").GetString()!;
            var verdict = report.Artifacts.Single(a => a.Path == path).Verdict;
            output.WriteLine($"{model.GetProperty("name").GetString(),-16} {verdict}");
            verdict.ToString().Replace("NeedsReview", "needs-review", StringComparison.Ordinal).ToLowerInvariant()
                .Should().Be(model.GetProperty("expect").GetString(), path);
        }
    }
}
