using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Rampart.Dependencies.Environments;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Dependencies.Tests.Environments;

/// <summary>
/// Files of Debian-packaged Python modules: where dpkg owns a file, its md5sum vouches for it when RECORD does not;
/// a file that matches neither is still tampered. The root file system is found in the folder's ancestors.
/// </summary>
public sealed class DpkgTests : IDisposable
{
    private const string Site = "usr/lib/python3/dist-packages";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

#pragma warning disable CA5351 // dpkg records MD5 sums; the fixtures must too
    private static string Md5(byte[] content) => Convert.ToHexStringLower(MD5.HashData(content));
#pragma warning restore CA5351

    /// <summary>A root file system with one package: RECORD written for the wheel's files, then the files as
    /// Debian installed them, and dpkg's records of those (or of <paramref name="dpkgSays"/>).</summary>
    private string RootFs(string rootName, Dictionary<string, (string Wheel, string? Installed)> files, Dictionary<string, string>? dpkgSays = null, bool withDpkg = true, string package = "python3-demo")
    {
        var root = Path.Combine(_temp.Path, rootName);
        var site = Path.Combine(root, Site);
        var info = Path.Combine(site, "demo-1.0.dist-info");
        Directory.CreateDirectory(info);
        var metadata = Text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n");
        File.WriteAllBytes(Path.Combine(info, "METADATA"), metadata);
        var record = new StringBuilder($"demo-1.0.dist-info/METADATA,{DependencyFixtures.RecordHash(metadata)},{metadata.Length}\ndemo-1.0.dist-info/RECORD,,\n");
        var sums = new StringBuilder();
        var list = new StringBuilder($"/{Site}\n/{Site}/demo\n");
        foreach (var (rel, (wheel, installed)) in files)
        {
            var wheelBytes = Text(wheel);
            record.Append(CultureInvariant($"{rel},{DependencyFixtures.RecordHash(wheelBytes)},{wheelBytes.Length}\n"));
            if (installed is null)
            {
                continue;
            }

            var path = Path.Combine(site, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, installed);
            sums.Append(CultureInvariant($"{Md5(Text(dpkgSays?.GetValueOrDefault(rel) ?? installed))}  {Site}/{rel}\n"));
            list.Append(CultureInvariant($"/{Site}/{rel}\n"));
        }

        File.WriteAllText(Path.Combine(info, "RECORD"), record.ToString());
        if (withDpkg)
        {
            var dpkg = Directory.CreateDirectory(Path.Combine(root, "var", "lib", "dpkg", "info")).FullName;
            File.WriteAllText(Path.Combine(dpkg, package + ".md5sums"), sums.ToString());
            File.WriteAllText(Path.Combine(dpkg, package + ".list"), list.ToString());
            File.WriteAllText(Path.Combine(dpkg, "unrelated.md5sums"), $"{Md5(Text("x"))}  usr/bin/unrelated\n");
        }

        return site;
    }

    private static string CultureInvariant(FormattableString s) => FormattableString.Invariant(s);

    private static EnvironmentReport Inspect(string site) => SitePackages.Inspect(new DiskFileTree(site, "site"), CancellationToken.None);

    [Theory]
    [InlineData("#!/usr/bin/python\nprint(1)\n", "#!/usr/bin/python3\nprint(1)\n")] // shebang rewritten: other size
    [InlineData("VALUE = 1\n", "VALUE = 2\n")] // same size, other bytes
    [InlineData("", "# patched by Debian\n")]
    public void ChangedByDebian_MatchesDpkg_NotTampered(string wheel, string installed)
    {
        var site = RootFs("rootfs", new() { ["demo/__init__.py"] = (wheel, installed), ["demo/core.py"] = ("x = 1\n", "x = 1\n") });
        var report = Inspect(site);
        report.Issues.Should().BeEmpty();
        report.FilesVerifiedByDpkg.Should().Be(1);
        report.DpkgPackages.Should().Equal("python3-demo");
    }

    [Theory]
    [InlineData("VALUE = 1\n", "VALUE = 2\n", "VALUE = 3\n")]
    [InlineData("VALUE = 1\n", "import os; os.system('x')\n", "VALUE = 1\n")]
    public void DiffersFromRecordAndDpkg_IsTampered_AndSaysSo(string wheel, string installed, string dpkgSays)
    {
        var site = RootFs("rootfs", new() { ["demo/__init__.py"] = (wheel, installed) }, new() { ["demo/__init__.py"] = dpkgSays });
        var issue = Inspect(site).Issues.Should().ContainSingle().Which;
        issue.Kind.Should().Be("tampered");
        issue.Path.Should().Be("demo/__init__.py");
        issue.Message.Should().Contain("python3-demo").And.Contain("md5sum");
    }

    [Fact]
    public void NoDpkgDatabase_RecordAloneDecides()
    {
        var site = RootFs("plain", new() { ["demo/__init__.py"] = ("VALUE = 1\n", "VALUE = 2\n") }, withDpkg: false);
        var report = Inspect(site);
        report.Issues.Should().ContainSingle().Which.Kind.Should().Be("tampered");
        report.FilesVerifiedByDpkg.Should().Be(0);
    }

    [Fact]
    public void FileDpkgDoesNotOwn_RecordAloneDecides()
    {
        var site = RootFs("rootfs", new() { ["demo/__init__.py"] = ("VALUE = 1\n", "VALUE = 1\n") });
        File.WriteAllText(Path.Combine(site, "demo-1.0.dist-info", "RECORD"),
            File.ReadAllText(Path.Combine(site, "demo-1.0.dist-info", "RECORD")) + $"demo/extra.py,{DependencyFixtures.RecordHash(Text("a = 1\n"))},6\n");
        File.WriteAllText(Path.Combine(site, "demo", "extra.py"), "a = 2\n");
        Inspect(site).Issues.Should().ContainSingle().Which.Should().Match<EnvironmentIssue>(i => i.Kind == "tampered" && i.Path == "demo/extra.py" && !i.Message.Contains("md5sum"));
    }

    [Fact]
    public void FileDebianAdded_MatchingDpkg_IsNotUnlisted_ButChangedItIsTampered()
    {
        var site = RootFs("rootfs", new() { ["demo/__init__.py"] = ("VALUE = 1\n", "VALUE = 1\n") });
        var dpkg = Path.Combine(_temp.Path, "rootfs", "var", "lib", "dpkg", "info");
        File.AppendAllText(Path.Combine(dpkg, "python3-demo.md5sums"), $"{Md5(Text("added = 1\n"))}  {Site}/demo/debian_added.py\n{Md5(Text("orig\n"))}  {Site}/demo/changed_added.py\n");
        File.WriteAllText(Path.Combine(site, "demo", "debian_added.py"), "added = 1\n");
        File.WriteAllText(Path.Combine(site, "demo", "changed_added.py"), "evil\n");
        File.WriteAllText(Path.Combine(site, "demo", "dropped_in.py"), "import os\n");
        var issues = Inspect(site).Issues;
        issues.Select(i => (i.Kind, i.Path)).Should().BeEquivalentTo([("tampered", "demo/changed_added.py"), ("unlisted", "demo/dropped_in.py")]);
    }

    [Fact]
    public void FileDpkgInstalledAsALink_IsNotMissing()
    {
        var site = RootFs("rootfs", new() { ["demo/__init__.py"] = ("VALUE = 1\n", "VALUE = 1\n"), ["demo/cacert.pem"] = ("certs\n", null), ["demo/gone.py"] = ("g = 1\n", null) });
        File.AppendAllText(Path.Combine(_temp.Path, "rootfs", "var", "lib", "dpkg", "info", "python3-demo.list"), $"/{Site}/demo/cacert.pem\n");
        Inspect(site).Issues.Should().ContainSingle().Which.Should().Match<EnvironmentIssue>(i => i.Kind == "missing" && i.Path == "demo/gone.py");
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    public void RecordEntryTheSystemPackageNeverInstalled_IsNotMissing_WhenDpkgInstalledTheRecord(bool dpkgOwnsRecord, int missing)
    {
        var site = RootFs("rootfs", new() { ["demo/__init__.py"] = ("VALUE = 1\n", "VALUE = 1\n"), ["scripts-3.11/demo-cli"] = ("#!python\n", null) });
        if (dpkgOwnsRecord)
        {
            File.AppendAllText(Path.Combine(_temp.Path, "rootfs", "var", "lib", "dpkg", "info", "python3-demo.md5sums"),
                $"{Md5(File.ReadAllBytes(Path.Combine(site, "demo-1.0.dist-info", "RECORD")))}  {Site}/demo-1.0.dist-info/RECORD\n");
        }

        var report = Inspect(site);
        report.Issues.Where(i => i.Kind == "missing").Should().HaveCount(missing);
        report.FilesNotShippedByDpkg.Should().Be(1 - missing);
    }

    [Fact]
    public void RootFsNestedDeep_IsFoundFromTheSiteFolder_AndArchQualifiedPackagesWork()
    {
        var site = RootFs(Path.Combine("images", "layer0", "rootfs"), new() { ["demo/_speedups.so"] = ("ELF1", "ELF2-stripped") }, package: "python3-demo:amd64");
        var report = Inspect(site);
        report.Issues.Should().BeEmpty();
        report.DpkgPackages.Should().Equal("python3-demo:amd64");
    }

    [Theory]
    [InlineData("cryptography-38.0.4.dist-info", "cryptography.egg-info", "38.0.4", 1)]
    [InlineData("PyYAML-6.0.dist-info", "PyYAML-6.0.egg-info", "6.0", 1)]
    [InlineData("demo-1.0.dist-info", "demo-2.0.egg-info", "2.0", 2)]
    public void DistInfoAndEggInfo_OfOneInstallation_ReportedOnce(string dist, string egg, string eggVersion, int expected)
    {
        var site = Path.Combine(_temp.Path, "site");
        var name = dist[..dist.IndexOf('-', StringComparison.Ordinal)];
        var version = dist[(dist.IndexOf('-', StringComparison.Ordinal) + 1)..^".dist-info".Length];
        Directory.CreateDirectory(Path.Combine(site, dist));
        Directory.CreateDirectory(Path.Combine(site, egg));
        var metadata = Text($"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        File.WriteAllBytes(Path.Combine(site, dist, "METADATA"), metadata);
        File.WriteAllText(Path.Combine(site, dist, "RECORD"), $"{dist}/METADATA,{DependencyFixtures.RecordHash(metadata)},{metadata.Length}\n");
        File.WriteAllText(Path.Combine(site, egg, "PKG-INFO"), $"Metadata-Version: 1.2\nName: {name.ToLowerInvariant()}\nVersion: {eggVersion}\n");
        var report = Inspect(site);
        report.Installed.Should().HaveCount(expected);
        report.Installed[0].Source.Should().EndWith(dist, "the dist-info describes it when both do");
    }

    /// <summary>
    /// This machine's Debian Python packages: every file Rampart calls tampered must be one that coreutils' md5sum
    /// also finds changed against dpkg's record (or one dpkg does not own); on an untouched install that is none.
    /// </summary>
    [DebianDistPackagesFact]
    public void ThisMachinesDistPackages_TamperedOnlyWhereDpkgAgrees()
    {
        const string dist = DebianDistPackagesFactAttribute.Folder;
        var report = Inspect(dist);
        report.Installed.Should().NotBeEmpty();
        var owned = DpkgFiles.For(dist)!;
        var changedByDpkg = new HashSet<string>(StringComparer.Ordinal);
        var tampered = report.Issues.Where(i => i.Kind == "tampered").ToList();
        foreach (var issue in tampered.Where(i => owned.Find(i.Path) is { Md5: not null }))
        {
            var entry = owned.Find(issue.Path)!;
            if (!Md5sumAccepts(entry.Md5!, Path.Combine(dist, issue.Path)))
            {
                changedByDpkg.Add(issue.Path);
            }
        }

        tampered.Where(i => owned.Find(i.Path) is { Md5: not null }).Select(i => i.Path).Should().BeSubsetOf(changedByDpkg,
            "a file that still has the md5sum dpkg installed it with was changed by the distribution, not after installation");
        report.Issues.Where(i => i.Kind == "missing").Select(i => i.Path).Should().BeEmpty("dpkg's links are not missing files");
    }

    // coreutils md5sum in a child process: an implementation independent of Rampart's.
    private static bool Md5sumAccepts(string md5, string path)
    {
        var start = new ProcessStartInfo("/usr/bin/md5sum", ["-c", "--quiet", "-"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        process.StandardInput.Write($"{md5}  {path}\n");
        process.StandardInput.Close();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}

/// <summary>Runs only where Debian's Python packages, dpkg's database and coreutils' md5sum are present.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class DebianDistPackagesFactAttribute : FactAttribute
{
    public const string Folder = "/usr/lib/python3/dist-packages";

    public DebianDistPackagesFactAttribute()
    {
        if (!Directory.Exists(Folder) || !Directory.Exists("/var/lib/dpkg/info") || !File.Exists("/usr/bin/md5sum"))
        {
            Skip = "no Debian dist-packages folder, dpkg database or md5sum on this machine";
        }
    }
}
