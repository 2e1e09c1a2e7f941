using System.IO.Compression;
using System.Text;
using Rampart.Core;
using Rampart.Dependencies.Osv;

namespace Rampart.Dependencies.Tests.Osv;

public sealed class OsvMatcherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rampart-osvm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static OsvAdvisory Json(string json) => OsvParser.ParseJson(Encoding.UTF8.GetBytes(json));

    private static string Advisory(string id, string events, string versions = "[]", string extra = "") =>
        $$"""{"id":"{{id}}","summary":"s","aliases":["CVE-1"],{{extra}}"affected":[{"package":{"ecosystem":"PyPI","name":"Torch_Vision"},"ranges":[{"type":"ECOSYSTEM","events":{{events}}}],"versions":{{versions}}}]}""";

    [Theory]
    [InlineData("1.0", true)]
    [InlineData("1.5", true)]
    [InlineData("1.6", false)]
    [InlineData("0.9", false)]
    public void Match_LastAffected_InclusiveUpperBound(string version, bool expected)
    {
        var a = Json(Advisory("GHSA-1", """[{"introduced":"1.0"},{"last_affected":"1.5"}]"""));
        (OsvMatcher.Match(a, "torch-vision", version) is not null).Should().Be(expected);
    }

    [Theory]
    [InlineData("1.9", true)]
    [InlineData("2.0", false)]
    public void Match_Limit_BoundsAnOpenRange(string version, bool expected)
    {
        var a = Json(Advisory("GHSA-2", """[{"introduced":"0"},{"limit":"2.0"}]"""));
        (OsvMatcher.Match(a, "torch.vision", version) is not null).Should().Be(expected);
    }

    [Fact]
    public void Match_NonPep440Version_OnlyExactStringInVersionsList()
    {
        var a = Json(Advisory("GHSA-3", """[{"introduced":"0"}]""", """["weird-build-7"]"""));
        OsvMatcher.Match(a, "torch_vision", "weird-build-7").Should().NotBeNull();
        OsvMatcher.Match(a, "torch_vision", "weird-build-8").Should().BeNull("a version that is not PEP 440 cannot be placed in a range");
    }

    [Fact]
    public void Match_Fixed_ReportsFixedVersions()
    {
        var a = Json(Advisory("GHSA-4", """[{"introduced":"0"},{"fixed":"1.2"},{"introduced":"2.0"},{"fixed":"2.1.1"}]"""));
        var m = OsvMatcher.Match(a, "torch-vision", "2.1")!;
        m.FixedVersions.Should().Equal("1.2", "2.1.1");
        OsvMatcher.Match(a, "torch-vision", "1.5").Should().BeNull();
    }

    [Fact]
    public void Parse_Severity_MalCriticalCvssComputedDatabaseSpecificWordsUnratedHigh()
    {
        Json(Advisory("MAL-2024-1", """[{"introduced":"0"}]""")).Severity.Should().Be(Severity.Critical);
        Json(Advisory("PYSEC-1", """[{"introduced":"0"}]""", extra: "\"severity\":[{\"type\":\"CVSS_V3\",\"score\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}],")).SeverityBasis.Should().Be("CVSS 9.8");
        Json(Advisory("PYSEC-2", """[{"introduced":"0"}]""", extra: "\"severity\":[{\"type\":\"CVSS_V3\",\"score\":\"CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N\"}],")).Severity.Should().Be(Severity.Low);
        Json(Advisory("GHSA-5", """[{"introduced":"0"}]""", extra: "\"database_specific\":{\"severity\":\"MODERATE\"},")).Severity.Should().Be(Severity.Medium);
        Json(Advisory("GHSA-6", """[{"introduced":"0"}]""")).Severity.Should().Be(Severity.High);
    }

    [Fact]
    public void Import_ZipWithWithdrawnAndBroken_SkipsWithdrawnReportsBroken()
    {
        var zipPath = Path.Combine(_dir, "all.zip");
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
        {
            void Add(string name, string text)
            {
                using var w = new StreamWriter(zip.CreateEntry(name).Open());
                w.Write(text);
            }

            Add("GHSA-a.json", Advisory("GHSA-a", """[{"introduced":"0"},{"fixed":"1.0"}]"""));
            Add("GHSA-w.json", Advisory("GHSA-w", """[{"introduced":"0"}]""", extra: "\"withdrawn\":\"2024-01-01T00:00:00Z\","));
            Add("broken.json", "{not json");
        }

        var db = Path.Combine(_dir, "sub", "osv.db");
        var summary = OsvDatabase.Import(zipPath, db, new FixedTime(), CancellationToken.None);
        summary.Imported.Should().Be(1);
        summary.Withdrawn.Should().Be(1);
        summary.Problems.Should().ContainSingle(p => p.Contains("broken.json", StringComparison.Ordinal));
        using var database = OsvDatabase.Open(db);
        database.Query("TORCH-VISION", "0.5").Select(m => m.Advisory.Id).Should().Equal("GHSA-a");
        database.Info().WithdrawnSkipped.Should().Be(1);
    }

    [Fact]
    public void Open_MissingOrForeignFile_ClearError()
    {
        var act = () => OsvDatabase.Open(Path.Combine(_dir, "none.db"));
        act.Should().Throw<OsvDatabaseException>().WithMessage("*rampart db import*");
        var foreign = Path.Combine(_dir, "foreign.db");
        File.WriteAllText(foreign, "hello");
        var act2 = () => OsvDatabase.Open(foreign);
        act2.Should().Throw<OsvDatabaseException>();
    }

    [Fact]
    public void ResolvePath_Precedence_ExplicitThenEnvThenXdgThenHome()
    {
        var env = new Dictionary<string, string?> { ["RAMPART_DB"] = "/x/r.db", ["XDG_CACHE_HOME"] = "/xdg", ["HOME"] = "/home/u" };
        OsvDatabase.ResolvePath("/a/b.db", k => env.GetValueOrDefault(k)).Should().Be("/a/b.db");
        OsvDatabase.ResolvePath(null, k => env.GetValueOrDefault(k)).Should().Be("/x/r.db");
        env.Remove("RAMPART_DB");
        OsvDatabase.ResolvePath(null, k => env.GetValueOrDefault(k)).Should().Be("/xdg/rampart/osv.db");
        env.Remove("XDG_CACHE_HOME");
        OsvDatabase.ResolvePath(null, k => env.GetValueOrDefault(k)).Should().Be("/home/u/.cache/rampart/osv.db");
    }
}
