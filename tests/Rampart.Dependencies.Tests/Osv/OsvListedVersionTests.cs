using System.Text;
using Rampart.Dependencies.Osv;
using Rampart.Dependencies.Pep440;
using Rampart.TestKit;

namespace Rampart.Dependencies.Tests.Osv;

/// <summary>The database answers "is this version listed" from an index of equality keys, exactly as matching the list would.</summary>
public sealed class OsvListedVersionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("1.0", "1.0.0")]
    [InlineData("1", "1.0.0.0")]
    [InlineData("1.0+CPU.01", "1.0+cpu.1")]
    [InlineData("1.0+cpu-1", "1.0+cpu.1")]
    [InlineData("2.0rc1", "2.0c1")]
    [InlineData("2.0.post1", "2.0-1")]
    [InlineData("1!2.0.dev3", "1!2.0.0.dev3")]
    [InlineData("v1.0", "1.0")]
    public void EqualityKey_EqualVersions_SameKey(string a, string b)
    {
        var (x, y) = (PythonVersion.Parse(a), PythonVersion.Parse(b));
        x.Should().Be(y);
        x.EqualityKey.Should().Be(y.EqualityKey);
    }

    [Theory]
    [InlineData("1.0", "1.0+cpu")]
    [InlineData("1.0", "1.0.1")]
    [InlineData("1.0", "1!1.0")]
    [InlineData("1.0rc1", "1.0")]
    [InlineData("1.0.post1", "1.0")]
    [InlineData("1.0.dev1", "1.0")]
    [InlineData("1.0+a.1", "1.0+a.2")]
    [InlineData("10", "1.0")]
    public void EqualityKey_DifferentVersions_DifferentKeys(string a, string b)
    {
        var (x, y) = (PythonVersion.Parse(a), PythonVersion.Parse(b));
        x.Should().NotBe(y);
        x.EqualityKey.Should().NotBe(y.EqualityKey);
    }

    [Theory]
    [InlineData("1.0.0", true)]
    [InlineData("1", true)]
    [InlineData("2.0+cpu.1", true)]
    [InlineData("2.0", false)]
    [InlineData("weird-build-7", true)]
    [InlineData("weird-build-8", false)]
    [InlineData("3.0c1", true)]
    [InlineData("3.0", false)]
    [InlineData("0.9", false)]
    public void Query_ListedVersions_MatchesLikeTheList(string version, bool listed)
    {
        var folder = Path.Combine(_temp.Path, "adv");
        Directory.CreateDirectory(folder);
        var json = """
            {"id":"GHSA-list","summary":"s","affected":[{"package":{"ecosystem":"PyPI","name":"Some_Pkg"},
             "versions":["1.0","2.0+CPU.01","weird-build-7","3.0rc1"]}]}
            """;
        File.WriteAllText(Path.Combine(folder, "GHSA-list.json"), json);
        var db = Path.Combine(_temp.Path, "osv.db");
        OsvDatabase.Import(folder, db, TimeProvider.System, CancellationToken.None);
        using var database = OsvDatabase.Open(db);
        var advisory = OsvParser.ParseJson(Encoding.UTF8.GetBytes(json));
        (OsvMatcher.Match(advisory, "some-pkg", version) is not null).Should().Be(listed, "matching the list itself");
        database.Query("some.pkg", version).Any(m => m.Advisory.Id == "GHSA-list").Should().Be(listed, "the database's index");
        database.ForPackage("SOME_PKG").Should().ContainSingle().Which.Affected.Single().Versions.Should().HaveCount(4, "the full advisory is still available");
    }

    [Fact]
    public void Query_PackageNoAdvisoryNames_IsEmpty()
    {
        var folder = Path.Combine(_temp.Path, "adv");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "a.json"), """{"id":"GHSA-a","summary":"s","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}""");
        var db = Path.Combine(_temp.Path, "osv.db");
        OsvDatabase.Import(folder, db, TimeProvider.System, CancellationToken.None);
        using var database = OsvDatabase.Open(db);
        database.Query("b", "1.0").Should().BeEmpty();
        database.Query("A", "1.0").Should().ContainSingle();
    }
}
