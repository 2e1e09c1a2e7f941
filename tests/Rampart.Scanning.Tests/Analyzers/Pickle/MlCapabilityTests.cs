using Rampart.Scanning.Analyzers.Pickle.Capabilities;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>How the capability map generator names the ML libraries it reads from a site-packages folder.</summary>
public sealed class MlCapabilityTests
{
    [Fact]
    public void Generator_ReadsEachLibrarysVersionFromItsMetadataFolder_WithoutImportingIt()
    {
        using var site = new TempDirectory();
        Directory.CreateDirectory(site.File("scikit_learn-1.2.1.egg-info"));
        File.WriteAllText(site.File("scikit_learn-1.2.1.egg-info/top_level.txt"), "sklearn\n");
        Directory.CreateDirectory(site.File("torch-1.13.0a0+gitunknown.egg-info"));
        File.WriteAllText(site.File("torch-1.13.0a0+gitunknown.egg-info/top_level.txt"), "functorch\ntorch\ntorchgen\n");
        Directory.CreateDirectory(site.File("scipy-1.10.1.dist-info"));
        File.WriteAllText(site.File("dill-0.3.6.egg-info"), "Metadata-Version: 2.1\n");

        CapabilityMapGenerator.InstalledVersion(site.Path, "sklearn").Should().Be("1.2.1");
        CapabilityMapGenerator.InstalledVersion(site.Path, "functorch").Should().Be("1.13.0a0+gitunknown");
        CapabilityMapGenerator.InstalledVersion(site.Path, "scipy").Should().Be("1.10.1");
        CapabilityMapGenerator.InstalledVersion(site.Path, "dill").Should().Be("0.3.6");
        CapabilityMapGenerator.InstalledVersion(site.Path, "pandas").Should().BeNull();
    }

    [Fact]
    public void Merge_OntoAMapGeneratedBefore_KeepsItsEntries_AddsTheNewOnes_AndReplacesTheSourceTheNewLabelExtends()
    {
        var first = new CapabilityGraph();
        first.AddModule("acme.helpers", isPackage: false, "import os\n\ndef run(c):\n    return os.system(c)\n\ndef double(x):\n    return x * 2\n\ndef maybe(x):\n    return x * 3\n", CancellationToken.None);
        var stdlib = CapabilityMap.Merge([("debian python3.11", first.Solve(CancellationToken.None))]);
        var second = new CapabilityGraph();
        second.AddModule("acme.helpers", isPackage: false, "def double(x):\n    return x * 2\n\ndef maybe(x):\n    return undefined_helper(x)\n", CancellationToken.None);
        second.AddModule("mllib.io", isPackage: false, "import pickle\n\ndef load(f):\n    return pickle.load(f)\n\ndef shape(a):\n    return len(a)\n", CancellationToken.None);

        stdlib.Safe.Should().Contain("acme.helpers.maybe");
        var merged = CapabilityMap.Merge([("debian python3.11 + dist-packages (mllib 1.0)", second.Solve(CancellationToken.None))], stdlib);

        merged.Sources.Should().Equal("debian python3.11 + dist-packages (mllib 1.0)");
        merged.Capable.Keys.Should().BeEquivalentTo("acme.helpers.run", "mllib.io.load");
        merged.Capable["mllib.io.load"].ChainText.Should().Be("mllib.io.load -> pickle.load");
        merged.Safe.Should().Contain(["acme.helpers.double", "mllib.io.shape"]).And.NotContain("acme.helpers.maybe");
    }

    [DebianMlFact]
    public void Generator_RederivesASampleOfTheShippedMapsMlLibrariesFromDebiansInstallation()
    {
        var shipped = CapabilityMap.Shipped;
        var label = shipped.Sources.Should().ContainSingle(s => s.StartsWith(DebianLabelStart, StringComparison.Ordinal)).Subject;
        var versions = label[DebianLabelStart.Length..^1].Split(", ").Select(p => p.Split(' ', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        foreach (var (package, version) in versions)
        {
            CapabilityMapGenerator.InstalledVersion(DebianMlFactAttribute.Site, package).Should().Be(version, $"the map was generated from {package} {version}; regenerate it when the installation changes (tools/capabilities/README.md)");
        }

        var graph = new CapabilityGraph();
        graph.AddTree(DebianMlFactAttribute.Library, null, CancellationToken.None);
        graph.AddTree(DebianMlFactAttribute.Site, versions.Keys, CancellationToken.None);
        var reach = graph.Solve(CancellationToken.None);
        bool InLibraries(string name) => versions.Keys.Any(p => name.StartsWith(p + ".", StringComparison.Ordinal));

        var capable = shipped.Capable.Where(e => InLibraries(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal).Where((_, i) => i % 4 == 0).ToList();
        capable.Should().HaveCountGreaterThan(10);
        foreach (var (name, entry) in capable)
        {
            entry.From.Should().Be(label);
            reach.Should().ContainKey(name);
            reach[name].Chains.Values.Should().ContainEquivalentOf(entry.Chain, $"{name} re-derived gives the committed chain");
        }

        var safe = shipped.Safe.Where(InLibraries).Order(StringComparer.Ordinal).Where((_, i) => i % 4 == 0).ToList();
        safe.Should().HaveCountGreaterThan(10);
        safe.Should().OnlyContain(n => reach.ContainsKey(n) && reach[n].IsSafe);
    }

    private const string DebianLabelStart = "debian python3.11 + dist-packages (";
}

/// <summary>A fact over Debian's python3.11 and its ML libraries in dist-packages, skipped with the reason where absent.</summary>
public sealed class DebianMlFactAttribute : FactAttribute
{
    public const string Library = "/usr/lib/python3.11";

    public const string Site = "/usr/lib/python3/dist-packages";

    public DebianMlFactAttribute()
    {
        var missing = new[] { Path.Combine(Library, "os.py"), Path.Combine(Site, "joblib"), Path.Combine(Site, "dill") }.FirstOrDefault(p => !Path.Exists(p));
        if (missing is not null)
        {
            Skip = $"{missing} is not on this machine (Debian's python3.11 with python3-joblib and python3-dill, which the shipped map was generated from)";
        }
    }
}
