using System.Globalization;
using Rampart.Core;
using Rampart.Scanning.Analyzers.Archives;
using Rampart.Scanning.Engine;

namespace Rampart.Scanning.Analyzers.Numpy;

/// <summary>
/// NumPy .npy arrays (and, through the zip analyzer, the members of .npz files). Parses the header with a literal
/// parser of its own, checks the data length against shape and dtype, and hands the pickle that follows the header
/// of an object array to the pickle analyzer as a child artifact.
/// </summary>
internal sealed class NumpyAnalyzer : IArtifactAnalyzer
{
    public const string ObjectArray = "RAMP-NPY-001";
    public const string TrailingData = "RAMP-NPY-002";

    public string Id => "numpy";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return artifact.Head.Span.StartsWith(NpyHeader.Magic);
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var header = NpyHeader.Parse(artifact.Head.Span, context.Limits.MaxHeaderBytes);
        result.SetFact("version", $"{header.Major}.{header.Minor}");
        result.SetFact("descr", header.Descr);
        result.SetFact("shape", ShapeText(header.Shape));
        result.SetFact("fortran_order", header.FortranOrder ? "True" : "False");

        var body = artifact.Length - header.DataOffset;
        if (header.HasObjects)
        {
            result.Report(ObjectArray,
                $"the array has dtype {header.Descr}, which holds Python objects: its data is a pickle that numpy.load only reads with allow_pickle=True",
                FindingLocation.AtOffset(header.DataOffset));
            result.AddChild(await BodyAsync(artifact, "#pickle", header.DataOffset, body, cancellationToken).ConfigureAwait(false));
            return result;
        }

        if (body is not { } actual)
        {
            return result;
        }

        var expected = header.DataLength;
        if (expected is null)
        {
            result.Inconclusive($"shape {result.Facts["shape"]} times the item size of {header.Descr} overflows", FindingLocation.AtOffset(header.DataOffset));
        }
        else if (actual < expected)
        {
            result.Inconclusive($"the array needs {expected:N0} data bytes but the file holds {actual:N0}: numpy.load fails on it", FindingLocation.AtOffset(header.DataOffset));
        }
        else if (actual > expected)
        {
            var start = header.DataOffset + expected.Value;
            result.Report(TrailingData,
                $"{actual - expected:N0} bytes follow the array's {expected:N0} data bytes; numpy.load ignores them, so they can carry content no array reader looks at",
                FindingLocation.AtOffset(start), [new("bytes", (actual - expected.Value).ToString(CultureInfo.InvariantCulture))]);
            result.AddChild(await BodyAsync(artifact, "#trailing", start, actual - expected.Value, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    /// <summary>The shape as Python prints a tuple: "()", "(3,)", "(2, 3)".</summary>
    private static string ShapeText(IReadOnlyList<long> shape) =>
        "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + (shape.Count == 1 ? ",)" : ")");

    private static async ValueTask<Artifact> BodyAsync(Artifact artifact, string label, long offset, long? length, CancellationToken cancellationToken)
    {
        if (artifact.Length is not null)
        {
            return await ArtifactFactory.FromSliceAsync(artifact.Path + label, artifact, offset, length ?? 0, cancellationToken).ConfigureAwait(false);
        }

        async ValueTask<Stream> Open(CancellationToken ct) =>
            new ForwardWindowStream(await artifact.OpenAsync(ct).ConfigureAwait(false), offset, long.MaxValue);
        return await ArtifactFactory.FromStreamAsync(artifact.Path + label, artifact, Open, cancellationToken).ConfigureAwait(false);
    }
}
