using System.Text.Json;
using System.Text.Json.Nodes;
using Rampart.Provenance.Bom;
using Rampart.Provenance.Records;
using Rampart.Provenance.Signing;
using Rampart.Provenance.Tests.Bom;
using Rampart.TestKit;

namespace Rampart.Provenance.Tests.Records;

/// <summary>Dataset licences are recorded as SPDX ids when they are one, and the BOM says license.id or license.name accordingly.</summary>
public sealed class SpdxLicenseTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("MIT", "MIT")]
    [InlineData("mit", "MIT")]
    [InlineData(" apache-2.0 ", "Apache-2.0")]
    [InlineData("cc-by-4.0", "CC-BY-4.0")]
    [InlineData("Apache License 2.0", "Apache-2.0")]
    [InlineData("Creative Commons Attribution 4.0 International", "CC-BY-4.0")]
    [InlineData("Classpath-exception-2.0", "Classpath-exception-2.0")]
    [InlineData("Internal research licence v2", "Internal research licence v2")]
    [InlineData("MIT OR Apache-2.0", "MIT OR Apache-2.0")]
    [InlineData("MIT-ish", "MIT-ish")]
    public void DatasetRecord_License_IsTheSpdxIdWhenItIsOne(string given, string recorded)
    {
        var record = ProvenanceRecord.Create(RecordKinds.Dataset).Set("name", "d").Set("manifest", LedgerTestKit.Digest("d")).Set("license", given).Build();
        record.Text("license").Should().Be(recorded);
        SpdxLicenses.IsId(recorded).Should().Be(SpdxLicenses.IdOf(given) is not null);
    }

    [Fact]
    public void List_HasItsSourceVersion_AndCanonicalIds()
    {
        SpdxLicenses.ListVersion.Should().Be("3.28.0");
        SpdxLicenses.Ids.Should().Contain(["MIT", "Apache-2.0", "CC-BY-4.0", "CC0-1.0", "ODbL-1.0", "CDLA-Permissive-2.0"]);
        SpdxLicenses.IsId("mit").Should().BeFalse("only the canonical spelling is an id as written");
    }

    [SharedDataFact("cyclonedx/schema")]
    public void List_IsExactlyTheIdsTheCycloneDxSchemaEnumerates()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedData.Path("cyclonedx/schema"), "spdx.schema.json")));
        var ids = schema.RootElement.GetProperty("enum").EnumerateArray().Select(e => e.GetString()!).ToList();
        SpdxLicenses.Ids.Should().BeEquivalentTo(ids);
        schema.RootElement.GetProperty("$comment").GetString().Should().EndWith("-" + SpdxLicenses.ListVersion);
    }

    [CycloneDxFact]
    public async Task Bom_SpdxLicenceAsId_OtherAsName_ValidatesAgainstCycloneDx16()
    {
        var models = Directory.CreateDirectory(_folder.File("models")).FullName;
        await File.WriteAllTextAsync(Path.Combine(models, "model.safetensors"), "FACTS safetensors\ntensors=1\nparameters=10\ndtypes=F32\nformat=pt\n");
        using var signer = LedgerSigner.Generate("ci");
        await using var ledger = await Ledger.InitializeAsync(_folder.File("ledger.db"), "test/ledger", signer);
        var licences = new[] { "cc-by-sa-4.0", "ODbL-1.0", "Proprietary (ask legal)", "MIT OR Apache-2.0", "Apache License 2.0" };
        var digests = new List<string>();
        for (var i = 0; i < licences.Length; i++)
        {
            var data = LedgerTestKit.Digest($"corpus-{i}");
            digests.Add(data);
            await ledger.RecordDatasetAsync($"corpus-{i}", data, license: licences[i]);
        }

        var modelDigest = await ArtifactDigest.OfFileAsync(Path.Combine(models, "model.safetensors"));
        await ledger.RecordTrainingRunAsync(new TrainingRun("run-1", modelDigest) { Datasets = digests });
        var bom = await new AiBomBuilder(TestScanners.WithFacts(), null).BuildAsync(models, ledger);

        var byName = bom["components"]!.AsArray().Where(c => c!["type"]!.GetValue<string>() == "data")
            .ToDictionary(c => c!["name"]!.GetValue<string>(), c => c!["licenses"]![0]!["license"]!.AsObject());
        byName["corpus-0"].Should().ContainKey("id").And.NotContainKey("name");
        byName["corpus-0"]["id"]!.GetValue<string>().Should().Be("CC-BY-SA-4.0");
        byName["corpus-1"]["id"]!.GetValue<string>().Should().Be("ODbL-1.0");
        byName["corpus-2"]["name"]!.GetValue<string>().Should().Be("Proprietary (ask legal)");
        byName["corpus-2"].Should().NotContainKey("id");
        byName["corpus-3"]["name"]!.GetValue<string>().Should().Be("MIT OR Apache-2.0");
        byName["corpus-4"]["id"]!.GetValue<string>().Should().Be("Apache-2.0");

        var file = _folder.File("bom.json");
        await File.WriteAllTextAsync(file, bom.ToJsonString());
        var broken = _folder.File("broken.json");
        var invalid = (JsonObject)bom.DeepClone();
        invalid["components"]!.AsArray().First(c => c!["type"]!.GetValue<string>() == "data")!["licenses"]![0]!["license"] = new JsonObject { ["id"] = "Not-An-SPDX-Id" };
        await File.WriteAllTextAsync(broken, invalid.ToJsonString());
        var results = CycloneDxValidator.Validate([file, broken]);
        results[file].Valid.Should().BeTrue(results[file].Line);
        results[broken].Valid.Should().BeFalse("the schema enumerates SPDX ids, so a made-up id fails: the check has teeth");
    }
}
