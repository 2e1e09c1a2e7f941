using System.Globalization;

namespace Rampart.Provenance.Records;

/// <summary>A training run as a training script describes it (<see cref="Ledger.RecordTrainingRunAsync"/>).</summary>
/// <param name="RunId">Identifier of the run.</param>
/// <param name="ModelDigest">"sha256:..." of the model the run wrote (<see cref="ArtifactDigest.OfFileAsync"/>).</param>
public sealed record TrainingRun(string RunId, string ModelDigest)
{
    /// <summary>Digests of the dataset snapshots read.</summary>
    public IReadOnlyList<string> Datasets { get; init; } = [];

    /// <summary>Digest of the model fine-tuned from, if any.</summary>
    public string? BaseModel { get; init; }

    /// <summary>Repository of the training code.</summary>
    public string? CodeRepository { get; init; }

    /// <summary>Commit of the training code.</summary>
    public string? CodeCommit { get; init; }

    /// <summary>Digest of the environment lockfile.</summary>
    public string? EnvironmentLock { get; init; }

    /// <summary>Hyper-parameters.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Final metrics.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>The CI job or host that ran it.</summary>
    public string? Builder { get; init; }

    /// <summary>The checked record.</summary>
    public ProvenanceRecord ToRecord()
    {
        var b = ProvenanceRecord.Create(RecordKinds.TrainingRun).Set("run-id", RunId).Set("model", ModelDigest);
        foreach (var d in Datasets)
        {
            b.Add("datasets", d);
        }

        void Optional(string name, string? value)
        {
            if (value is not null)
            {
                b.Set(name, value);
            }
        }

        Optional("base-model", BaseModel);
        Optional("code-repository", CodeRepository);
        Optional("code-commit", CodeCommit);
        Optional("environment-lock", EnvironmentLock);
        Optional("builder", Builder);
        foreach (var (k, v) in Parameters)
        {
            b.Pair("parameters", k, v);
        }

        foreach (var (k, v) in Metrics)
        {
            b.Pair("metrics", k, v.ToString("R", CultureInfo.InvariantCulture));
        }

        return b.Build();
    }
}
