using System.Text;
using System.Text.Json;
using Rampart.Core.Reporting.Json;
using Rampart.Core.Reporting.Sarif;
using Rampart.Scanning.Analyzers.Notebook;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Notebook;

public sealed class NotebookAnalyzerTests
{
    [Fact]
    public async Task Scan_CodeCell_FindingMapsToNotebookFileLineAndCell()
    {
        var text = new NotebookBuilder()
            .Markdown("# Load")
            .Code("%matplotlib inline\nimport torch\nstate = torch.load(path)")
            .BuildText();
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(text), "train.ipynb");
        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-PY-001").Subject;
        finding.Location.Detail.Should().Be("cell 2, line 3");
        finding.Property("cell").Should().Be("2");
        var lines = text.Split('\n');
        var fileLine = lines[finding.Location.Line!.Value - 1];
        fileLine.Should().Contain("state = torch.load(path)");
        fileLine[(finding.Location.Column!.Value - 1)..].Should().StartWith("torch.load");
    }

    [Fact]
    public async Task Scan_Magics_StrippedBeforeParsing()
    {
        var bytes = new NotebookBuilder().Code("!ls -la\n%time x = 1\nresult = eval(input())").Build();
        var report = await ScanHelper.ScanBytesAsync(bytes, "n.ipynb");
        report.Artifacts.Single().Facts["notebook.parse-errors"].Should().Be("0");
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-PY-006");
    }

    [Fact]
    public async Task Scan_OutputsWithPersonalDataAndToken_RedactedInEveryReport()
    {
        var token = FakeSecrets.HuggingFace;
        var bytes = new NotebookBuilder()
            .Code("df.head()", NotebookBuilder.Result("0  jane.doe@contoso-mail.com  4111 1111 1111 1111", "<td>jane.doe@contoso-mail.com</td>"))
            .Code("print(t)", NotebookBuilder.Stream(token + "\n"))
            .Code("1/0", NotebookBuilder.Error("KeyError", "GB82 WEST 1234 5698 7654 32", "Traceback", "KeyError: 'GB82 WEST 1234 5698 7654 32'"))
            .Build();
        var report = await ScanHelper.ScanBytesAsync(bytes, "eda.ipynb");
        report.Findings.Select(f => f.RuleId).Should().Contain(["RAMP-PII-001", "RAMP-PII-003", "RAMP-PII-004", "RAMP-SECRET-001"]);
        foreach (var reporter in new Core.Reporting.IReporter[] { new JsonReporter(), new SarifReporter(Path.GetTempPath()) })
        {
            using var stream = new MemoryStream();
            await reporter.WriteAsync(report, stream, CancellationToken.None);
            var text = Encoding.UTF8.GetString(stream.ToArray());
            text.Should().NotContain("jane.doe@contoso").And.NotContain("1111 1111 1111").And.NotContain("WEST 1234").And.NotContain(token[5..]);
        }
    }

    [Fact]
    public async Task Scan_PipInstall_UnpinnedReportedPinnedNot()
    {
        var bytes = new NotebookBuilder().Code("!pip install numpy==1.26.4 'pandas>=2' -q\n%conda install -y scipy=1.11").Build();
        var report = await ScanHelper.ScanBytesAsync(bytes, "setup.ipynb");
        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-NB-001").Subject;
        finding.Property("name").Should().Be("pandas>=2");
    }

    [Fact]
    public async Task Scan_InvalidJson_Inconclusive()
    {
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes("{\"cells\": [ {\"cell_type\": \"code\", \"source\": [\"x\"] "), "broken.ipynb");
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001");
        report.Verdict.Should().Be(Core.Verdict.Inconclusive);
    }

    [Fact]
    public async Task Scan_InvalidUtf8InString_Inconclusive()
    {
        var bytes = new NotebookBuilder().Code("x = 'caf\u00e9'").Build();
        var at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at + 1] = 0xFF;
        var report = await ScanHelper.ScanBytesAsync(bytes, "bad.ipynb");
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001").Which.Message.Should().Contain("UTF-8");
    }

    [Fact]
    public async Task Scan_Nbformat3Worksheets_CellsRead()
    {
        var json = """{"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "input": ["import yaml\n", "yaml.load(open(p))\n"], "outputs": []}]}]}""";
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(json), "old.ipynb");
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-PY-005");
        report.Artifacts.Single().Facts["notebook.nbformat"].Should().Be("3");
    }

    [Fact]
    public void CanAnalyze_NotebookContentWithoutExtension_True_OtherJsonFalse()
    {
        var analyzer = new NotebookAnalyzer();
        var bytes = new NotebookBuilder().Code("x = 1").Build();
        analyzer.CanAnalyze(Rampart.Scanning.Engine.ArtifactFactory.FromBytes("export.json", null, 0, bytes)).Should().BeTrue();
        analyzer.CanAnalyze(Rampart.Scanning.Engine.ArtifactFactory.FromBytes("config.json", null, 0, """{"model_type": "bert"}"""u8.ToArray())).Should().BeFalse();
    }

    [Fact]
    public async Task Scan_SarifRegion_PointsIntoNotebook()
    {
        using var temp = new TempDirectory();
        var path = temp.File("n.ipynb");
        await File.WriteAllBytesAsync(path, new NotebookBuilder().Code("import os\nos.system(f'rm {x}')").Build());
        var report = await ScanHelper.ScanPathsAsync([path]);
        using var stream = new MemoryStream();
        await new SarifReporter(temp.Path).WriteAsync(report, stream, CancellationToken.None);
        using var sarif = JsonDocument.Parse(stream.ToArray());
        var result = sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().Single(r => r.GetProperty("ruleId").GetString() == "RAMP-PY-007");
        var region = result.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region");
        var line = File.ReadAllLines(path)[region.GetProperty("startLine").GetInt32() - 1];
        line[(region.GetProperty("startColumn").GetInt32() - 1)..].Should().StartWith("os.system");
    }
}
