using System.Text;
using System.Text.Json;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Scanning.Engine;
using Rampart.TestKit;
using Xunit.Abstractions;

namespace Rampart.Interop.Tests;

/// <summary>One file written by plain_data.py.</summary>
internal sealed record PlainDataFile(string Interpreter, string Path, string Python, int Protocol, bool Roundtrip);

/// <summary>
/// Runs plain_data.py under Debian's python3 and every pyenv CPython (2.7, 3.6 ... 3.13 where installed): each writes
/// the same built-in data at every protocol it supports and reads it back. The folder is then scanned once.
/// </summary>
public sealed class PlainDataFixture : IDisposable
{
    private readonly TempDirectory _work = new();
    private readonly Lazy<Task<IReadOnlyList<PlainDataFile>>> _files;
    private readonly Lazy<Task<ScanReport>> _scan;

    public PlainDataFixture()
    {
        _files = new Lazy<Task<IReadOnlyList<PlainDataFile>>>(GenerateAsync);
        _scan = new Lazy<Task<ScanReport>>(async () =>
        {
            await GetFilesAsync();
            return await Scanner.CreateDefault().ScanAsync([Root], ScanPolicy.Default);
        });
    }

    internal string Root => _work.Path;

    internal IReadOnlyList<string> Interpreters { get; } = [.. new[] { PythonEnvironment.SystemPython }.Where(File.Exists).Concat(PythonEnvironment.PyenvInterpreters())];

    internal Task<IReadOnlyList<PlainDataFile>> GetFilesAsync() => _files.Value;

    internal Task<ScanReport> GetScanAsync() => _scan.Value;

    internal string DisplayPath(PlainDataFile file) => System.IO.Path.Combine(Root, file.Interpreter, file.Path).Replace('\\', '/');

    public void Dispose() => _work.Dispose();

    private async Task<IReadOnlyList<PlainDataFile>> GenerateAsync()
    {
        var script = System.IO.Path.Combine(PythonEnvironment.ScriptsFolder, "plain_data.py");
        var runs = Interpreters.Select(async (python, index) =>
        {
            var label = index == 0 && python == PythonEnvironment.SystemPython ? "system" : "pyenv-" + Directory.GetParent(python)!.Parent!.Name;
            var folder = Directory.CreateDirectory(System.IO.Path.Combine(Root, label)).FullName;
            var result = await ProcessRunner.RunCheckedAsync(python, [script, folder], folder, TimeSpan.FromMinutes(2));
            return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(line => JsonSerializer.Deserialize<JsonLine>(line, CorpusFixture.Json)!)
                .Select(j => new PlainDataFile(label, j.Path, j.Python, j.Protocol, j.Roundtrip))
                .ToList();
        });
        return [.. (await Task.WhenAll(runs)).SelectMany(x => x)];
    }

    private sealed record JsonLine(string Path, string Python, int Protocol, bool Roundtrip);
}

/// <summary>Plain-data pickles from every installed CPython at every protocol must load and must scan Clean.</summary>
public sealed class PlainDataPickleTests(PlainDataFixture fixture, ITestOutputHelper output) : IClassFixture<PlainDataFixture>
{
    [PythonFact]
    public async Task PlainDataPickles_EveryInterpreter_WriteEveryProtocolAndRoundTrip()
    {
        var files = await fixture.GetFilesAsync();
        output.WriteLine("interpreters: " + string.Join(", ", fixture.Interpreters));
        if (PythonEnvironment.PyenvInterpreters().Count == 0)
        {
            output.WriteLine("pyenv has no CPython installed here: only the system interpreter was used");
        }

        foreach (var group in files.GroupBy(f => f.Interpreter))
        {
            var protocols = group.Select(f => f.Protocol).Order().ToList();
            output.WriteLine($"{group.Key} (Python {group.First().Python}): protocols {string.Join(",", protocols)}");
            protocols.Should().Equal(Enumerable.Range(0, protocols.Count), $"{group.Key} writes protocols 0 to its highest");
            protocols.Max().Should().BeGreaterThanOrEqualTo(2);
        }

        files.Select(f => f.Interpreter).Distinct().Should().HaveCount(fixture.Interpreters.Count, "every interpreter must produce files");
        files.Where(f => !f.Roundtrip).Select(f => $"{f.Interpreter}/{f.Path}").Should().BeEmpty("each interpreter must read its own pickles back unchanged");
    }

    [PythonFact(NeedsAnalyzers = true)]
    public async Task PlainDataPickles_Scanned_AreClean()
    {
        var files = await fixture.GetFilesAsync();
        var report = await fixture.GetScanAsync();
        files.Should().NotBeEmpty();
        var failures = new List<string>();
        var table = new StringBuilder();
        foreach (var file in files)
        {
            var path = fixture.DisplayPath(file);
            var verdict = ReportReading.VerdictOf(report, path);
            table.AppendLine($"{(verdict is { } s ? ReportReading.Wire(s) : "missing"),-12} {file.Interpreter}/{file.Path}");
            if (verdict != Verdict.Clean)
            {
                failures.Add(ReportReading.Explain(report, path, $"{file.Interpreter}/{file.Path}", $"plain-data python {file.Python} protocol {file.Protocol}", "clean", ""));
            }
        }

        output.WriteLine(table.ToString());
        Problems.AssertNone(failures, "plain-data pickles that did not scan Clean");
    }
}
