using System.Globalization;
using System.Text.Json.Nodes;
using Rampart.Provenance.Records;

namespace Rampart.Provenance.Slsa;

/// <summary>
/// Exports a training run from the ledger as an in-toto Statement v1 whose predicate is SLSA Provenance v1: the model
/// is the subject; code, datasets, base model and environment lock are the resolved dependencies; the ledger entry
/// (origin, number, leaf hash, signer) is a byproduct so a verifier can prove it with `rampart ledger prove`.
/// </summary>
public static class SlsaExporter
{
    /// <summary>in-toto Statement type.</summary>
    public const string StatementType = "https://in-toto.io/Statement/v1";

    /// <summary>SLSA Provenance v1 predicate type.</summary>
    public const string PredicateType = "https://slsa.dev/provenance/v1";

    /// <summary>The build type that says how to read externalParameters.</summary>
    public const string BuildType = "https://github.com/rampart-mlsecops/rampart/blob/main/docs/provenance.md#training-run-v1";

    /// <summary>The statement for the training run named by <paramref name="runIdOrDigest"/> (its run id or its model's digest; the latest wins).</summary>
    public static async Task<JsonObject> ExportAsync(Ledger ledger, string runIdOrDigest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        (LedgerEntry Entry, EntryContents Contents)? found = null;
        await foreach (var item in ledger.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var r = item.Contents.Record;
            if (r.Kind.Name == RecordKinds.TrainingRun && (r.Text("run-id") == runIdOrDigest || r.Text("model") == runIdOrDigest))
            {
                found = item;
            }
        }

        if (found is not { } run)
        {
            throw new ProvenanceException($"no training run '{runIdOrDigest}' in the ledger (give a run id or the model's sha256 digest)");
        }

        return ToStatement(run.Entry, run.Contents, ledger.Origin);
    }

    /// <summary>The statement for one training-run entry.</summary>
    public static JsonObject ToStatement(LedgerEntry entry, EntryContents contents, string origin)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(contents);
        var run = contents.Record;
        if (run.Kind.Name != RecordKinds.TrainingRun)
        {
            throw new ProvenanceException($"entry {entry.Sequence} is a {run.Kind.Name} record, not a training run");
        }

        var external = new JsonObject();
        var parameters = new JsonObject();
        foreach (var (k, v) in run.Pairs("parameters"))
        {
            parameters[k] = v;
        }

        if (parameters.Count > 0)
        {
            external["parameters"] = parameters;
        }

        if (run.Text("code-repository") is { } repository)
        {
            external["repository"] = repository;
        }

        if (run.Text("code-commit") is { } commitText)
        {
            external["commit"] = commitText;
        }

        var dependencies = new JsonArray();
        if (run.Text("code-commit") is { } commit)
        {
            var code = new JsonObject { ["digest"] = new JsonObject { ["gitCommit"] = commit } };
            if (run.Text("code-repository") is { } repo)
            {
                code["uri"] = repo.StartsWith("git+", StringComparison.Ordinal) ? repo : "git+" + repo;
            }
            else
            {
                code["name"] = "training code";
            }

            dependencies.Add((JsonNode)code);
        }

        foreach (var (digest, role, field) in run.References().Where(r => r.Role == FieldRole.Input))
        {
            dependencies.Add((JsonNode)new JsonObject
            {
                ["name"] = field,
                ["digest"] = new JsonObject { ["sha256"] = digest["sha256:".Length..] },
            });
        }

        var metrics = new JsonObject();
        foreach (var (k, v) in run.Pairs("metrics"))
        {
            metrics[k] = v;
        }

        var model = run.Text("model")!;
        return new JsonObject
        {
            ["_type"] = StatementType,
            ["subject"] = new JsonArray(new JsonObject
            {
                ["name"] = "model",
                ["digest"] = new JsonObject { ["sha256"] = model["sha256:".Length..] },
            }),
            ["predicateType"] = PredicateType,
            ["predicate"] = new JsonObject
            {
                ["buildDefinition"] = new JsonObject
                {
                    ["buildType"] = BuildType,
                    ["externalParameters"] = external,
                    ["internalParameters"] = new JsonObject { ["runId"] = run.Text("run-id") },
                    ["resolvedDependencies"] = dependencies,
                },
                ["runDetails"] = new JsonObject
                {
                    ["builder"] = new JsonObject { ["id"] = run.Text("builder") ?? $"rampart-ledger:{origin}#signer={contents.Signer.KeyId}" },
                    ["metadata"] = new JsonObject
                    {
                        ["invocationId"] = run.Text("run-id"),
                        ["finishedOn"] = contents.Time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    },
                    ["byproducts"] = new JsonArray(new JsonObject
                    {
                        ["name"] = "rampart-ledger-entry",
                        ["digest"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(entry.LeafHash) },
                        ["annotations"] = new JsonObject
                        {
                            ["origin"] = origin,
                            ["entry"] = entry.Sequence,
                            ["signer"] = contents.Signer.Name,
                            ["keyId"] = contents.Signer.KeyId,
                            ["metrics"] = metrics,
                            ["note"] = "digest is the RFC 6962 leaf hash of the entry",
                        },
                    }),
                },
            },
        };
    }
}
