using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Engine;

/// <summary>Every registered analyzer is documented and tested where the architecture says it must be.</summary>
public sealed class AnalyzerRegistryTests
{
    public static TheoryData<string> AnalyzerIds() => [.. AllAnalyzerTypes().Select(a => a.Id)];

    /// <summary>File analyzers and folder analyzers: both need a format page and a test folder.</summary>
    private static IEnumerable<(string Id, Type Type)> AllAnalyzerTypes() =>
        AnalyzerRegistry.CreateAll().Select(a => (a.Id, a.GetType()))
            .Concat(AnalyzerRegistry.CreateFolderAnalyzers().Select(a => (a.Id, a.GetType())));

    [Fact]
    public void CreateAll_AnalyzerIds_AreUnique()
    {
        var ids = AllAnalyzerTypes().Select(a => a.Id).ToList();

        ids.Should().OnlyHaveUniqueItems();
    }

    [Theory]
    [MemberData(nameof(AnalyzerIds))]
    public void Analyzer_HasFormatDocumentationPage(string id)
    {
        var page = Path.Combine(RepositoryPaths.Root, "docs", "formats", id + ".md");

        File.Exists(page).Should().BeTrue($"analyzer '{id}' needs a format page at {page}");
    }

    [Theory]
    [MemberData(nameof(AnalyzerIds))]
    public void Analyzer_HasTestFolderMirroringItsSourceFolder(string id)
    {
        var ns = AllAnalyzerTypes().Single(a => a.Id == id).Type.Namespace!;
        const string prefix = "Rampart.Scanning.Analyzers.";
        ns.Should().StartWith(prefix, "analyzers live under src/Rampart.Scanning/Analyzers/<Format>/");
        var folder = ns[prefix.Length..].Split('.')[0];
        var testFolder = Path.Combine(RepositoryPaths.Root, "tests", "Rampart.Scanning.Tests", "Analyzers", folder);

        Directory.Exists(testFolder).Should().BeTrue($"analyzer '{id}' needs tests in {testFolder}");
        Directory.EnumerateFiles(testFolder, "*Tests.cs", SearchOption.AllDirectories).Should().NotBeEmpty();
    }
}
