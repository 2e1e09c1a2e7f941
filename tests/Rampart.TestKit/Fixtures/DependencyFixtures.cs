using System.Security.Cryptography;
using System.Text;
using Rampart.Core.Policy;
using Rampart.Dependencies.Osv;

namespace Rampart.TestKit.Fixtures;

/// <summary>Manifests, advisory databases and installed environments for the dependency audit's rules (RAMP-DEP-*).</summary>
public sealed class DependencyFixtures : IFixtureSource
{
    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    private static Fixture Requirements(string id, string fileName, string text, Func<string, ScanPolicy>? policy = null) =>
        new(id, fileName, () => Text(text)) { Policy = policy ?? NoDatabase };

    // A database path that never exists: the fixture's result does not depend on the machine's cache.
    private static ScanPolicy NoDatabase(string dir) => ScanPolicy.Default with { AdvisoryDatabase = Path.Combine(dir, "no-such-osv.db") };

    public const string VulnerableRequirements = "accesscontrol==5.1\nevil-ml-helper==0.1\nnumpy==1.26.4\n";

    /// <summary>Two OSV advisories: a vulnerability in accesscontrol below 5.2, and a malicious package.</summary>
    public static void WriteAdvisories(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "GHSA-test-0001.json"), """
            {"id":"GHSA-test-0001","summary":"Sandbox escape through string formatting","aliases":["CVE-2021-32807"],
             "database_specific":{"severity":"HIGH"},
             "affected":[{"package":{"ecosystem":"PyPI","name":"AccessControl"},
               "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"5.0"},{"fixed":"5.2"}]}]}]}
            """);
        File.WriteAllText(Path.Combine(folder, "MAL-2026-0001.json"), """
            {"id":"MAL-2026-0001","summary":"Malicious code in evil-ml-helper (PyPI)","aliases":[],
             "affected":[{"package":{"ecosystem":"PyPI","name":"evil-ml-helper"},"versions":["0.1"]}]}
            """);
    }

    public static string RecordHash(byte[] content) =>
        "sha256=" + Convert.ToBase64String(SHA256.HashData(content)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A site-packages folder with one honest package; with <paramref name="tamper"/>, one changed file, one
    /// unlisted file, one missing file, a .pth start-up hook and a package built from a local folder.</summary>
    public static string WriteSitePackages(string directory, bool tamper)
    {
        var site = Path.Combine(directory, "site-packages");
        var info = Path.Combine(site, "goodpkg-1.0.dist-info");
        Directory.CreateDirectory(Path.Combine(site, "goodpkg"));
        Directory.CreateDirectory(info);
        var init = Text("VALUE = 1\n");
        var util = Text("def helper():\n    return 2\n");
        var metadata = Text("Metadata-Version: 2.1\nName: goodpkg\nVersion: 1.0\n\nA package.\n");
        File.WriteAllBytes(Path.Combine(site, "goodpkg", "__init__.py"), init);
        File.WriteAllBytes(Path.Combine(site, "goodpkg", "util.py"), util);
        File.WriteAllBytes(Path.Combine(info, "METADATA"), metadata);
        File.WriteAllText(Path.Combine(info, "INSTALLER"), "pip\n");
        var record = new StringBuilder()
            .Append(CultureLine("goodpkg/__init__.py", init))
            .Append(CultureLine("goodpkg/util.py", util))
            .Append(CultureLine("goodpkg-1.0.dist-info/METADATA", metadata))
            .Append("goodpkg-1.0.dist-info/RECORD,,\n")
            .Append("../../../bin/goodpkg-cli,sha256=AAAA,10\n");
        if (tamper)
        {
            record.Append("goodpkg/gone.py,").Append(RecordHash(Text("x"))).Append(",1\n");
            File.WriteAllText(Path.Combine(site, "goodpkg", "__init__.py"), "VALUE = 2\n"); // same size, other bytes
            File.WriteAllText(Path.Combine(site, "goodpkg", "backdoor.py"), "import os\n");
            File.WriteAllText(Path.Combine(site, "zz_hook.pth"), "# adds a path\n/opt/extra\nimport os; os.environ.get('X')\n");
            var local = Path.Combine(site, "localpkg-2.0.dist-info");
            Directory.CreateDirectory(local);
            File.WriteAllText(Path.Combine(local, "METADATA"), "Metadata-Version: 2.1\nName: localpkg\nVersion: 2.0\n");
            File.WriteAllText(Path.Combine(local, "direct_url.json"), """{"url": "file:///home/dev/localpkg", "dir_info": {}}""");
            File.WriteAllText(Path.Combine(local, "RECORD"), "localpkg-2.0.dist-info/RECORD,,\n");
        }

        File.WriteAllText(Path.Combine(info, "RECORD"), record.ToString());
        return site;
    }

    private static string CultureLine(string path, byte[] content) => $"{path},{RecordHash(content)},{content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n";

    public IEnumerable<Fixture> Fixtures =>
    [
        Requirements("dependencies/requirements-clean", "requirements.txt", "# unpinned, ordinary names\nnumpy\nrequests>=2.31\n"),
        new("dependencies/requirements-vulnerable", "requirements.txt", () => Text(VulnerableRequirements))
        {
            Custom = dir =>
            {
                WriteAdvisories(Path.Combine(dir, "advisories"));
                OsvDatabase.Import(Path.Combine(dir, "advisories"), Path.Combine(dir, "osv.db"), TimeProvider.System, CancellationToken.None);
                var path = Path.Combine(dir, "requirements.txt");
                File.WriteAllText(path, VulnerableRequirements);
                return path;
            },
            Policy = dir => ScanPolicy.Default with { AdvisoryDatabase = Path.Combine(dir, "osv.db") },
        },
        Requirements("dependencies/requirements-typosquat", "requirements.txt", "torchh\ntransformrs>=4\n"),
        Requirements("dependencies/requirements-confusion", "requirements.txt", "acme-tokenizer\nnumpy\n",
            dir => NoDatabase(dir) with { InternalPackages = ["acme-*"] }),
        Requirements("dependencies/requirements-train-unpinned", "requirements-train.txt", "numpy>=1.26\ntorch==2.2.0\n"),
        Requirements("dependencies/requirements-extra-index", "requirements.txt", "--extra-index-url https://download.pytorch.org/whl/nightly\ntorchtriton\n"),
        Requirements("dependencies/requirements-pinned-no-database", "requirements.txt", "numpy==1.26.4\n"),
        Requirements("dependencies/conda-environment", "environment.yml", "name: train\ndependencies:\n  - python=3.11\n  - pytorch::pytorch=2.2\n  - pip:\n    - requests\n"),
        new("dependencies/site-packages-tampered", "site-packages", () => Text("not used"))
        {
            Custom = dir => WriteSitePackages(dir, tamper: true),
            Policy = dir => ScanPolicy.Default with { Advisories = AdvisoryMode.Off },
        },
        new("dependencies/site-packages-clean", "site-packages", () => Text("not used"))
        {
            Custom = dir => WriteSitePackages(dir, tamper: false),
            Policy = dir => ScanPolicy.Default with { Advisories = AdvisoryMode.Off },
        },
    ];
}
