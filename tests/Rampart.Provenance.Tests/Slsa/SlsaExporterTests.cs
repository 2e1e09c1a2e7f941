using Rampart.Provenance.Records;
using Rampart.Provenance.Signing;
using Rampart.Provenance.Slsa;

namespace Rampart.Provenance.Tests.Slsa;

public sealed class SlsaExporterTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Export_TrainingRun_IsAnInTotoStatementWithSlsaV1Predicate()
    {
        using var signer = LedgerSigner.Generate("ci");
        await using var ledger = await Ledger.InitializeAsync(_folder.File("l.db"), "test/ledger", signer, new LedgerTestKit.FixedTime(LedgerTestKit.Now));
        var model = LedgerTestKit.Digest("model");
        var data = LedgerTestKit.Digest("data");
        await ledger.RecordTrainingRunAsync(new TrainingRun("run-9", model)
        {
            Datasets = [data],
            CodeRepository = "https://git.example/ml.git",
            CodeCommit = "deadbeef",
            EnvironmentLock = LedgerTestKit.Digest("uv.lock"),
            Parameters = new Dictionary<string, string> { ["lr"] = "0.001" },
        });

        var byId = await SlsaExporter.ExportAsync(ledger, "run-9");
        var byDigest = await SlsaExporter.ExportAsync(ledger, model);
        byDigest.ToJsonString().Should().Be(byId.ToJsonString());

        byId["_type"]!.GetValue<string>().Should().Be("https://in-toto.io/Statement/v1");
        byId["predicateType"]!.GetValue<string>().Should().Be("https://slsa.dev/provenance/v1");
        byId["subject"]![0]!["digest"]!["sha256"]!.GetValue<string>().Should().Be(model[7..]);
        var build = byId["predicate"]!["buildDefinition"]!;
        build["externalParameters"]!["parameters"]!["lr"]!.GetValue<string>().Should().Be("0.001");
        var deps = build["resolvedDependencies"]!.AsArray();
        deps[0]!["uri"]!.GetValue<string>().Should().Be("git+https://git.example/ml.git");
        deps[0]!["digest"]!["gitCommit"]!.GetValue<string>().Should().Be("deadbeef");
        deps.Select(d => d!["digest"]!["sha256"]?.GetValue<string>()).Should().Contain(data[7..]);
        var run = byId["predicate"]!["runDetails"]!;
        run["metadata"]!["finishedOn"]!.GetValue<string>().Should().Be("2026-11-22T07:00:00Z");
        var leaf = (await ledger.Store.GetEntryAsync(0, CancellationToken.None))!.LeafHash;
        run["byproducts"]![0]!["digest"]!["sha256"]!.GetValue<string>().Should().Be(Convert.ToHexStringLower(leaf));
    }

    [Fact]
    public async Task Export_UnknownRun_Throws()
    {
        using var signer = LedgerSigner.Generate("ci");
        await using var ledger = await Ledger.InitializeAsync(_folder.File("l.db"), "t", signer);
        var act = () => SlsaExporter.ExportAsync(ledger, "nope");
        await act.Should().ThrowAsync<ProvenanceException>().WithMessage("*no training run 'nope'*");
    }
}
