using System.Text;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Hdf5;

/// <summary>
/// HDF5 files: legacy Keras .h5/.hdf5 models and the weights of .keras archives. Walks the file's structure with
/// Rampart's own <see cref="Hdf5Reader"/> (nothing is loaded through an HDF5 library), records what it holds, and
/// hands the Keras root attributes model_config and training_config to the Keras config analyzer as the children
/// <c>#model_config</c> and <c>#training_config</c>.
/// </summary>
internal sealed class Hdf5Analyzer : IArtifactAnalyzer
{
    private static readonly string[] ConfigAttributes = ["model_config", "training_config"];

    public string Id => "hdf5";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return Hdf5Reader.FindSignature(artifact.Head.Span) >= 0;
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var at = Hdf5Reader.FindSignature(artifact.Head.Span);
        Hdf5Summary summary;
        var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            if (!stream.CanSeek)
            {
                result.Inconclusive("the HDF5 file cannot be read at random offsets here (it is a compressed stream too large to hold in memory)");
                return result;
            }

            summary = Hdf5Reader.Read(stream, at, cancellationToken);
        }

        result.SetFact("superblock", summary.SuperblockVersion);
        if (summary.SignatureOffset > 0)
        {
            result.SetFact("user_block", summary.SignatureOffset);
        }

        result.SetFact("objects", summary.Objects);
        result.SetFact("groups", summary.Groups);
        result.SetFact("datasets", summary.Datasets);
        if (summary.ExternalLinks.Count > 0)
        {
            result.SetFact("external_links", string.Join(", ", summary.ExternalLinks.Take(20)));
        }

        foreach (var attribute in summary.Attributes.Where(a => a.ObjectPath == "/"))
        {
            var value = attribute.Values.Count > 0 ? attribute.Values[0] : string.Empty;
            switch (attribute.Name)
            {
                case "keras_version":
                    result.SetFact("keras_version", value);
                    break;
                case "backend":
                    result.SetFact("backend", value);
                    break;
                case var name when ConfigAttributes.Contains(name, StringComparer.Ordinal):
                    result.SetFact("keras_model", "yes");
                    result.AddChild(ArtifactFactory.FromBytes($"{artifact.Path}#{name}", artifact, Encoding.UTF8.GetBytes(value), name));
                    break;
            }
        }

        return result;
    }
}
