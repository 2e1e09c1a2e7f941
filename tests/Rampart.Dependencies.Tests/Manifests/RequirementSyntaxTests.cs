using System.Text;
using Rampart.Dependencies.Manifests;
using Rampart.TestKit;

namespace Rampart.Dependencies.Tests.Manifests;

/// <summary>How pip reads a requirements file: ${NAME} variables, a byte order mark, markers, options.</summary>
public sealed class RequirementSyntaxTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static ManifestResult Read(string text, Func<string, string?>? env = null) =>
        RequirementsReader.ReadText(text, "requirements.txt", env ?? (_ => null));

    [Theory]
    [InlineData("requests==${REQ_VERSION}\n", "2.19.1")]
    [InlineData("requests==${MAJOR}.${MINOR}.1\n", "2.19.1")]
    [InlineData("requests>=2.0,==${REQ_VERSION} ; python_version >= '3'\n", "2.19.1")]
    [InlineData("requests==\\\n${REQ_VERSION}\n", "2.19.1")]
    [InlineData("${PKG}==${REQ_VERSION}\n", "2.19.1")]
    public void Variables_AreExpandedFromTheEnvironment(string text, string version)
    {
        var result = Read(text, Env(("REQ_VERSION", "2.19.1"), ("MAJOR", "2"), ("MINOR", "19"), ("PKG", "requests")));
        result.Problems.Should().BeEmpty();
        var d = result.Dependencies.Should().ContainSingle().Which;
        (d.Name, d.Version).Should().Be(("requests", version));
    }

    [Theory]
    [InlineData("requests==${REQ_VERSION}\n", "REQ_VERSION")]
    [InlineData("requests==${EMPTY}\n", "EMPTY")]
    [InlineData("requests==2.19.1 --hash=${HASH}\n", null)]
    public void UnsetOrEmptyVariable_StaysAsWritten_AndIsAnError(string text, string? name)
    {
        var result = Read(text, Env(("EMPTY", "")));
        if (name is null)
        {
            // In an option value the text stays literal too: pip passes it on as it is.
            result.Dependencies.Should().ContainSingle().Which.Hashes.Should().Equal("${HASH}");
            return;
        }

        result.Dependencies.Should().BeEmpty();
        var problem = result.Problems.Should().ContainSingle().Which;
        problem.Line.Should().Be(1);
        problem.Message.Should().Contain(name).And.Contain("not set");
    }

    [Theory]
    [InlineData("requests==${req_version}\n")] // lower case: not a pip variable
    [InlineData("requests==$REQ_VERSION\n")] // no braces
    [InlineData("requests==${REQ-VERSION}\n")] // '-' is not allowed in a name
    public void OnlyUpperCaseBracedNames_AreVariables(string text)
    {
        var result = Read(text, name => "2.19.1");
        result.Dependencies.Should().BeEmpty("pip leaves the text as written and cannot read the version");
        result.Problems.Should().ContainSingle().Which.Line.Should().Be(1);
    }

    [Fact]
    public void Variables_InOptionsAndIncludes_AreExpanded()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_temp.Path, "proj")).FullName;
        Directory.CreateDirectory(Path.Combine(dir, "reqs"));
        File.WriteAllText(Path.Combine(dir, "reqs", "base.txt"), "numpy==1.26.4\n");
        var main = Path.Combine(dir, "requirements.txt");
        File.WriteAllText(main, "--index-url ${INDEX}/simple\n-r ${SUB}/base.txt\n");
        var result = RequirementsReader.ReadFile(main, "requirements.txt", environment: Env(("INDEX", "https://pypi.acme.internal"), ("SUB", "reqs")));
        result.Problems.Should().BeEmpty();
        result.IndexUrls.Should().Equal("https://pypi.acme.internal/simple");
        result.Dependencies.Should().ContainSingle().Which.Version.Should().Be("1.26.4");
    }

    [Fact]
    public void Variable_InAComment_IsNotAnError()
    {
        Read("# set ${UNSET} first\nrequests==2.19.1  # ${ALSO_UNSET}\n").Problems.Should().BeEmpty();
    }

    [Fact]
    public void ByteOrderMark_IsSkipped_InTextFilesAndBytes()
    {
        Read("\uFEFFrequests==2.19.1\n").Dependencies.Should().ContainSingle().Which.Version.Should().Be("2.19.1");
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("requests==2.19.1\n")).ToArray();
        var fromBytes = ManifestReader.Read(ManifestFormat.Requirements, bytes, "requirements.txt");
        fromBytes.Problems.Should().BeEmpty();
        fromBytes.Dependencies.Should().ContainSingle().Which.Name.Should().Be("requests");
        var file = Path.Combine(_temp.Path, "requirements.txt");
        File.WriteAllBytes(file, bytes);
        RequirementsReader.ReadFile(file, "requirements.txt").Dependencies.Should().ContainSingle().Which.Name.Should().Be("requests");
    }

    [Theory]
    [InlineData("pipfile.lock", ManifestFormat.PipfileLock, """{"_meta": {}, "default": {"numpy": {"version": "==1.26.4"}}}""")]
    [InlineData("uv.lock", ManifestFormat.UvLock, "version = 1\n[[package]]\nname = \"numpy\"\nversion = \"1.26.4\"\n")]
    [InlineData("poetry.lock", ManifestFormat.PoetryLock, "[[package]]\nname = \"numpy\"\nversion = \"1.26.4\"\n")]
    [InlineData("environment.yml", ManifestFormat.CondaEnvironment, "name: x\ndependencies:\n  - pip:\n    - numpy==1.26.4\n")]
    public void ByteOrderMark_IsSkipped_InLockfiles(string name, ManifestFormat format, string text)
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(text)).ToArray();
        var result = ManifestReader.Read(format, bytes, name);
        result.Problems.Should().BeEmpty();
        result.Dependencies.Should().ContainSingle().Which.Version.Should().Be("1.26.4");
    }

    [Theory]
    [InlineData("requests==2.19.1; python_version <")]
    [InlineData("requests==2.19.1; python_versoin < '3'")]
    [InlineData("requests==2.19.1; (python_version < '3'")]
    [InlineData("requests==2.19.1; python_version ~ '3'")]
    [InlineData("requests==2.19.1; os_name == 'nt' andd sys_platform == 'x'")]
    [InlineData("requests==2.19.1; os_name == 'nt")]
    [InlineData("requests==2.19.1; os_name not 'nt'")]
    [InlineData("requests==2.19.1; python_version < '3' or")]
    [InlineData("requests==2.19.1; ()")]
    [InlineData("requests @ https://example.com/requests-2.19.1-py3-none-any.whl ; bogus == '1'")]
    public void MalformedMarker_IsAnErrorOnItsLine_AndThePinIsNotAudited(string line)
    {
        var result = Read("numpy==1.26.4\n\n" + line + "\n");
        result.Dependencies.Select(d => d.Name).Should().Equal(["numpy"], "a pin whose marker cannot be read is never audited as if it applied");
        var problem = result.Problems.Should().ContainSingle().Which;
        problem.Line.Should().Be(3);
        problem.Message.Should().Contain("marker");
    }

    [Theory]
    [InlineData("python_version < \"3.8\" and (sys_platform == 'linux' or os_name == \"nt\")")]
    [InlineData("extra == 'gpu'")]
    [InlineData("\"linux\" in sys_platform")]
    [InlineData("platform_machine not in 'x86_64 aarch64'")]
    [InlineData("os.name == 'posix' and platform_python_implementation=='CPython'")]
    [InlineData("((python_full_version >= '3.9.1'))")]
    [InlineData("implementation_name == 'cpython' and platform_release >= '5'")]
    public void WellFormedMarker_KeepsThePin(string marker)
    {
        var result = Read($"requests==2.19.1 ; {marker}\n");
        result.Problems.Should().BeEmpty();
        var d = result.Dependencies.Should().ContainSingle().Which;
        (d.Version, d.Marker).Should().Be(("2.19.1", marker));
    }

    [Theory]
    [InlineData("--frobnicate", "--frobnicate")]
    [InlineData("--install-option=--prefix=/x", "--install-option")]
    [InlineData("requests==2.19.1 --frobnicate=1", "--frobnicate")]
    [InlineData("requests==2.19.1 --hash=sha256:abc --no-deps", "--no-deps")]
    [InlineData("requests==2.19.1 --hash", "--hash")]
    public void UnknownOrIncompleteOption_IsAnErrorOnItsLine(string line, string option)
    {
        var result = Read("# header\n\\\n" + line + "\n");
        var problem = result.Problems.Should().ContainSingle().Which;
        problem.Line.Should().Be(2, "the continued line starts on line 2");
        problem.Message.Should().Contain(option);
    }

    [Fact]
    public void PerRequirementOptions_pipAccepts_AreRead()
    {
        var result = Read("requests==2.19.1 --hash=sha256:aa --hash sha256:bb -C key=value --config-settings=k=v --global-option=x\n");
        result.Problems.Should().BeEmpty();
        result.Dependencies.Should().ContainSingle().Which.Hashes.Should().Equal("sha256:aa", "sha256:bb");
    }
}
