using System.Globalization;
using Rampart.Dependencies.Osv;
using Rampart.Dependencies.Pep440;
using Rampart.TestKit;
using YamlDotNet.RepresentationModel;

namespace Rampart.Dependencies.Tests.Osv;

/// <summary>
/// The database's answers equal those of a deliberately naive matcher written here: it re-reads every advisory
/// file for every package, walks range events pairwise in the order written, and shares no code with the importer
/// or the matcher (only the PEP 440 comparison, itself checked against packaging's vectors).
/// </summary>
public sealed class OsvBruteForceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rampart-osv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record RefAdvisory(string Id, bool Withdrawn, List<(string Package, List<List<(string Kind, string Version)>> Ranges, List<string> Versions)> Affected);

    private static List<RefAdvisory> LoadReference(string root)
    {
        var list = new List<RefAdvisory>();
        foreach (var file in Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories))
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(File.ReadAllText(file)));
            var map = (YamlMappingNode)yaml.Documents[0].RootNode;
            string? S(YamlMappingNode m, string k) => m.Children.TryGetValue(new YamlScalarNode(k), out var v) && v is YamlScalarNode s ? s.Value : null;
            IEnumerable<YamlNode> L(YamlMappingNode m, string k) => m.Children.TryGetValue(new YamlScalarNode(k), out var v) && v is YamlSequenceNode s ? s.Children : [];
            var affected = new List<(string, List<List<(string, string)>>, List<string>)>();
            foreach (var a in L(map, "affected").OfType<YamlMappingNode>())
            {
                var package = (YamlMappingNode)a.Children[new YamlScalarNode("package")];
                if (S(package, "ecosystem") != "PyPI")
                {
                    continue;
                }

                var ranges = L(a, "ranges").OfType<YamlMappingNode>().Where(r => S(r, "type") == "ECOSYSTEM")
                    .Select(r => L(r, "events").OfType<YamlMappingNode>().Select(e => (((YamlScalarNode)e.Children.First().Key).Value!, ((YamlScalarNode)e.Children.First().Value).Value!)).ToList())
                    .ToList();
                affected.Add((PackageName.Normalize(S(package, "name")!), ranges, L(a, "versions").OfType<YamlScalarNode>().Select(v => v.Value!).ToList()));
            }

            list.Add(new RefAdvisory(S(map, "id")!, S(map, "withdrawn") is not null, affected));
        }

        return list;
    }

    // Naive: every range is a list of [introduced, fixed) / [introduced, last_affected] intervals in written order.
    private static bool RefAffected(List<(string Kind, string Version)> events, PythonVersion v)
    {
        PythonVersion? start = null;
        var open = false;
        foreach (var (kind, text) in events)
        {
            if (kind == "introduced")
            {
                open = true;
                start = text == "0" ? null : PythonVersion.Parse(text);
            }
            else if (open && kind is "fixed" or "last_affected" && PythonVersion.TryParse(text, out var end))
            {
                var above = start is null || v.CompareTo(start) >= 0;
                var below = kind == "fixed" ? v.CompareTo(end) < 0 : v.CompareTo(end) <= 0;
                if (above && below)
                {
                    return true;
                }

                open = false;
            }
        }

        return open && (start is null || v.CompareTo(start) >= 0);
    }

    private static SortedSet<string> RefMatches(List<RefAdvisory> all, string package, string version)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        var name = PackageName.Normalize(package);
        var parsed = PythonVersion.TryParse(version, out var p) ? p : null;
        foreach (var adv in all.Where(a => !a.Withdrawn))
        {
            foreach (var (pkg, ranges, versions) in adv.Affected.Where(a => a.Package == name))
            {
                var hit = versions.Contains(version)
                    || (parsed is not null && versions.Any(x => PythonVersion.TryParse(x, out var xv) && xv.CompareTo(parsed) == 0))
                    || (parsed is not null && ranges.Any(r => RefAffected(r, parsed)));
                if (hit)
                {
                    result.Add(adv.Id);
                }
            }
        }

        return result;
    }

    [SharedDataFact("osv-pypi")]
    public void Query_PinnedPackages_EqualsBruteForceAdvisoryForAdvisory()
    {
        var root = SharedData.Path("osv-pypi/vulns");
        var reference = LoadReference(root);
        reference.Should().HaveCountGreaterThan(2600);

        // The pins: for every package with advisories, a listed vulnerable version, the first fixed version, a
        // version far below and one far above; plus hand-picked ML packages.
        var pins = new SortedSet<(string, string)>();
        foreach (var adv in reference.Where(a => !a.Withdrawn).OrderBy(a => a.Id, StringComparer.Ordinal))
        {
            foreach (var (pkg, ranges, versions) in adv.Affected)
            {
                if (versions.Count > 0)
                {
                    pins.Add((pkg, versions[versions.Count / 2]));
                }

                foreach (var fixedVersion in ranges.SelectMany(r => r).Where(e => e.Kind == "fixed").Take(1))
                {
                    pins.Add((pkg, fixedVersion.Version));
                }
            }
        }

        var packages = pins.Select(p => p.Item1).Distinct().ToList();
        foreach (var pkg in packages)
        {
            pins.Add((pkg, "0.0.1"));
            pins.Add((pkg, "9999.0"));
        }

        foreach (var extra in new[] { ("torch", "1.13.0"), ("torch", "2.2.0"), ("tensorflow", "2.4.0"), ("transformers", "4.30.0"), ("Pillow", "8.0.0"), ("numpy", "1.21.0"), ("mlflow", "2.8.0"), ("Scikit_Learn", "0.23.0"), ("pyyaml", "5.3"), ("torch", "not-a-version") })
        {
            pins.Add(extra);
        }

        packages.Count.Should().BeGreaterThan(200);
        pins.Count.Should().BeGreaterThan(1000);

        var db = Path.Combine(_dir, "osv.db");
        var summary = OsvDatabase.Import(root, db, new FixedTime(), CancellationToken.None);
        summary.Problems.Should().BeEmpty();
        summary.Withdrawn.Should().Be(reference.Count(a => a.Withdrawn));
        using var database = OsvDatabase.Open(db);
        var mismatches = new List<string>();
        var vulnerable = 0;
        foreach (var (pkg, version) in pins)
        {
            var expected = RefMatches(reference, pkg, version);
            var actual = database.Query(pkg, version).Select(m => m.Advisory.Id).ToList();
            vulnerable += expected.Count > 0 ? 1 : 0;
            if (!actual.SequenceEqual(expected))
            {
                mismatches.Add($"{pkg}=={version}: expected [{string.Join(",", expected)}] got [{string.Join(",", actual)}]");
            }
        }

        mismatches.Should().BeEmpty();
        vulnerable.Should().BeGreaterThan(200, "the pins include many known-vulnerable versions");
        (pins.Count - vulnerable).Should().BeGreaterThan(200, "and many versions no advisory affects");
    }

    [SharedDataFact("osv-pypi")]
    public void Query_KnownAdvisory_ReportsAliasesFixedVersionsAndCvssSeverity()
    {
        var db = Path.Combine(_dir, "osv.db");
        OsvDatabase.Import(SharedData.Path("osv-pypi/vulns/accesscontrol"), db, new FixedTime(), CancellationToken.None);
        using var database = OsvDatabase.Open(db);
        var match = database.Query("AccessControl", "5.1").Should().ContainSingle(m => m.Advisory.Id == "PYSEC-2021-335").Which;
        match.Advisory.Aliases.Should().Contain(["CVE-2021-32807", "GHSA-qcx9-j53g-ccgf"]);
        match.FixedVersions.Should().Equal("4.3", "5.2");
        database.Query("accesscontrol", "5.2").Should().NotContain(m => m.Advisory.Id == "PYSEC-2021-335");
        database.Info().Advisories.Should().BeGreaterThan(0);
        database.Info().ImportedAt.Should().Be(new FixedTime().GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
    }
}
