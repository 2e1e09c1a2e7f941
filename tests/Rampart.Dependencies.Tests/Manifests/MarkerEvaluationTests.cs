using System.Collections.Immutable;
using System.Text;
using Rampart.Core.Policy;
using Rampart.Dependencies.Manifests;
using Rampart.Dependencies.Osv;
using Rampart.Dependencies.Signals;
using Rampart.TestKit;

namespace Rampart.Dependencies.Tests.Manifests;

/// <summary>
/// PEP 508 markers are evaluated against the audit's target environment: a pin whose marker the target decides false
/// is not checked (and the report says so, RAMP-DEP-012); one it leaves undecided is audited, so without a target
/// every branch of a lockfile is audited.
/// </summary>
public sealed class MarkerEvaluationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static MarkerEnvironment Env(params string[] pairs) =>
        MarkerEnvironment.From(pairs.Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1])));

    [Theory]
    [InlineData("python_version < '3.9'", "python_version=3.8", true)]
    [InlineData("python_version < '3.9'", "python_version=3.11", false)]
    [InlineData("python_version >= '3.10'", "python_version=3.9", false)] // a version comparison, not a string one
    [InlineData("'3.10' <= python_version", "python_version=3.11", true)]
    [InlineData("python_full_version >= '3.11.4'", "python_full_version=3.11.10", true)]
    [InlineData("python_version == '3.11'", "python_full_version=3.11.4", true)] // python_version derived from the full version
    [InlineData("python_version == '3.*'", "python_version=3.12", true)]
    [InlineData("python_version ~= '3.8'", "python_version=3.12", true)]
    [InlineData("sys_platform == 'win32'", "sys_platform=linux", false)]
    [InlineData("sys.platform == 'linux'", "sys_platform=linux", true)]
    [InlineData("os_name != 'nt'", "os_name=posix", true)]
    [InlineData("'linux' in sys_platform", "sys_platform=linux2", true)]
    [InlineData("platform_machine not in 'x86_64 AMD64'", "platform_machine=aarch64", true)]
    [InlineData("platform_system == 'Windows' or python_version < '3.9'", "platform_system=Linux;python_version=3.11", false)]
    [InlineData("(sys_platform == 'linux' and python_version < '3.9') or os_name == 'nt'", "sys_platform=linux;python_version=3.8;os_name=posix", true)]
    [InlineData("extra == 'Socks_Proxy'", "extra=socks-proxy", true)] // extras compare normalized
    [InlineData("platform_release >= '5'", "platform_release=5.15.0-91-generic", null)] // no version, no string order
    [InlineData("implementation_name ~= 'cpython'", "implementation_name=cpython", null)] // packaging cannot compare this
    public void Evaluate_DecidesAsPackagingDoes(string marker, string environment, bool? expected)
    {
        EnvironmentMarker.TryParse(marker, out var parsed, out var error).Should().BeTrue(error);
        parsed.Evaluate(Env(environment.Split(';'))).Should().Be(expected, marker);
    }

    [Theory]
    [InlineData("python_version < '3.9'", "sys_platform=linux", null)] // the target leaves the python version open
    [InlineData("python_version < '3.9' and sys_platform == 'win32'", "sys_platform=linux", false)] // false and open is false
    [InlineData("python_version < '3.9' or sys_platform == 'linux'", "sys_platform=linux", true)] // true or open is true
    [InlineData("python_version < '3.9' or sys_platform == 'win32'", "sys_platform=linux", null)]
    [InlineData("extra == 'gpu'", "python_version=3.11", null)]
    [InlineData("'a' == 'a'", "", true)] // literals alone decide
    public void Evaluate_OpenVariables_AreUndecidedInThreeValuedLogic(string marker, string environment, bool? expected)
    {
        EnvironmentMarker.TryParse(marker, out var parsed, out _).Should().BeTrue();
        var env = environment.Length == 0 ? MarkerEnvironment.Open : Env(environment.Split(';'));
        parsed.Evaluate(env).Should().Be(expected, marker);
        if (parsed.Text.Contains("python_version", StringComparison.Ordinal))
        {
            parsed.Evaluate(MarkerEnvironment.Open).Should().BeNull("no target decides nothing that names a variable");
        }
    }

    [Fact]
    public void Environment_RefusesANameThatIsNoMarkerVariable()
    {
        var act = () => Env("python=3.11");
        act.Should().Throw<ArgumentException>().WithMessage("*'python' is not a PEP 508 marker variable*");
    }

    /// <summary>numpy 1.24.4, only for Python before 3.9, in each lockfile format (uv: a resolution fork).</summary>
    public static TheoryData<ManifestFormat, string> OldNumpyLocks => new()
    {
        { ManifestFormat.UvLock, "version = 1\nrequires-python = \">=3.8\"\n\n[[package]]\nname = \"numpy\"\nversion = \"1.24.4\"\nsource = { registry = \"https://pypi.org/simple\" }\nresolution-markers = [\n    \"python_full_version < '3.9'\",\n]\n\n[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n" },
        { ManifestFormat.PoetryLock, "[[package]]\nname = \"numpy\"\nversion = \"1.24.4\"\ndescription = \"\"\noptional = false\npython-versions = \">=3.8\"\nmarkers = \"python_version < \\\"3.9\\\"\"\n\n[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\n" },
        { ManifestFormat.PoetryLock, "[[package]]\nname = \"numpy\"\nversion = \"1.24.4\"\ngroups = [\"main\"]\nmarkers = {main = \"python_version < \\\"3.9\\\"\"}\n\n[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\n" },
        { ManifestFormat.PdmLock, "[metadata]\ngroups = [\"default\"]\n\n[[package]]\nname = \"numpy\"\nversion = \"1.24.4\"\nrequires_python = \">=3.8\"\nmarker = \"python_version < \\\"3.9\\\"\"\n\n[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\n" },
        { ManifestFormat.Pylock, "lock-version = \"1.0\"\ncreated-by = \"test\"\n\n[[packages]]\nname = \"numpy\"\nversion = \"1.24.4\"\nmarker = \"python_version < '3.9'\"\n\n[[packages]]\nname = \"requests\"\nversion = \"2.31.0\"\n" },
        { ManifestFormat.PipfileLock, "{\n  \"_meta\": {\"hash\": {\"sha256\": \"x\"}},\n  \"default\": {\n    \"numpy\": {\"version\": \"==1.24.4\", \"markers\": \"python_version < '3.9'\"},\n    \"requests\": {\"version\": \"==2.31.0\"}\n  },\n  \"develop\": {}\n}\n" },
    };

    [Theory]
    [MemberData(nameof(OldNumpyLocks))]
    public void Lockfile_PinForAnotherPython_IsNotCheckedForTheTarget_AndTheReportSaysSo(ManifestFormat format, string text)
    {
        var manifest = ManifestReader.Read(format, Encoding.UTF8.GetBytes(text), ManifestReader.Id(format));
        manifest.Problems.Should().BeEmpty();
        manifest.Dependencies.Single(d => d.Name == "numpy").Marker.Should().Contain("< ");
        using var db = AdvisoriesFor("numpy", "1.25.0", "requests", "2.32.0");

        var modern = DependencyAudit.Check(manifest, "x.lock", Target(("python_full_version", "3.11.4"), ("sys_platform", "linux")), db);
        modern.Where(i => i.Kind == "advisory").Select(i => i.Name).Should().BeEquivalentTo(["GHSA-requests"], "numpy 1.24.4 is not installed on Python 3.11");
        modern.Should().ContainSingle(i => i.Kind == "not-audited").Which.Message.Should().Contain("numpy 1.24.4").And.Contain("python_version=3.11");

        var old = DependencyAudit.Check(manifest, "x.lock", Target(("python_full_version", "3.8.18")), db);
        old.Where(i => i.Kind == "advisory").Select(i => i.Name).Should().BeEquivalentTo(["GHSA-numpy", "GHSA-requests"]);
        old.Should().NotContain(i => i.Kind == "not-audited");

        foreach (var undecided in new[] { ScanPolicy.Default, Target(("sys_platform", "linux")) })
        {
            // No target, or one that leaves the python version open: every branch is audited.
            var all = DependencyAudit.Check(manifest, "x.lock", undecided with { RequirePins = [] }, db);
            all.Where(i => i.Kind == "advisory").Select(i => i.Name).Should().BeEquivalentTo(["GHSA-numpy", "GHSA-requests"]);
            all.Should().NotContain(i => i.Kind == "not-audited");
        }
    }

    [Fact]
    public void UvLock_PackageInSeveralForks_IsForTheTargetWhenAnyForkIs()
    {
        const string text = "version = 1\n\n[[package]]\nname = \"numpy\"\nversion = \"1.24.4\"\nresolution-markers = [\"python_full_version < '3.9'\", \"sys_platform == 'win32'\"]\n";
        var manifest = ManifestReader.Read(ManifestFormat.UvLock, Encoding.UTF8.GetBytes(text), "uv.lock");
        using var db = AdvisoriesFor("numpy", "1.25.0", "requests", "2.32.0");

        DependencyAudit.Check(manifest, "uv.lock", Target(("python_full_version", "3.11.4"), ("sys_platform", "win32")), db)
            .Should().Contain(i => i.Kind == "advisory" && i.Name == "GHSA-numpy");
        DependencyAudit.Check(manifest, "uv.lock", Target(("python_full_version", "3.11.4"), ("sys_platform", "linux")), db)
            .Should().NotContain(i => i.Kind == "advisory").And.Contain(i => i.Kind == "not-audited");
    }

    [Theory]
    [InlineData(ManifestFormat.UvLock, "version = 1\n[[package]]\nname = \"numpy\"\nversion = \"1.24.4\"\nresolution-markers = [\"python_version < '3.9'\", 3]\n", 5)]
    [InlineData(ManifestFormat.PoetryLock, "[[package]]\nname = \"numpy\"\nversion = \"1.24.4\"\nmarkers = {main = true}\n", 4)]
    [InlineData(ManifestFormat.PoetryLock, "[[package]]\nname = \"numpy\"\nversion = \"1.24.4\"\nmarkers = {main = \"python_version <\"}\n", 4)]
    public void Lockfile_MarkerOfTheWrongShape_IsAnErrorOnItsLine_NotNoMarker(ManifestFormat format, string text, int line)
    {
        var manifest = ManifestReader.Read(format, Encoding.UTF8.GetBytes(text), ManifestReader.Id(format));
        manifest.Dependencies.Should().BeEmpty();
        manifest.Problems.Should().ContainSingle().Which.Line.Should().Be(line);
    }

    [Fact]
    public void Requirements_MarkerIsEvaluatedToo()
    {
        var manifest = RequirementsReader.ReadText("numpy==1.24.4 ; python_version < '3.9'\nrequests==2.31.0\n", "requirements.txt", _ => null);
        using var db = AdvisoriesFor("numpy", "1.25.0", "requests", "2.32.0");

        DependencyAudit.Check(manifest, "requirements.txt", Target(("python_version", "3.12")), db)
            .Where(i => i.Kind == "advisory").Select(i => i.Name).Should().BeEquivalentTo(["GHSA-requests"]);
        DependencyAudit.Check(manifest, "requirements.txt", Target(("python_version", "3.8")), db)
            .Where(i => i.Kind == "advisory").Select(i => i.Name).Should().BeEquivalentTo(["GHSA-numpy", "GHSA-requests"]);
    }

    [Fact]
    public void Policy_Target_IsReadAndChecked()
    {
        var policy = PolicyParser.Parse("dependencies:\n  target:\n    python_version: \"3.11\"\n    sys_platform: linux\n", "rampart.yaml");
        policy.TargetEnvironment.Should().BeEquivalentTo(new Dictionary<string, string> { ["python_version"] = "3.11", ["sys_platform"] = "linux" });

        var act = () => PolicyParser.Parse("dependencies:\n  target:\n    python: \"3.11\"\n", "rampart.yaml");
        act.Should().Throw<PolicyException>().WithMessage("*'python' is not a PEP 508 marker variable*");
    }

    private static ScanPolicy Target(params (string Name, string Value)[] values) =>
        ScanPolicy.Default with { RequirePins = [], TargetEnvironment = values.ToImmutableDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal) };

    private OsvDatabase AdvisoriesFor(string first, string firstFixed, string second, string secondFixed)
    {
        var folder = Path.Combine(_temp.Path, "advisories-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        foreach (var (name, fixedIn) in new[] { (first, firstFixed), (second, secondFixed) })
        {
            File.WriteAllText(Path.Combine(folder, $"GHSA-{name}.json"), $$"""
                {"id":"GHSA-{{name}}","summary":"flaw","affected":[{"package":{"ecosystem":"PyPI","name":"{{name}}"},
                 "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"{{fixedIn}}"}]}]}]}
                """);
        }

        var path = folder + ".db";
        OsvDatabase.Import(folder, path, TimeProvider.System, CancellationToken.None);
        return OsvDatabase.Open(path);
    }
}
