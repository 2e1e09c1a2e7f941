using System.Globalization;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.TensorFlow;

/// <summary>
/// fingerprint.pb of a SavedModel (TF 2.11+): a FingerprintDef of hashes. Too generic to be recognised by content
/// alone, so the name selects it and the content must parse as a FingerprintDef. Reported as facts.
/// </summary>
internal sealed class FingerprintAnalyzer : IArtifactAnalyzer
{
    /// <summary>A FingerprintDef is a few dozen bytes; anything larger is not one.</summary>
    public const int MaxBytes = 4096;

    private static readonly string[] Names = ["saved_model_checksum", "graph_def_program_hash", "signature_def_hash", "saved_object_graph_hash", "checkpoint_hash"];

    public string Id => "tf-fingerprint";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return artifact.Name == "fingerprint.pb" && artifact.HeadIsComplete && artifact.Head.Length <= MaxBytes && TryParse(artifact.Head.Span, out _);
    }

    public ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var result = new AnalysisResult(Id, artifact, context);
        if (!TryParse(artifact.Head.Span, out var facts))
        {
            result.Inconclusive("fingerprint.pb is not a FingerprintDef");
            return ValueTask.FromResult(result);
        }

        foreach (var (key, value) in facts)
        {
            result.SetFact(key, value);
        }

        return ValueTask.FromResult(result);
    }

    private static bool TryParse(ReadOnlySpan<byte> bytes, out List<KeyValuePair<string, string>> facts)
    {
        facts = [];
        try
        {
            var r = new ProtobufReader(bytes);
            while (r.TryReadTag(out var field, out var wire))
            {
                if (field is >= 1 and <= 5 && wire == WireType.Varint)
                {
                    facts.Add(new(Names[field - 1], r.ReadVarint().ToString(CultureInfo.InvariantCulture)));
                }
                else if (field == 6 && wire == WireType.LengthDelimited)
                {
                    var version = r.ReadMessage();
                    while (version.TryReadTag(out var f, out var w))
                    {
                        if (f == 1 && w == WireType.Varint)
                        {
                            facts.Add(new("producer", version.ReadInt64().ToString(CultureInfo.InvariantCulture)));
                        }
                        else
                        {
                            version.Skip(w);
                        }
                    }
                }
                else
                {
                    return false;
                }
            }
        }
        catch (MalformedContentException)
        {
            return false;
        }

        return facts.Count > 0;
    }
}
