using System.Text;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.PythonSource;

/// <summary>Streamlit's server.address in .streamlit/config.toml (RAMP-PY-013, issue 18).</summary>
public sealed class StreamlitConfigTests
{
    private static async Task<IReadOnlyList<Finding>> Scan(string toml, string path = ".streamlit/config.toml")
    {
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(toml.ReplaceLineEndings("\n")), path);
        return report.Findings;
    }

    [Theory]
    [InlineData("[server]\nheadless = true\naddress = \"0.0.0.0\"\nport = 8501\n", 3)]
    [InlineData("[theme]\nbase = \"dark\"\n\n[ server ]\n  address = '0.0.0.0'   # reachable from the LAN\n", 5)]
    [InlineData("server.address = \"::\"\n", 1)]
    [InlineData("[browser]\ngatherUsageStats = false\n[\"server\"]\n\"address\" = \"0.0.0.0\"\n", 4)]
    public async Task AllInterfaces_IsReportedAtTheLine(string toml, int line)
    {
        var finding = (await Scan(toml)).Should().ContainSingle(f => f.RuleId == "RAMP-PY-013").Subject;
        finding.Location.Line.Should().Be(line);
        finding.Message.Should().Contain("server.address").And.Contain("every network interface");
    }

    [Theory]
    [InlineData("[server]\naddress = \"127.0.0.1\"\n")]
    [InlineData("[server]\nport = 8501\n[browser]\nserverAddress = \"0.0.0.0\"\n")]
    [InlineData("# address = \"0.0.0.0\"\n[server]\n# address = \"0.0.0.0\"\nheadless = true\n")]
    [InlineData("[client]\naddress = \"0.0.0.0\"\n")]
    public async Task LocalOrOtherKeys_AreQuiet(string toml) =>
        (await Scan(toml)).Should().NotContain(f => f.RuleId == "RAMP-PY-013");

    [Fact]
    public async Task ConfigTomlOutsideStreamlitFolder_IsNotRead() =>
        (await Scan("[server]\naddress = \"0.0.0.0\"\n", "app/config.toml")).Should().NotContain(f => f.RuleId == "RAMP-PY-013");

    [Fact]
    public async Task AddressThatIsNotAString_IsInconclusive()
    {
        var findings = await Scan("[server]\naddress = 0\n");
        findings.Should().NotContain(f => f.RuleId == "RAMP-PY-013");
        findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains("server.address", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AppFolder_ConfigBesideTheAppIsReported()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File(".streamlit"));
        await File.WriteAllTextAsync(dir.File(".streamlit/config.toml"), "[server]\naddress = \"0.0.0.0\"\n");
        await File.WriteAllTextAsync(dir.File("app.py"), "import streamlit as st\nst.title('demo')\n");
        var report = await ScanHelper.ScanPathsAsync([dir.Path]);
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-PY-013").Which.ArtifactPath.Should().EndWith("config.toml");
    }
}
