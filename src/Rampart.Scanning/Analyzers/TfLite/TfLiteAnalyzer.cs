using System.Globalization;
using Rampart.Core;
using Rampart.Scanning.Analyzers.TensorFlow;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.TfLite;

/// <summary>
/// TensorFlow Lite models: a flatbuffer with the identifier "TFL3". Reads the operator codes with Rampart's own
/// bounds-checked flatbuffer reader, counts operators, and reports custom ops (native code the app must register)
/// and Flex ops (full TensorFlow kernels), plus buffers whose data lies beyond the end of the file.
/// </summary>
internal sealed class TfLiteAnalyzer : IArtifactAnalyzer
{
    public const string CustomOp = "RAMP-TFLITE-001";
    public const string FlexOp = "RAMP-TFLITE-002";
    public const string BufferOutsideFile = "RAMP-TFLITE-003";

    /// <summary>BuiltinOperator.CUSTOM in the TFLite schema.</summary>
    public const int CustomBuiltinCode = 32;

    /// <summary>Most operators read from all subgraphs together.</summary>
    public const int MaxOperators = 10_000_000;

    private static ReadOnlySpan<byte> Identifier => "TFL3"u8;

    public string Id => "tflite";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return artifact.Head.Length >= 8 && artifact.Head.Span[4..8].SequenceEqual(Identifier);
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var bytes = await ArtifactBytes.ReadAllAsync(artifact, context.Limits.MaxInMemoryMemberBytes, "max-in-memory-member-bytes", cancellationToken).ConfigureAwait(false);
        var model = Read(bytes.Span, cancellationToken);

        result.SetFact("version", model.Version);
        result.SetFact("subgraphs", model.Subgraphs);
        result.SetFact("operators", model.Operators);
        result.SetFact("operator_codes", model.Codes.Count);
        result.SetFact("buffers", model.Buffers);
        if (model.Description is { Length: > 0 } description)
        {
            result.SetFact("description", description);
        }

        var customs = model.Codes.Where(c => c.Custom is not null).ToList();
        if (customs.Count > 0)
        {
            result.SetFact("custom_ops", string.Join(", ", customs.Select(c => c.Custom)));
        }

        var findings = new CappedFindings(result);
        foreach (var code in customs)
        {
            var name = code.Custom!;
            var uses = $"{code.Uses} operator(s){(code.FirstUse is { } first ? $" (first: {first})" : "")}";
            var props = new List<KeyValuePair<string, string>> { new("op", name), new("name", name), new("uses", code.Uses.ToString(CultureInfo.InvariantCulture)) };
            if (name.StartsWith("Flex", StringComparison.Ordinal) && name.Length > 4)
            {
                var tfOp = name[4..];
                props.Add(new("tf_op", tfOp));
                if (TfOpCatalog.Ops.TryGetValue(tfOp, out var info) && info.Class != TfOpClass.Checkpoint)
                {
                    findings.Report(FlexOp,
                        $"{uses} run the full TensorFlow kernel {tfOp} through the Flex delegate, an op that {Describe(info.Class)}",
                        FindingLocation.AtOffset(code.Offset), props, Severity.High);
                }
                else
                {
                    findings.Report(FlexOp, $"{uses} run the full TensorFlow kernel {tfOp} through the Flex delegate (select TensorFlow ops)", FindingLocation.AtOffset(code.Offset), props);
                }
            }
            else
            {
                findings.Report(CustomOp, $"{uses} use the custom op '{name}': no TFLite runtime implements it, the application must register native code for it", FindingLocation.AtOffset(code.Offset), props);
            }
        }

        foreach (var (index, offset, size) in model.OutsideBuffers)
        {
            findings.Report(BufferOutsideFile,
                $"buffer {index} declares its data at bytes {offset:N0}..{(offset + size):N0} but the file has {bytes.Length:N0} bytes",
                FindingLocation.AtOffset(0, $"buffers[{index}]"), [new("buffer", index.ToString(CultureInfo.InvariantCulture))]);
        }

        findings.Summarize();
        return result;
    }

    private static string Describe(TfOpClass klass) => klass switch
    {
        TfOpClass.Python => "calls a registered Python function",
        TfOpClass.FileWrite => "writes files",
        TfOpClass.FileRead => "reads files",
        TfOpClass.Network => "connects to other hosts",
        _ => "writes debug output",
    };

    internal static TfLiteModel Read(ReadOnlySpan<byte> bytes, CancellationToken cancellationToken)
    {
        var fb = new FlatBufferReader(bytes);
        var root = fb.Root();
        var model = new TfLiteModel { Version = fb.UInt32(root, 0), Description = fb.String(root, 3) };

        var codes = fb.Vector(root, 1, 4);
        for (var i = 0; i < codes.Count; i++)
        {
            var code = fb.TableAt(codes, i);
            var builtin = Math.Max(fb.Int32(code, 3), fb.Int8(code, 0));
            var custom = builtin == CustomBuiltinCode ? fb.String(code, 1) ?? "" : null;
            model.Codes.Add(new TfLiteOpCode(builtin, custom, fb.Int32(code, 2, 1), code.Position));
        }

        var subgraphs = fb.Vector(root, 2, 4);
        model.Subgraphs = subgraphs.Count;
        for (var s = 0; s < subgraphs.Count; s++)
        {
            var subgraph = fb.TableAt(subgraphs, s);
            var operators = fb.Vector(subgraph, 3, 4);
            if (model.Operators + operators.Count > MaxOperators)
            {
                throw new LimitExceededException("tflite-operators", $"the model has more than {MaxOperators:N0} operators");
            }

            for (var o = 0; o < operators.Count; o++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var op = fb.TableAt(operators, o);
                var index = fb.UInt32(op, 0);
                if (index >= (uint)model.Codes.Count)
                {
                    throw new MalformedContentException($"operator {o} of subgraph {s} uses operator code {index}, but the model has {model.Codes.Count}", op.Position);
                }

                var code = model.Codes[(int)index];
                code.Uses++;
                code.FirstUse ??= $"subgraph {s}, operator {o}";
            }

            model.Operators += operators.Count;
        }

        var buffers = fb.Vector(root, 4, 4);
        model.Buffers = buffers.Count;
        for (var b = 0; b < buffers.Count; b++)
        {
            var buffer = fb.TableAt(buffers, b);
            fb.Vector(buffer, 0, 1);
            var offset = fb.UInt64(buffer, 1);
            var size = fb.UInt64(buffer, 2);
            if (offset > 1 && (offset > (ulong)bytes.Length || size > (ulong)bytes.Length - offset))
            {
                model.OutsideBuffers.Add((b, offset, size));
            }
        }

        return model;
    }
}

/// <summary>One entry of Model.operator_codes, with how many operators use it.</summary>
internal sealed record TfLiteOpCode(int Builtin, string? Custom, int OpVersion, long Offset)
{
    public long Uses { get; set; }

    public string? FirstUse { get; set; }
}

/// <summary>What Rampart reads from a TFLite Model table.</summary>
internal sealed class TfLiteModel
{
    public uint Version { get; init; }

    public string? Description { get; init; }

    public List<TfLiteOpCode> Codes { get; } = [];

    public int Subgraphs { get; set; }

    public long Operators { get; set; }

    public int Buffers { get; set; }

    public List<(int Index, ulong Offset, ulong Size)> OutsideBuffers { get; } = [];
}
