using System.Text;
using Rampart.Dependencies.Manifests;

namespace Rampart.Dependencies.Tests.Manifests;

/// <summary>A lockfile that cannot be parsed names the line as the tool that writes it counts (from 1), in words.</summary>
public sealed class LockfileErrorTests
{
    public static TheoryData<string, ManifestFormat, string, int> Broken => new()
    {
        { "poetry.lock", ManifestFormat.PoetryLock, "[[package]]\nname = \"numpy\"\nversion = = \"1.26.4\"\n", 3 },
        { "uv.lock", ManifestFormat.UvLock, "version = 1\n\n[[package]]\nname = \"numpy\n", 4 },
        { "pdm.lock", ManifestFormat.PdmLock, "[metadata]\ngroups = [\"default\"]\n[[package]]\nname = \"numpy\"\nversion \"1.26.4\"\n", 5 },
        { "pylock.toml", ManifestFormat.Pylock, "lock-version = \"1.0\"\r\n[[packages]]\r\nname = \"numpy\"\r\nversion = 1.26.4.0\r\n", 4 },
        { "Pipfile.lock", ManifestFormat.PipfileLock, "{\n  \"_meta\": {},\n  \"default\": {\n    \"numpy\": {\"version\": ==1.26.4}\n  }\n}\n", 4 },
        { "Pipfile.lock", ManifestFormat.PipfileLock, "{\r\n  \"_meta\": {},\r\n  \"default\": {\r\n    \"numpy\": {\"version\": \"==1.26.4\",}\r\n  }\r\n}\r\n", 4 },
        { "Pipfile.lock", ManifestFormat.PipfileLock, "{\n  \"default\": {}\n  \"develop\": {}\n}\n", 3 },
        { "environment.yml", ManifestFormat.CondaEnvironment, "name: x\ndependencies:\n  - @numpy\n", 3 },
        { "environment.yml", ManifestFormat.CondaEnvironment, "name: x\ndependencies:\n  - numpy\n\t- scipy\n", 4 },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void ParseError_NamesItsLine_FromOne_InWords(string name, ManifestFormat format, string text, int line)
    {
        var result = ManifestReader.Read(format, Encoding.UTF8.GetBytes(text), name);
        result.Dependencies.Should().BeEmpty();
        var problem = result.Problems.Should().ContainSingle().Which;
        problem.Line.Should().Be(line, problem.Message);
        problem.Message.Should().Contain($"at line {line}, column ");
        problem.Message.Should().NotContainAny(["LineNumber", "BytePositionInLine", "(Line:", "Idx:", "Path: $"]);
    }

    [Fact]
    public void JsonColumn_CountsCharactersNotBytes()
    {
        var text = "{\n  \"défaut\": {\"é\": x}\n}\n"; // 'x' is the 19th character of line 2, but its 21st byte
        var problem = ManifestReader.Read(ManifestFormat.PipfileLock, Encoding.UTF8.GetBytes(text), "Pipfile.lock").Problems.Should().ContainSingle().Which;
        problem.Message.Should().Contain("at line 2, column 19");
    }
}
