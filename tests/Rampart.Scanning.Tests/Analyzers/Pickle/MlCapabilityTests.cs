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
}
