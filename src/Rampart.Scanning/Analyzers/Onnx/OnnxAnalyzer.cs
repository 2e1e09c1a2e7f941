using System.Globalization;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Onnx;

/// <summary>
/// ONNX models (ModelProto). Reads the protobuf with Rampart's own bounded reader and checks where external
/// tensor data points, which operator domains need code from outside the model, local functions, and whether
/// every tensor's data matches its shape and type. Nothing in the model is executed.
/// </summary>
internal sealed class OnnxAnalyzer : IArtifactAnalyzer
{
    public const string ExternalDataEscape = "RAMP-ONNX-001";
    public const string ExternalDataMissing = "RAMP-ONNX-002";
    public const string ExternalDataRange = "RAMP-ONNX-003";
    public const string CustomDomain = "RAMP-ONNX-004";
    public const string TensorSize = "RAMP-ONNX-005";
    public const string FunctionShadowsStandard = "RAMP-ONNX-006";

    private static readonly HashSet<string> StandardDomains = new(["", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training"], StringComparer.Ordinal);

    /// <summary>Models larger than this are walked from the stream instead of being read into memory whole.</summary>
    public const long StreamingThreshold = 64L * 1024 * 1024;

    /// <summary>When streaming, graphs and initializers larger than this are walked field by field.</summary>
    public const long BlockThreshold = 4L * 1024 * 1024;

    public string Id => "onnx";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return OnnxSniffer.LooksLikeModel(artifact.Head.Span, artifact.HeadIsComplete);
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        OnnxModel model;
        if (artifact.Length is { } length && length > StreamingThreshold)
        {
            // Large models are walked from the stream so that tensor data is skipped, never held in memory.
            var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var buffered = new BufferedStream(stream, 1 << 16);
                model = OnnxModel.ParseStream(buffered, length, BlockThreshold, context.Limits.MaxInMemoryMemberBytes, cancellationToken);
            }
        }
        else
        {
            var bytes = await ArtifactBytes.ReadAllAsync(artifact, context.Limits.MaxInMemoryMemberBytes, "max-in-memory-member-bytes", cancellationToken).ConfigureAwait(false);
            model = OnnxModel.Parse(bytes.Span);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!model.HasGraph)
        {
            result.Inconclusive("the ONNX model has no graph", FindingLocation.AtOffset(0));
            return result;
        }

        SetFacts(result, model);
        var counter = new CappedFindings(result);
        CheckDomains(model, counter);
        CheckFunctions(model, counter);
        CheckTensors(artifact, model, counter, cancellationToken);
        counter.Summarize();
        return result;
    }

    internal static bool IsKnownDomain(string domain) =>
        StandardDomains.Contains(domain) || domain == "com.microsoft" || domain.StartsWith("com.microsoft.", StringComparison.Ordinal);

    private static void SetFacts(AnalysisResult result, OnnxModel model)
    {
        result.SetFact("ir_version", model.IrVersion);
        if (model.Opsets.TryGetValue("", out var opset) || model.Opsets.TryGetValue("ai.onnx", out opset))
        {
            result.SetFact("opset", opset);
        }

        result.SetFact("opsets", string.Join(", ", model.Opsets.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{(o.Key.Length == 0 ? "ai.onnx" : o.Key)}:{o.Value.ToString(CultureInfo.InvariantCulture)}")));
        if (model.ProducerName.Length > 0)
        {
            result.SetFact("producer", $"{model.ProducerName} {model.ProducerVersion}".Trim());
        }

        result.SetFact("nodes", model.Nodes);
        var parameters = model.Tensors.Where(t => t.IsParameter).Select(t => OnnxTypes.ElementCount(t.Dims) ?? 0).Aggregate(0L, (a, b) => a > long.MaxValue - b ? long.MaxValue : a + b);
        result.SetFact("parameters", parameters);
        result.SetFact("dtypes", string.Join(", ", model.Tensors.Where(t => t.IsParameter).Select(t => OnnxTypes.Name(t.DataType)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)));
        if (model.Functions.Count > 0)
        {
            result.SetFact("functions", string.Join(", ", model.Functions.Select(f => Qualified(f.Domain, f.Name))));
        }

        if (model.Metadata.Count > 0)
        {
            result.SetFact("metadata", string.Join(", ", model.Metadata.Select(m => m.Key)));
        }

        if (model.TrainingInfos > 0)
        {
            result.SetFact("training_info", model.TrainingInfos);
        }

        var external = model.Tensors.Select(t => t.External("location")).Where(l => l is not null).Distinct(StringComparer.Ordinal).Count();
        if (external > 0)
        {
            result.SetFact("external_data_files", external);
        }
    }

    private static string Qualified(string domain, string name) => domain.Length == 0 ? name : $"{domain}.{name}";

    private static void CheckDomains(OnnxModel model, CappedFindings counter)
    {
        var functions = model.Functions.Select(f => (f.Domain, f.Name)).ToHashSet();
        foreach (var use in model.Ops.Values.OrderBy(u => u.FirstOffset))
        {
            if (IsKnownDomain(use.Domain) || functions.Contains((use.Domain, use.OpType)))
            {
                continue;
            }

            counter.Report(CustomDomain,
                $"{use.Count} node(s) use operator {use.OpType} from the custom domain '{use.Domain}' (first: '{use.FirstNode}' in {use.FirstScope}): no standard runtime implements it, so loading needs a native custom-op library from elsewhere",
                FindingLocation.AtOffset(use.FirstOffset, use.FirstScope),
                [new("domain", use.Domain), new("op", use.OpType), new("node", use.FirstNode), new("name", Qualified(use.Domain, use.OpType))]);
        }
    }

    private static void CheckFunctions(OnnxModel model, CappedFindings counter)
    {
        foreach (var function in model.Functions)
        {
            if (StandardDomains.Contains(function.Domain) || function.Domain == "com.microsoft")
            {
                counter.Report(FunctionShadowsStandard,
                    $"the model defines local function '{function.Name}' in the reserved domain '{(function.Domain.Length == 0 ? "ai.onnx" : function.Domain)}': nodes that look like the standard operator {function.Name} can run the model's own definition instead",
                    FindingLocation.AtOffset(function.Offset),
                    [new("domain", function.Domain), new("function", function.Name), new("name", Qualified(function.Domain, function.Name))]);
            }
        }
    }

    private static void CheckTensors(Artifact artifact, OnnxModel model, CappedFindings counter, CancellationToken cancellationToken)
    {
        var folder = ModelFolder(artifact);
        var judged = new Dictionary<string, ExternalFile>(StringComparer.Ordinal);
        foreach (var tensor in model.Tensors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var location = FindingLocation.AtOffset(tensor.Offset, tensor.Where);
            var label = tensor.Name.Length > 0 ? $"tensor '{tensor.Name}'" : $"an unnamed tensor ({tensor.Where})";
            if (tensor.Dims.Any(d => d < 0))
            {
                counter.Report(TensorSize, $"{label} has a negative dimension ({DimsText(tensor)})", location, Props(tensor));
                continue;
            }

            var count = OnnxTypes.ElementCount(tensor.Dims);
            var expected = count is { } c ? OnnxTypes.ByteLength(tensor.DataType, c) : null;
            if (count is null)
            {
                counter.Report(TensorSize, $"{label} has dimensions {DimsText(tensor)} whose product overflows 64 bits", location, Props(tensor));
                continue;
            }

            var isExternal = tensor.DataLocation == 1 || tensor.ExternalData.Count > 0;
            if (isExternal)
            {
                CheckExternal(tensor, label, expected, location, folder, judged, counter);
            }
            else if (tensor.RawLength >= 0 && expected is { } bytes && tensor.RawLength != bytes)
            {
                counter.Report(TensorSize,
                    $"{label} ({OnnxTypes.Name(tensor.DataType)} {DimsText(tensor)}) needs {bytes:N0} bytes but its raw_data holds {tensor.RawLength:N0}",
                    location, Props(tensor));
            }
            else if (tensor.RawLength < 0 && tensor.TypedCount > 0 && OnnxTypes.TypedValues(tensor.DataType, count.Value) is { } values && values != tensor.TypedCount)
            {
                counter.Report(TensorSize,
                    $"{label} ({OnnxTypes.Name(tensor.DataType)} {DimsText(tensor)}) needs {values:N0} values but holds {tensor.TypedCount:N0}",
                    location, Props(tensor));
            }
        }
    }

    private static void CheckExternal(OnnxTensor tensor, string label, long? expected, FindingLocation location, string? folder,
        Dictionary<string, ExternalFile> judged, CappedFindings counter)
    {
        var path = tensor.External("location");
        if (string.IsNullOrEmpty(path))
        {
            counter.Result.Inconclusive($"{label} stores its data externally but names no location", location);
            return;
        }

        if (!TryLong(tensor.External("offset"), out var offset) || !TryLong(tensor.External("length"), out var declared))
        {
            counter.Result.Inconclusive($"{label} has an external-data offset or length that is not a non-negative integer", location);
            return;
        }

        var props = Props(tensor).Append(new("location", path)).ToList();
        if (declared is { } d && expected is { } e && d != e)
        {
            counter.Report(TensorSize, $"{label} ({OnnxTypes.Name(tensor.DataType)} {DimsText(tensor)}) needs {e:N0} bytes but its external data declares length {d:N0}", location, props);
        }

        if (!judged.TryGetValue(path, out var file))
        {
            file = ExternalFile.Judge(path, folder);
            judged[path] = file;
            if (file.Escape is { } why)
            {
                counter.Report(ExternalDataEscape, $"{label} reads its data from '{path}', which {why}: loading the model reads that file into a tensor", location, props);
            }
            else if (file.Missing)
            {
                counter.Report(ExternalDataMissing, $"{label} reads its data from '{path}', which does not exist beside the model", location, props);
            }
            else if (file.Size is not null)
            {
                counter.Result.ClaimCompanionFile(path, "external tensor data");
            }
        }

        if (file.Size is { } size)
        {
            var need = declared ?? expected;
            var start = offset ?? 0;
            if (start > size || (need is { } n && n > size - start))
            {
                counter.Report(ExternalDataRange,
                    $"{label} needs bytes {start:N0}..{(need is { } m ? (start + m).ToString("N0", CultureInfo.InvariantCulture) : "?")} of '{path}', which holds only {size:N0}",
                    location, props);
            }
        }
    }

    private static bool TryLong(string? text, out long? value)
    {
        value = null;
        if (text is null)
        {
            return true;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
        {
            value = v;
            return true;
        }

        return false;
    }

    /// <summary>The real folder of a model file on disk (depth 0 and present), else null: nothing beside it is looked at.</summary>
    private static string? ModelFolder(Artifact artifact)
    {
        if (artifact.Depth != 0 || !File.Exists(artifact.Path))
        {
            return null;
        }

        return Path.GetDirectoryName(Path.GetFullPath(artifact.Path));
    }

    private static string DimsText(OnnxTensor tensor) => "[" + string.Join(", ", tensor.Dims.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    private static IEnumerable<KeyValuePair<string, string>> Props(OnnxTensor tensor) =>
        [new("tensor", tensor.Name), new("name", tensor.Name), new("dtype", OnnxTypes.Name(tensor.DataType)), new("dims", DimsText(tensor))];
}

/// <summary>What Rampart concluded about one external-data location.</summary>
internal sealed record ExternalFile(string? Escape, bool Missing, long? Size)
{
    /// <summary>Maximum symbolic links followed when resolving one path.</summary>
    private const int MaxLinkHops = 40;

    public static ExternalFile Judge(string location, string? folder)
    {
        if (PathText.Escapes(location) is { } why)
        {
            return new(why, false, null);
        }

        if (folder is null)
        {
            return new(null, false, null);
        }

        var full = Path.GetFullPath(Path.Combine(folder, location));
        if (!File.Exists(full))
        {
            return new(null, true, null);
        }

        var realFolder = RealPath(folder);
        var real = RealPath(full);
        if (real is null || realFolder is null)
        {
            return new("is a chain of symbolic links that does not resolve", false, null);
        }

        var prefix = realFolder.EndsWith(Path.DirectorySeparatorChar) ? realFolder : realFolder + Path.DirectorySeparatorChar;
        if (!real.StartsWith(prefix, StringComparison.Ordinal))
        {
            return new($"resolves through a symbolic link to '{real}', outside the model's folder", false, null);
        }

        return new(null, false, new FileInfo(real).Length);
    }

    /// <summary>The path with every symbolic link (in any component) resolved, or null past <see cref="MaxLinkHops"/>.</summary>
    internal static string? RealPath(string path)
    {
        var pending = new Queue<string>(Path.GetFullPath(path).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        var current = Path.GetPathRoot(Path.GetFullPath(path)) ?? "/";
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Dequeue();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var next = Path.Combine(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                return null;
            }

            var resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
            var rest = pending.ToArray();
            pending = new Queue<string>(resolved.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Concat(rest));
            current = Path.GetPathRoot(resolved) ?? "/";
        }

        return current;
    }
}
