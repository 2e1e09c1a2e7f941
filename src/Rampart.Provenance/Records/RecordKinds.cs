using System.Collections.Frozen;

namespace Rampart.Provenance.Records;

/// <summary>How a field's value is written.</summary>
public enum FieldType
{
    /// <summary>One string.</summary>
    Text,

    /// <summary>One artifact digest, "sha256:" and 64 lower-case hex digits.</summary>
    Digest,

    /// <summary>A list of artifact digests.</summary>
    DigestList,

    /// <summary>A string-to-string map (training parameters).</summary>
    Map,

    /// <summary>A string-to-number map (metrics).</summary>
    Metrics,

    /// <summary>A licence: recorded as its canonical SPDX id when it is one (<see cref="SpdxLicenses"/>), else as the licence name given.</summary>
    License,
}

/// <summary>What a digest field means for the lineage graph.</summary>
public enum FieldRole
{
    /// <summary>Not an artifact reference.</summary>
    None,

    /// <summary>The record consumed this artifact (a run's datasets).</summary>
    Input,

    /// <summary>The record produced this artifact (a run's model, a snapshot's manifest).</summary>
    Output,

    /// <summary>The record is about this artifact (an evaluation, scan, approval, deployment, incident, revocation).</summary>
    Subject,
}

/// <summary>One field of a record kind.</summary>
public sealed record FieldSpec(string Name, FieldType Type, bool Required, FieldRole Role, string Description);

/// <summary>One kind of provenance record and its fields.</summary>
public sealed record RecordKind(string Name, string Description, IReadOnlyList<FieldSpec> Fields)
{
    /// <summary>The field called <paramref name="name"/>, or null.</summary>
    public FieldSpec? Field(string name) => Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));
}

/// <summary>The record kinds the ledger accepts (docs/provenance.md lists them with their fields).</summary>
public static class RecordKinds
{
    /// <summary>A dataset version.</summary>
    public const string Dataset = "dataset";

    /// <summary>A training run.</summary>
    public const string TrainingRun = "training-run";

    /// <summary>An evaluation of a model.</summary>
    public const string Evaluation = "evaluation";

    /// <summary>A security scan of an artifact.</summary>
    public const string Scan = "scan";

    /// <summary>A human or automated approval decision.</summary>
    public const string Approval = "approval";

    /// <summary>A deployment of a model.</summary>
    public const string Deployment = "deployment";

    /// <summary>An incident concerning artifacts.</summary>
    public const string Incident = "incident";

    /// <summary>A revocation: an artifact must no longer be used.</summary>
    public const string Revocation = "revocation";

    /// <summary>A state change of a registry version (upload, quarantine, release, incident step) written by `rampart server`.</summary>
    public const string Registry = "registry";

    private static FieldSpec F(string name, FieldType type, bool required, FieldRole role, string description) => new(name, type, required, role, description);

    /// <summary>Every kind, by name.</summary>
    public static readonly FrozenDictionary<string, RecordKind> All = new RecordKind[]
    {
        new(Dataset, "A dataset snapshot: the digest of its manifest and where it came from.",
        [
            F("name", FieldType.Text, true, FieldRole.None, "Dataset name."),
            F("manifest", FieldType.Digest, true, FieldRole.Output, "Digest of the snapshot (its manifest or archive)."),
            F("version", FieldType.Text, false, FieldRole.None, "Version or snapshot label."),
            F("source", FieldType.Text, false, FieldRole.None, "Where the data came from (URL, bucket, system)."),
            F("license", FieldType.License, false, FieldRole.None, "Licence: an SPDX id (any case) or licence name, recorded as the SPDX id when it is one, else as the name."),
            F("pii-scan", FieldType.Text, false, FieldRole.None, "Result of the personal-data scan (clean, redacted, contains-pii, not-scanned)."),
            F("scan-summary", FieldType.Map, false, FieldRole.None, "Summary of `rampart data scan` (rows, verdict, findings per rule id; name=value)."),
        ]),
        new(TrainingRun, "A training run: code, parameters and environment in, model out.",
        [
            F("run-id", FieldType.Text, true, FieldRole.None, "Identifier of the run."),
            F("model", FieldType.Digest, true, FieldRole.Output, "Digest of the model the run produced."),
            F("datasets", FieldType.DigestList, false, FieldRole.Input, "Digests of the dataset snapshots it read."),
            F("base-model", FieldType.Digest, false, FieldRole.Input, "Digest of the model it started from (fine-tuning)."),
            F("code-repository", FieldType.Text, false, FieldRole.None, "Repository of the training code."),
            F("code-commit", FieldType.Text, false, FieldRole.None, "Commit of the training code."),
            F("environment-lock", FieldType.Digest, false, FieldRole.Input, "Digest of the environment lockfile."),
            F("parameters", FieldType.Map, false, FieldRole.None, "Hyper-parameters (name=value)."),
            F("metrics", FieldType.Metrics, false, FieldRole.None, "Final metrics (name=number)."),
            F("builder", FieldType.Text, false, FieldRole.None, "The system that ran it (CI job URL, host)."),
        ]),
        new(Evaluation, "An evaluation of a model on datasets.",
        [
            F("model", FieldType.Digest, true, FieldRole.Subject, "Digest of the evaluated model."),
            F("datasets", FieldType.DigestList, false, FieldRole.Input, "Digests of the evaluation datasets."),
            F("metrics", FieldType.Metrics, false, FieldRole.None, "Metrics (name=number)."),
            F("report", FieldType.Digest, false, FieldRole.Output, "Digest of the evaluation report."),
            F("suite", FieldType.Text, false, FieldRole.None, "Benchmark or test suite name."),
        ]),
        new(Scan, "A security scan of an artifact.",
        [
            F("artifact", FieldType.Digest, true, FieldRole.Subject, "Digest of the scanned artifact."),
            F("verdict", FieldType.Text, true, FieldRole.None, "clean, needs-review, malicious or inconclusive."),
            F("tool", FieldType.Text, false, FieldRole.None, "Scanner and version."),
            F("report", FieldType.Digest, false, FieldRole.Output, "Digest of the scan report."),
        ]),
        new(Approval, "A decision to allow (or refuse) an artifact for a purpose.",
        [
            F("subject", FieldType.Digest, true, FieldRole.Subject, "Digest of the approved artifact."),
            F("decision", FieldType.Text, true, FieldRole.None, "approved or rejected."),
            F("scope", FieldType.Text, false, FieldRole.None, "What it is approved for (production, staging, ...)."),
            F("note", FieldType.Text, false, FieldRole.None, "Free text."),
        ]),
        new(Deployment, "A model deployed to an environment.",
        [
            F("model", FieldType.Digest, true, FieldRole.Subject, "Digest of the deployed model."),
            F("environment", FieldType.Text, true, FieldRole.None, "Where it runs (production, a cluster, a region)."),
            F("endpoint", FieldType.Text, false, FieldRole.None, "Service or endpoint name."),
            F("version", FieldType.Text, false, FieldRole.None, "Release label."),
        ]),
        new(Incident, "Something went wrong with artifacts.",
        [
            F("subjects", FieldType.DigestList, true, FieldRole.Subject, "Digests of the affected artifacts."),
            F("summary", FieldType.Text, true, FieldRole.None, "What happened."),
            F("severity", FieldType.Text, false, FieldRole.None, "low, medium, high or critical."),
        ]),
        new(Revocation, "An artifact must no longer be used.",
        [
            F("subject", FieldType.Digest, true, FieldRole.Subject, "Digest of the revoked artifact."),
            F("reason", FieldType.Text, true, FieldRole.None, "Why."),
        ]),
        new(Registry, "A state change in the registry of `rampart server`: who did what to which version.",
        [
            F("subject", FieldType.Digest, true, FieldRole.Subject, "Digest of the artifact version."),
            F("event", FieldType.Text, true, FieldRole.None, "uploaded, scanned, approved, rejected, released, revoked, incident-opened, incident-action, incident-closed."),
            F("project", FieldType.Text, false, FieldRole.None, "Project name."),
            F("artifact", FieldType.Text, false, FieldRole.None, "Model or dataset name."),
            F("version", FieldType.Text, false, FieldRole.None, "Version label."),
            F("actor", FieldType.Text, false, FieldRole.None, "The account that caused it (user name), or 'server'."),
            F("note", FieldType.Text, false, FieldRole.None, "Free text (state reached, reason)."),
        ]),
    }.ToFrozenDictionary(k => k.Name, StringComparer.Ordinal);

    /// <summary>The kind called <paramref name="name"/>; throws <see cref="ProvenanceException"/> when there is none.</summary>
    public static RecordKind Get(string name) =>
        All.TryGetValue(name, out var kind)
            ? kind
            : throw new ProvenanceException($"unknown record kind '{name}' (known: {string.Join(", ", All.Keys.Order(StringComparer.Ordinal))})");
}
