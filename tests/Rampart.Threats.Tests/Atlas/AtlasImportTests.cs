using Rampart.TestKit;
using Rampart.Threats.Atlas;

namespace Rampart.Threats.Tests.Atlas;

/// <summary>The ATLAS import, against the real published data file vendored in rules/atlas (MITRE ATLAS v5.6.1).</summary>
public sealed class AtlasImportTests
{
    private static readonly string Folder = Path.Combine(RepositoryPaths.Root, "rules", "atlas");

    private static readonly Lazy<AtlasCatalog> Imported = new(() => AtlasImporter.ImportFile(Path.Combine(Folder, "ATLAS.yaml")));

    [Fact]
    public void Import_PublishedAtlasYaml_GivesTheCommittedJsonByteForByte()
    {
        using var stream = new MemoryStream();
        Imported.Value.Write(stream);
        stream.ToArray().Should().Equal(File.ReadAllBytes(Path.Combine(Folder, "atlas.json")),
            "rules/atlas/atlas.json must be what `rampart threats atlas refresh --from rules/atlas/ATLAS.yaml` writes");
    }

    [Fact]
    public void Import_PublishedAtlasYaml_HasTheReleaseContents()
    {
        var atlas = Imported.Value;
        atlas.Version.Should().Be("5.6.0");
        atlas.Tactics.Should().HaveCount(16);
        atlas.Techniques.Should().HaveCount(170);
        atlas.Mitigations.Should().HaveCount(35);
        atlas.Technique("AML.T0010.003")!.Should().Match<AtlasTechnique>(t => t.Name == "Model" && t.Parent == "AML.T0010");
        atlas.Technique("AML.T0051")!.Tactics.Should().Equal("AML.TA0005");
        atlas.Mitigation("AML.M0013")!.Name.Should().Be("Code Signing");
        atlas.Mitigation("AML.M0013")!.Techniques.Select(u => u.Technique).Should().Contain("AML.T0010.003");
        atlas.Use("AML.M0004", "AML.T0024.002").Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public void MitigationsFor_SubTechnique_IncludesThoseListedForItsParent()
    {
        var atlas = Imported.Value;
        // M0014 Verify AI Artifacts lists AML.T0010 (the technique), not AML.T0010.003 (Model).
        atlas.Mitigation("AML.M0014")!.Techniques.Select(u => u.Technique).Should().Contain("AML.T0010").And.NotContain("AML.T0010.003");
        atlas.MitigationsFor("AML.T0010.003").Select(m => m.Id).Should().Contain(["AML.M0014", "AML.M0013", "AML.M0008"]);
        atlas.MitigationsFor("AML.T0000").Select(m => m.Id).Should().Equal("AML.M0000");
    }

    [Fact]
    public void Default_EmbeddedCatalog_IsTheVendoredOne()
    {
        AtlasCatalog.Default.Techniques.Select(t => t.Id).Should().Equal(Imported.Value.Techniques.Select(t => t.Id));
        AtlasCatalog.Default.Mitigations.Should().HaveCount(Imported.Value.Mitigations.Length);
    }

    [Fact]
    public void Notice_NamesTheRelease()
    {
        var notice = File.ReadAllText(Path.Combine(Folder, "NOTICE"));
        notice.Should().Contain("v5.6.1").And.Contain("8ee2c68").And.Contain("Apache License");
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(Folder, "ATLAS.yaml"))));
        notice.Should().Contain(sha, "the NOTICE records the digest of the vendored file");
    }

    [Theory]
    [InlineData("id: NOT-ATLAS\nversion: 1\n", "not an ATLAS data file")]
    [InlineData("id: ATLAS\nmatrices: []\n", "has no 'version'")]
    [InlineData("id: ATLAS\nversion: 1\nmatrices: [ {tactics: [], techniques: [ {id: AML.T0001.001, name: Sub, subtechnique-of: AML.T0001} ], mitigations: []} ]\n", "sub-technique of AML.T0001, which the file does not define")]
    [InlineData("id: ATLAS\nversion: 1\nmatrices: [ {tactics: [], techniques: [], mitigations: [ {id: AML.M0001, name: M, techniques: [ {id: AML.T0099, use: x} ]} ]} ]\n", "answers technique AML.T0099, which the file does not define")]
    [InlineData("id: ATLAS\nversion: 1\nmatrices: [ {tactics: [ {id: TA1, name: t} ], techniques: [], mitigations: []} ]\n", "malformed id 'TA1'")]
    [InlineData("id: ATLAS\nversion: [1\n", "not valid YAML")]
    public void Import_MalformedData_IsRejectedWithReason(string yaml, string expected)
    {
        var act = () => AtlasImporter.Import(yaml, "bad.yaml");
        act.Should().Throw<InvalidDataException>().Which.Message.Should().StartWith("bad.yaml").And.Contain(expected);
    }
}
