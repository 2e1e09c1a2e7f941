using Rampart.Provenance.Records;
using Rampart.Provenance.Signing;

namespace Rampart.Provenance.Tests;

/// <summary>Temporary ledgers, keys and records for the provenance tests.</summary>
internal static class LedgerTestKit
{
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 7, 0, 0, TimeSpan.Zero);

    public static string Digest(string seed) => ArtifactDigest.Of(System.Text.Encoding.UTF8.GetBytes(seed));

    public static ProvenanceRecord Dataset(int i) =>
        ProvenanceRecord.Create(RecordKinds.Dataset).Set("name", $"data-{i}").Set("manifest", Digest($"data-{i}")).Set("license", "CC-BY-4.0").Build();

    public static ProvenanceRecord Run(string runId, string model, params string[] datasets)
    {
        var b = ProvenanceRecord.Create(RecordKinds.TrainingRun).Set("run-id", runId).Set("model", model).Set("parameters", "lr=0.01").Set("metrics", "accuracy=0.93");
        foreach (var d in datasets)
        {
            b.Add("datasets", d);
        }

        return b.Build();
    }

    public static async Task<Ledger> NewSqliteAsync(string folder, LedgerSigner signer, int entries)
    {
        var ledger = await Ledger.InitializeAsync(Path.Combine(folder, "ledger.db"), "test.example/ledger", signer, new FixedTime(Now));
        for (var i = 0; i < entries; i++)
        {
            await ledger.AppendAsync(Dataset(i));
        }

        return ledger;
    }

    internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

/// <summary>A temporary folder deleted after the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rampart-prov-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
