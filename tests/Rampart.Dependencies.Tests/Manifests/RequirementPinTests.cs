using Rampart.Core.Policy;
using Rampart.Dependencies.Manifests;
using Rampart.Dependencies.Osv;
using Rampart.Dependencies.Pep440;
using Rampart.Dependencies.Signals;
using Rampart.TestKit;

namespace Rampart.Dependencies.Tests.Manifests;

/// <summary>A requirement is a pin when its specifier set admits exactly one version, however many clauses it has.</summary>
public sealed class RequirementPinTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static ManifestResult Read(string text) => RequirementsReader.ReadText(text, "requirements.txt", _ => null);

    [Theory]
    [InlineData("requests>=2.0,==2.19.1", "2.19.1")]
    [InlineData("requests==2.19.1,!=2.19.0", "2.19.1")]
    [InlineData("requests===2.19.1", "2.19.1")]
    [InlineData("requests==2.19.1,<3", "2.19.1")]
    [InlineData("requests (==2.19.1, >=2)", "2.19.1")]
    [InlineData("requests == 2.19.1 , != 2.18.0", "2.19.1")]
    [InlineData("requests==2.19.1,==2.19.1.0", "2.19.1")]
    [InlineData("requests==2.19.*,==2.19.1", "2.19.1")]
    [InlineData("requests~=2.19,==2.19.1", "2.19.1")]
    [InlineData("requests[socks]>=2,==2.19.1 ; python_version >= '3'", "2.19.1")]
    [InlineData("requests==2.0rc1,<3", "2.0rc1")]
    public void MultiClausePin_IsPinnedToItsOneVersion(string line, string version)
    {
        var result = Read(line + "\n");
        result.Problems.Should().BeEmpty();
        result.Dependencies.Should().ContainSingle().Which.Version.Should().Be(version);
    }

    [Theory]
    [InlineData("requests>=2.0")]
    [InlineData("requests==2.*")]
    [InlineData("requests>=2,<3")]
    [InlineData("requests!=2.19.1")]
    [InlineData("requests~=2.19")]
    [InlineData("requests")]
    public void Range_IsNotAPin(string line)
    {
        var result = Read(line + "\n");
        result.Problems.Should().BeEmpty();
        result.Dependencies.Should().ContainSingle().Which.IsPinned.Should().BeFalse();
    }

    [Theory]
    [InlineData("requests==2.19.1,!=2.19.1", "!=2.19.1")]
    [InlineData("requests==2.19.1,<2", "<2")]
    [InlineData("requests==2.19.1,>=3", ">=3")]
    [InlineData("requests==1.0,==2.0", "==2.0")]
    [InlineData("requests===2.19.1,===2.19.2", "===2.19.2")]
    [InlineData("requests===2.19.1,<2", "<2")]
    [InlineData("requests==2.19.1,!=2.19.*", "!=2.19.*")]
    public void ContradictoryClauses_AreAnErrorOnTheirLine_NotAPin(string line, string culprit)
    {
        var result = Read("# pinned\nnumpy==1.26.4\n" + line + "\n");
        result.Dependencies.Select(d => d.Name).Should().Equal("numpy");
        var problem = result.Problems.Should().ContainSingle().Which;
        problem.Line.Should().Be(3);
        problem.Message.Should().Contain(culprit).And.Contain("no version satisfies");
    }

    [Theory]
    [InlineData("==2.19.1", ">=2.0", "2.19.1")]
    [InlineData("===1.0", "!=2.0", "1.0")]
    [InlineData("==1.0", "<2,>0.5", "1.0")]
    public void SpecifierSet_Pin_IgnoresClauseOrder(string a, string b, string version)
    {
        SpecifierSet.TryParse($"{a},{b}", out var ab).Should().BeTrue();
        SpecifierSet.TryParse($"{b},{a}", out var ba).Should().BeTrue();
        ab.Pin().Should().Be((version, (string?)null));
        ba.PinnedVersion.Should().Be(version);
    }

    [Fact]
    public void MultiClausePin_AdvisoriesAreChecked()
    {
        var advisories = Path.Combine(_temp.Path, "advisories");
        Directory.CreateDirectory(advisories);
        File.WriteAllText(Path.Combine(advisories, "GHSA-req.json"), """
            {"id":"GHSA-req","summary":"leak","affected":[{"package":{"ecosystem":"PyPI","name":"requests"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.20.0"}]}]}]}
            """);
        var dbPath = Path.Combine(_temp.Path, "osv.db");
        OsvDatabase.Import(advisories, dbPath, TimeProvider.System, CancellationToken.None);
        using var db = OsvDatabase.Open(dbPath);
        foreach (var line in new[] { "requests>=2.0,==2.19.1", "requests==2.19.1,!=2.19.0", "requests===2.19.1", "requests==2.19.1,<3" })
        {
            var issues = DependencyAudit.Check(Read(line + "\n"), "requirements.txt", ScanPolicy.Default with { RequirePins = [] }, db);
            issues.Should().ContainSingle(i => i.Kind == "advisory", line).Which.Name.Should().Be("GHSA-req");
        }
    }

    [Fact]
    public void MultiClausePin_IsNotReportedUnpinned()
    {
        var policy = ScanPolicy.Default with { RequirePins = ["**"] };
        DependencyAudit.Check(Read("requests>=2.0,==2.19.1\n"), "serving/requirements.txt", policy, null).Should().NotContain(i => i.Kind == "unpinned");
        DependencyAudit.Check(Read("requests>=2.0\n"), "serving/requirements.txt", policy, null).Should().Contain(i => i.Kind == "unpinned");
    }

    [Fact]
    public void Pyproject_MultiClausePin_IsPinned()
    {
        var toml = "[project]\nname = \"x\"\ndependencies = [\"requests>=2.0,==2.19.1\", \"numpy==1.26.4,!=1.26.3\"]\n"u8;
        var result = ManifestReader.Read(ManifestFormat.Pyproject, toml, "pyproject.toml");
        result.Dependencies.Select(d => d.Version).Should().Equal("2.19.1", "1.26.4");
    }
}
