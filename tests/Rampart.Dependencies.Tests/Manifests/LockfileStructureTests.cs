using System.Text;
using Rampart.Dependencies.Manifests;

namespace Rampart.Dependencies.Tests.Manifests;

/// <summary>
/// Lockfiles and pyproject.toml that parse but are built wrong name the line of the wrong entry, and an entry whose
/// environment marker does not parse is an error on the marker's line, never audited as if it applied.
/// </summary>
public sealed class LockfileStructureTests
{
    private static ManifestResult Read(ManifestFormat format, string text) =>
        ManifestReader.Read(format, Encoding.UTF8.GetBytes(text), ManifestReader.Id(format));

    public static TheoryData<ManifestFormat, string, int, string> StructureErrors => new()
    {
        // The packages key is not an array of tables.
        { ManifestFormat.UvLock, "version = 1\n\npackage = \"numpy\"\n", 3, "must be an array of tables" },
        { ManifestFormat.PoetryLock, "[metadata]\nlock-version = \"2.0\"\n\n[[metadata.files]]\nx = 1\n", 0, "" },
        { ManifestFormat.Pylock, "lock-version = \"1.0\"\npackages = 5\n", 2, "must be an array of tables" },
        // An entry that is not a table.
        { ManifestFormat.UvLock, "version = 1\npackage = [\n  { name = \"numpy\", version = \"1.26.4\" },\n  \"scipy\",\n]\n", 4, "entry 2 is a string, not a table" },
        { ManifestFormat.PdmLock, "package = [\n  1,\n]\n\n[metadata]\ngroups = []\n", 2, "entry 1 is a number, not a table" },
        // An entry without a usable name: the line of its [[header]], or of the bad name.
        { ManifestFormat.PoetryLock, "[[package]]\nname = \"numpy\"\nversion = \"1.26.4\"\n\n[[package]]\nversion = \"2.0\"\n", 5, "it has no name" },
        { ManifestFormat.UvLock, "version = 1\n\n[[package]]\nname = \"numpy\"\n\n[[package]]\nversion = \"2.0\"\nname = \"not a name!\"\n", 8, "'not a name!' is not a valid package name" },
        { ManifestFormat.Pylock, "lock-version = \"1.0\"\n\n[[packages]]\nname = 7\nversion = \"1.0\"\n", 4, "is not a string" },
    };

    [Theory]
    [MemberData(nameof(StructureErrors))]
    public void StructureError_NamesTheLineOfTheEntry(ManifestFormat format, string text, int line, string words)
    {
        var result = Read(format, text);

        if (line == 0)
        {
            // Control: a lockfile whose only tables are metadata is read without a problem.
            result.Problems.Should().BeEmpty();
            return;
        }

        var problem = result.Problems.Should().ContainSingle().Which;
        problem.Line.Should().Be(line, problem.Message);
        problem.Message.Should().Contain(words);
    }

    [Fact]
    public void LockedPackages_CarryTheLineOfTheirEntry()
    {
        var result = Read(ManifestFormat.UvLock, "version = 1\n\n[[package]]\nname = \"numpy\"\nversion = \"1.26.4\"\n\n[[package]]\nname = \"scipy\"\nversion = \"1.13.0\"\n");

        result.Dependencies.Select(d => (d.Name, d.Line)).Should().Equal(("numpy", 3), ("scipy", 7));
    }

    public static TheoryData<ManifestFormat, string, int> BadMarkers => new()
    {
        { ManifestFormat.UvLock, "version = 1\n\n[[package]]\nname = \"numpy\"\nversion = \"1.26.4\"\n\n[[package]]\nname = \"pywin32\"\nversion = \"306\"\nmarker = \"sys_platform === \"\n", 10 },
        { ManifestFormat.PoetryLock, "[[package]]\nname = \"numpy\"\nversion = \"1.26.4\"\n\n[[package]]\nname = \"pywin32\"\nversion = \"306\"\nmarkers = \"platform_os == 'win'\"\n", 8 },
        { ManifestFormat.PdmLock, "[metadata]\ngroups = []\n[[package]]\nname = \"numpy\"\nversion = \"1.26.4\"\n[[package]]\nname = \"pywin32\"\nversion = \"306\"\nmarker = \"python_version < '3.8' and\"\n", 9 },
        { ManifestFormat.Pylock, "lock-version = \"1.0\"\n[[packages]]\nname = \"numpy\"\nversion = \"1.26.4\"\n[[packages]]\nname = \"pywin32\"\nversion = \"306\"\nmarker = \"(python_version < '3.8'\"\n", 8 },
        { ManifestFormat.PipfileLock, "{\n  \"_meta\": {},\n  \"default\": {\n    \"numpy\": {\"version\": \"==1.26.4\"},\n    \"pywin32\": {\n      \"version\": \"==306\",\n      \"markers\": \"sys_platform ~= \"\n    }\n  }\n}\n", 7 },
    };

    [Theory]
    [MemberData(nameof(BadMarkers))]
    public void MalformedMarker_IsAnErrorOnItsLine_AndThePinIsNotAudited(ManifestFormat format, string text, int line)
    {
        var result = Read(format, text);

        var problem = result.Problems.Should().ContainSingle().Which;
        problem.Line.Should().Be(line, problem.Message);
        problem.Message.Should().Contain("'pywin32'").And.Contain("environment marker").And.Contain("not audited");
        result.Dependencies.Select(d => d.Name).Should().Equal("numpy");
    }

    [Theory]
    [InlineData(ManifestFormat.UvLock, "version = 1\n[[package]]\nname = \"pywin32\"\nversion = \"306\"\nmarker = \"sys_platform == 'win32' and python_version >= '3.8'\"\n")]
    [InlineData(ManifestFormat.Pylock, "lock-version = \"1.0\"\n[[packages]]\nname = \"pywin32\"\nversion = \"306\"\nmarker = \"platform_system == 'Windows'\"\n")]
    [InlineData(ManifestFormat.PipfileLock, "{\"default\": {\"pywin32\": {\"version\": \"==306\", \"markers\": \"os_name == 'nt'\"}}}")]
    public void ValidMarker_KeepsThePinnedEntry(ManifestFormat format, string text)
    {
        var result = Read(format, text);

        result.Problems.Should().BeEmpty();
        var dependency = result.Dependencies.Should().ContainSingle().Which;
        dependency.Version.Should().Be("306");
        dependency.Marker.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public void Pyproject_RequirementErrors_NameTheirLines()
    {
        var text = """
            [project]
            name = "demo"
            dependencies = [
              "numpy==1.26.4",
              "torch >= = 2",
              42,
              "scipy; python_version <",
            ]

            [project.optional-dependencies]
            web = ["flask==3.0.0", "requests[ ==2"]

            [dependency-groups]
            dev = [{include-group = "web"}, "pytest==8.0.0", "black =="]

            [tool.poetry.dependencies]
            python = "^3.10"
            pandas = {version = "2.2.0", markers = "python_version >>> '3'"}
            rich = 5
            """;

        var result = Read(ManifestFormat.Pyproject, text.ReplaceLineEndings("\n"));

        result.Problems.Select(p => p.Line).Should().Equal(5, 6, 7, 11, 14, 18, 19);
        result.Problems.Should().OnlyContain(p => p.Line > 0);
        result.Dependencies.Select(d => (d.Name, d.Line)).Should().Equal(("numpy", 4), ("flask", 11), ("pytest", 14));
    }
}
