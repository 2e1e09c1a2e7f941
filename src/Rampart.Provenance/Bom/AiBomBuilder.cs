using System.Globalization;
using System.Text.Json.Nodes;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Dependencies;
using Rampart.Provenance.Records;
using Rampart.Scanning.Engine;

namespace Rampart.Provenance.Bom;

/// <summary>
/// Writes a CycloneDX 1.6 ML-BOM for a folder or file: models (scanned, never loaded) as machine-learning-model
/// components with SHA-256 hashes and a model card filled from the scan facts; Python packages as library
/// components with purls; and, when a ledger is given, the datasets a model was trained on as data components, its
/// metrics, its training runs as formulation and its base model as pedigree.
/// </summary>
public sealed class AiBomBuilder
{
    /// <summary>The CycloneDX specification version written.</summary>
    public const string SpecVersion = "1.6";

    private readonly Scanner _scanner;
    private readonly IDependencyInventory? _inventory;
    private readonly TimeProvider _time;

    /// <summary>Creates the builder. <paramref name="inventory"/> may be null (no library components).</summary>
    public AiBomBuilder(Scanner scanner, IDependencyInventory? inventory, TimeProvider? time = null)
    {
        _scanner = scanner ?? throw new ArgumentNullException(nameof(scanner));
        _inventory = inventory;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Messages about what could not be included (unreadable manifests, unhashable files).</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    private readonly List<string> _warnings = [];

    /// <summary>The BOM for <paramref name="path"/>, with lineage from <paramref name="ledger"/> when given.</summary>
    public async Task<JsonObject> BuildAsync(string path, Ledger? ledger, CancellationToken cancellationToken = default)
    {
        _warnings.Clear();
        var report = await _scanner.ScanAsync([path], ScanPolicy.Default, null, cancellationToken).ConfigureAwait(false);
        var components = new JsonArray();
        var refs = new HashSet<string>(StringComparer.Ordinal);
        var models = new List<(JsonObject Component, string? Digest)>();

        foreach (var artifact in ModelArtifacts(report))
        {
            var facts = CollectFacts(report, artifact);
            string? digest = null;
            if (File.Exists(artifact.Path))
            {
                digest = await ArtifactDigest.OfFileAsync(artifact.Path, cancellationToken).ConfigureAwait(false);
            }

            var component = ModelComponent(artifact, facts, digest, refs);
            models.Add((component, digest));
            components.Add((JsonNode)component);
        }

        var formulation = new JsonArray();
        if (ledger is not null)
        {
            await AddLineageAsync(ledger, models, components, formulation, refs, cancellationToken).ConfigureAwait(false);
        }

        if (_inventory is not null)
        {
            var inventory = await _inventory.CollectAsync(path, cancellationToken).ConfigureAwait(false);
            _warnings.AddRange(inventory.Problems);
            foreach (var package in inventory.Packages.DistinctBy(p => p.Purl, StringComparer.Ordinal))
            {
                components.Add((JsonNode)LibraryComponent(package, refs));
            }
        }

        var bom = new JsonObject
        {
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = SpecVersion,
            ["serialNumber"] = $"urn:uuid:{Guid.NewGuid()}",
            ["version"] = 1,
            ["metadata"] = new JsonObject
            {
                ["timestamp"] = _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["tools"] = new JsonObject
                {
                    ["components"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "application",
                        ["name"] = _scanner.Tool.Name,
                        ["version"] = _scanner.Tool.Version,
                    }),
                },
                ["component"] = new JsonObject
                {
                    ["type"] = "application",
                    ["bom-ref"] = Unique("subject", refs),
                    ["name"] = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path))),
                },
            },
            ["components"] = components,
        };
        if (formulation.Count > 0)
        {
            bom["formulation"] = formulation;
        }

        return bom;
    }

    private static IEnumerable<ArtifactReport> ModelArtifacts(ScanReport report)
    {
        var byParent = report.Artifacts.Where(a => a.Parent is not null).ToLookup(a => a.Parent!, StringComparer.Ordinal);
        bool IsModel(ArtifactReport a, int depth) =>
            a.Formats.Any(ModelCardMapping.ModelFormats.Contains)
            || a.Facts.Keys.Any(k => ModelCardMapping.ModelFormats.Contains(k.Split('.')[0]))
            || (depth < 8 && byParent[a.Path].Any(c => IsModel(c, depth + 1)));

        return report.Artifacts.Where(a => a.Parent is null && File.Exists(a.Path) && IsModel(a, 0)).OrderBy(a => a.Path, StringComparer.Ordinal);
    }

    /// <summary>The artifact's facts, its descendants' facts and the facts of the folder holding it (config.json, ...).</summary>
    private static Dictionary<string, string> CollectFacts(ScanReport report, ArtifactReport artifact)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in artifact.Facts)
        {
            facts[k] = v;
        }

        foreach (var child in report.Artifacts.Where(a => a.Path.StartsWith(artifact.Path + "!", StringComparison.Ordinal) || a.Path.StartsWith(artifact.Path + "#", StringComparison.Ordinal)))
        {
            foreach (var (k, v) in child.Facts)
            {
                facts.TryAdd(k, v);
            }
        }

        var folder = Path.GetDirectoryName(artifact.Path)?.Replace('\\', '/');
        foreach (var holder in report.Artifacts.Where(a => a.Parent is null && !File.Exists(a.Path) && Directory.Exists(a.Path)
                     && string.Equals(Path.TrimEndingDirectorySeparator(a.Path.Replace('\\', '/')), folder, StringComparison.Ordinal)))
        {
            foreach (var (k, v) in holder.Facts)
            {
                facts.TryAdd(k, v);
            }
        }

        return facts;
    }

    private static JsonObject ModelComponent(ArtifactReport artifact, Dictionary<string, string> facts, string? digest, HashSet<string> refs)
    {
        var parameters = new JsonObject();
        if (ModelCardMapping.First(facts, ModelCardMapping.Architecture) is { } architecture)
        {
            parameters["modelArchitecture"] = architecture;
        }

        if (ModelCardMapping.First(facts, ModelCardMapping.Family) is { } family)
        {
            parameters["architectureFamily"] = family;
        }

        var cardProperties = new JsonArray();
        foreach (var (property, keys) in ModelCardMapping.CardProperties)
        {
            if (ModelCardMapping.First(facts, keys) is { } value)
            {
                cardProperties.Add((JsonNode)Property(property, value));
            }
        }

        foreach (var (key, value) in facts.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (ModelCardMapping.MetadataPrefixes.FirstOrDefault(p => key.StartsWith(p, StringComparison.Ordinal)) is { } prefix)
            {
                cardProperties.Add((JsonNode)Property("rampart:metadata:" + key[prefix.Length..], value));
            }
        }

        var card = new JsonObject { ["bom-ref"] = Unique("modelcard:" + Path.GetFileName(artifact.Path), refs) };
        if (parameters.Count > 0)
        {
            card["modelParameters"] = parameters;
        }

        if (cardProperties.Count > 0)
        {
            card["properties"] = cardProperties;
        }

        var component = new JsonObject
        {
            ["type"] = "machine-learning-model",
            ["bom-ref"] = Unique(digest ?? "model:" + artifact.Path, refs),
            ["name"] = ModelCardMapping.First(facts, ModelCardMapping.Name) ?? Path.GetFileName(artifact.Path),
        };
        if (digest is not null)
        {
            component["hashes"] = new JsonArray(new JsonObject { ["alg"] = "SHA-256", ["content"] = digest["sha256:".Length..] });
        }

        component["modelCard"] = card;
        // The JsonNode constructor, not a collection initializer: that calls JsonArray.Add<T>, which NativeAOT cannot compile.
        var properties = new JsonArray(
            Property("rampart:path", artifact.Path),
            Property("rampart:formats", string.Join(",", artifact.Formats)),
            Property("rampart:verdict", artifact.Verdict.ToString()));
        foreach (var (key, value) in facts.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            properties.Add((JsonNode)Property("rampart:fact:" + key, value));
        }

        component["properties"] = properties;
        return component;
    }

    private static async Task AddLineageAsync(Ledger ledger, List<(JsonObject Component, string? Digest)> models, JsonArray components, JsonArray formulation, HashSet<string> refs, CancellationToken cancellationToken)
    {
        var entries = new List<(LedgerEntry Entry, EntryContents Contents)>();
        await foreach (var item in ledger.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(item);
        }

        var datasets = entries.Where(e => e.Contents.Record.Kind.Name == RecordKinds.Dataset)
            .GroupBy(e => e.Contents.Record.Text("manifest")!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Contents, StringComparer.Ordinal);
        var added = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (component, digest) in models.Where(m => m.Digest is not null))
        {
            var card = (JsonObject)component["modelCard"]!;
            var runs = entries.Where(e => e.Contents.Record.Kind.Name == RecordKinds.TrainingRun && e.Contents.Record.Text("model") == digest).ToList();
            var evaluations = entries.Where(e => e.Contents.Record.Kind.Name == RecordKinds.Evaluation && e.Contents.Record.Text("model") == digest).ToList();
            var metrics = new JsonArray();
            var datasetRefs = new JsonArray();
            foreach (var (entry, contents) in runs)
            {
                var run = contents.Record;
                foreach (var data in run.List("datasets"))
                {
                    if (added.Add(data))
                    {
                        components.Add((JsonNode)DataComponent(data, datasets.GetValueOrDefault(data), refs));
                    }

                    datasetRefs.Add((JsonNode)new JsonObject { ["ref"] = data });
                }

                foreach (var (name, value) in run.Pairs("metrics"))
                {
                    metrics.Add((JsonNode)new JsonObject { ["type"] = name, ["value"] = value, ["slice"] = "training run " + run.Text("run-id") });
                }

                formulation.Add((JsonNode)Formula(entry, contents, ledger.Origin, refs));
                if (run.Text("base-model") is { } baseModel)
                {
                    component["pedigree"] = new JsonObject
                    {
                        ["ancestors"] = new JsonArray(new JsonObject
                        {
                            ["type"] = "machine-learning-model",
                            ["bom-ref"] = Unique("base:" + baseModel, refs),
                            ["name"] = "base model",
                            ["hashes"] = new JsonArray(new JsonObject { ["alg"] = "SHA-256", ["content"] = baseModel["sha256:".Length..] }),
                        }),
                        ["notes"] = $"Fine-tuned from {baseModel} by training run {run.Text("run-id")} (ledger {ledger.Origin}, entry {entry.Sequence}).",
                    };
                }
                else
                {
                    component["pedigree"] = new JsonObject
                    {
                        ["notes"] = $"Produced by training run {run.Text("run-id")} (ledger {ledger.Origin}, entry {entry.Sequence})"
                            + (run.Text("code-commit") is { } commit ? $" from code commit {commit}." : "."),
                    };
                }
            }

            foreach (var (_, contents) in evaluations)
            {
                foreach (var (name, value) in contents.Record.Pairs("metrics"))
                {
                    metrics.Add((JsonNode)new JsonObject { ["type"] = name, ["value"] = value, ["slice"] = "evaluation " + (contents.Record.Text("suite") ?? "")});
                }
            }

            if (datasetRefs.Count > 0)
            {
                var parameters = card["modelParameters"] as JsonObject ?? [];
                parameters["datasets"] = datasetRefs;
                card["modelParameters"] = parameters;
            }

            if (metrics.Count > 0)
            {
                card["quantitativeAnalysis"] = new JsonObject { ["performanceMetrics"] = metrics };
            }

            var properties = (JsonArray)component["properties"]!;
            foreach (var (entry, contents) in entries.Where(e => e.Contents.Record.References().Any(r => r.Digest == digest && r.Role == FieldRole.Subject)))
            {
                var r = contents.Record;
                var summary = r.Kind.Name switch
                {
                    RecordKinds.Approval => $"{r.Text("decision")} {r.Text("scope")}".Trim(),
                    RecordKinds.Deployment => r.Text("environment"),
                    RecordKinds.Revocation => r.Text("reason"),
                    RecordKinds.Scan => r.Text("verdict"),
                    RecordKinds.Incident => r.Text("summary"),
                    _ => null,
                };
                properties.Add((JsonNode)Property($"rampart:ledger:{r.Kind.Name}", $"entry {entry.Sequence} by {contents.Signer.Name}{(summary is null ? "" : ": " + summary)}"));
            }
        }
    }

    private static JsonObject DataComponent(string digest, EntryContents? snapshot, HashSet<string> refs)
    {
        var record = snapshot?.Record;
        var name = record?.Text("name") ?? digest;
        var data = new JsonObject { ["type"] = "dataset", ["name"] = name };
        var component = new JsonObject
        {
            ["type"] = "data",
            ["bom-ref"] = Unique(digest, refs),
            ["name"] = name,
        };
        if (record?.Text("version") is { } version)
        {
            component["version"] = version;
        }

        component["hashes"] = new JsonArray(new JsonObject { ["alg"] = "SHA-256", ["content"] = digest["sha256:".Length..] });
        if (record?.Text("license") is { } license)
        {
            // CycloneDX: license.id only for an id on the SPDX list (the schema enumerates them), license.name otherwise.
            var entry = SpdxLicenses.IsId(license) ? new JsonObject { ["id"] = license } : new JsonObject { ["name"] = license };
            component["licenses"] = new JsonArray(new JsonObject { ["license"] = entry });
        }

        component["data"] = new JsonArray(data);
        var properties = new JsonArray();
        if (record?.Text("source") is { } source)
        {
            properties.Add((JsonNode)Property("rampart:dataset:source", source));
        }

        if (record?.Text("pii-scan") is { } pii)
        {
            properties.Add((JsonNode)Property("rampart:dataset:piiScan", pii));
        }

        if (properties.Count > 0)
        {
            component["properties"] = properties;
        }

        return component;
    }

    private static JsonObject Formula(LedgerEntry entry, EntryContents contents, string origin, HashSet<string> refs)
    {
        var run = contents.Record;
        var properties = new JsonArray(
            Property("rampart:ledger:origin", origin),
            Property("rampart:ledger:entry", entry.Sequence.ToString(CultureInfo.InvariantCulture)),
            Property("rampart:run:id", run.Text("run-id")!),
            Property("rampart:run:signer", $"{contents.Signer.Name} ({contents.Signer.KeyId})"));
        foreach (var field in new[] { "code-repository", "code-commit", "environment-lock", "builder", "model" })
        {
            if (run.Text(field) is { } value)
            {
                properties.Add((JsonNode)Property("rampart:run:" + field, value));
            }
        }

        foreach (var (k, v) in run.Pairs("parameters"))
        {
            properties.Add((JsonNode)Property("rampart:run:parameter:" + k, v));
        }

        return new JsonObject { ["bom-ref"] = Unique("formula:" + run.Text("run-id"), refs), ["properties"] = properties };
    }

    private static JsonObject LibraryComponent(PackageRecord package, HashSet<string> refs)
    {
        var component = new JsonObject
        {
            ["type"] = "library",
            ["bom-ref"] = Unique(package.Purl, refs),
            ["name"] = package.NormalizedName,
        };
        if (package.Version is not null)
        {
            component["version"] = package.Version;
        }

        var hashes = new JsonArray();
        foreach (var hash in package.Hashes)
        {
            var colon = hash.IndexOf(':', StringComparison.Ordinal);
            var (alg, length) = colon < 0 ? (null, 0) : hash[..colon].ToLowerInvariant() switch
            {
                "sha256" => ("SHA-256", 64),
                "sha384" => ("SHA-384", 96),
                "sha512" => ("SHA-512", 128),
                _ => ((string?)null, 0),
            };
            var content = colon < 0 ? string.Empty : hash[(colon + 1)..].ToLowerInvariant();
            if (alg is not null && content.Length == length && content.All(char.IsAsciiHexDigit))
            {
                hashes.Add((JsonNode)new JsonObject { ["alg"] = alg, ["content"] = content });
            }
        }

        if (hashes.Count > 0)
        {
            component["hashes"] = hashes;
        }

        component["purl"] = package.Purl;
        component["properties"] = new JsonArray(
            Property("rampart:dependency:kind", package.Kind),
            Property("rampart:dependency:source", package.Source));
        if (package.Specifier is not null)
        {
            ((JsonArray)component["properties"]!).Add((JsonNode)Property("rampart:dependency:specifier", package.Specifier));
        }

        return component;
    }

    private static JsonObject Property(string name, string value) => new() { ["name"] = name, ["value"] = value };

    private static string Unique(string wanted, HashSet<string> refs)
    {
        var candidate = wanted;
        for (var i = 2; !refs.Add(candidate); i++)
        {
            candidate = $"{wanted}#{i.ToString(CultureInfo.InvariantCulture)}";
        }

        return candidate;
    }
}
