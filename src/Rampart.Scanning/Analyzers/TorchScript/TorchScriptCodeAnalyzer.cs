using System.Collections.Frozen;
using System.Text;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;
using Rampart.Core.IO;

namespace Rampart.Scanning.Analyzers.TorchScript;

/// <summary>
/// The code members of a TorchScript archive (<c>&lt;root&gt;/code/**/*.py</c>, children of the zip analyzer):
/// the Python-like source torch.jit.load compiles and runs. Tokenizes each member and reports calls into custom
/// operator libraries (<c>torch.ops.&lt;namespace&gt;</c> outside PyTorch's own), custom classes
/// (<c>torch.classes.&lt;namespace&gt;</c>) and any reference to os, subprocess, builtins, eval, exec or
/// __import__, which torch.jit.save never writes.
/// </summary>
internal sealed class TorchScriptCodeAnalyzer : IArtifactAnalyzer
{
    public const string CustomOperator = "RAMP-TS-001";
    public const string DangerousReference = "RAMP-TS-002";
    public const string CustomClass = "RAMP-TS-003";

    /// <summary>Code members larger than this are not read (real ones are a few KiB to a few MiB).</summary>
    public const int MaxCodeBytes = 32 * 1024 * 1024;

    /// <summary>Operator namespaces PyTorch itself registers.</summary>
    private static readonly FrozenSet<string> BuiltinOperatorNamespaces = new[]
    {
        "aten", "prim", "prims", "_prims", "quantized", "_quantized", "quantized_decomposed", "_caffe2", "profiler", "cuda",
        "mkldnn", "mkl", "_nnapi", "xnnpack", "onednn", "sparse", "higher_order", "c10d", "c10d_functional", "_c10d_functional",
        "_c10d_functional_autograd", "_dtensor", "debugprims", "_test",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Custom-class namespaces PyTorch itself registers.</summary>
    private static readonly FrozenSet<string> BuiltinClassNamespaces = new[]
    {
        "quantized", "xnnpack", "_nnapi", "mkldnn", "onednn", "sparse", "c10d", "dist_c10d", "profiler", "cuda", "_TorchScriptTesting",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Names that reach the host or the interpreter; TorchScript's compiler has no use for them.</summary>
    private static readonly FrozenSet<string> DangerousNames = new[]
    {
        "os", "posix", "nt", "subprocess", "builtins", "__builtins__", "__builtin__", "eval", "exec", "__import__", "compile",
        "importlib", "sys", "socket", "shutil", "pty", "ctypes", "runpy", "pickle", "marshal", "open", "globals", "breakpoint",
    }.ToFrozenSet(StringComparer.Ordinal);

    public string Id => "torchscript";

    public bool CanAnalyze(Artifact artifact) => IsCodeMember(artifact);

    /// <summary>
    /// A TorchScript source member (root/code/**.py inside an archive): compiled by TorchScript, never run by Python,
    /// so it is judged here and not by the Python-source rules.
    /// </summary>
    internal static bool IsCodeMember(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        // A source member is selected by its name inside a TorchScript archive: root/code/**.py.
        var bang = artifact.Path.LastIndexOf("!/", StringComparison.Ordinal);
        if (bang < 0 || !artifact.Path.EndsWith(".py", StringComparison.Ordinal))
        {
            return false;
        }

        var member = artifact.Path[(bang + 2)..].Split('/');
        return member.Length >= 3 && member[1] == "code" && !artifact.Head.Span[..Math.Min(artifact.Head.Length, 4096)].Contains((byte)0);
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var source = await ReadTextAsync(artifact, cancellationToken).ConfigureAwait(false);
        var chains = TorchScriptTokenizer.Chains(source, cancellationToken);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var customOps = 0;
        foreach (var chain in chains)
        {
            var parts = chain.Parts;
            var location = new FindingLocation(Line: chain.Line, Detail: chain.ToString());
            if (DangerousNames.Contains(parts[0]) && reported.Add("D:" + parts[0]))
            {
                result.Report(DangerousReference,
                    $"the TorchScript code refers to '{chain}' (line {chain.Line}); torch.jit.save never writes references to {parts[0]}, so the member was edited by hand to reach the host or the interpreter",
                    location, [new("name", chain.ToString())]);
                continue;
            }

            var ops = IndexOfPair(parts, "ops");
            if (ops >= 0 && ops + 1 < parts.Count && (ops == 0 || parts[ops - 1] == "torch"))
            {
                var ns = parts[ops + 1];
                if (!BuiltinOperatorNamespaces.Contains(ns))
                {
                    customOps++;
                    if (reported.Add("O:" + ns))
                    {
                        result.Report(CustomOperator,
                            $"the TorchScript code calls '{chain}' (line {chain.Line}) from the operator library '{ns}', which is not part of PyTorch: native code from another library runs when the module is called",
                            location, [new("name", "torch.ops." + ns), new("namespace", ns)]);
                    }
                }

                continue;
            }

            var classes = IndexOfPair(parts, "classes");
            if (classes > 0 && parts[classes - 1] == "torch" && classes + 1 < parts.Count)
            {
                var ns = parts[classes + 1];
                if (!BuiltinClassNamespaces.Contains(ns) && reported.Add("C:" + ns))
                {
                    result.Report(CustomClass,
                        $"the TorchScript code uses the custom class '{chain}' (line {chain.Line}) from the namespace '{ns}', registered by a native library outside PyTorch",
                        location, [new("name", "torch.classes." + ns), new("namespace", ns)]);
                }
            }
        }

        result.SetFact("names", chains.Count);
        if (customOps > 0)
        {
            result.SetFact("custom_op_calls", customOps);
        }

        return result;
    }

    private static int IndexOfPair(IReadOnlyList<string> parts, string name)
    {
        for (var i = 0; i < parts.Count; i++)
        {
            if (parts[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static async ValueTask<string> ReadTextAsync(Artifact artifact, CancellationToken cancellationToken)
    {
        if (artifact.HeadIsComplete)
        {
            return Encoding.UTF8.GetString(artifact.Head.Span);
        }

        var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var bounded = new BoundedReadStream(stream, MaxCodeBytes, "torchscript-code-bytes");
            // The BoundedReadStream enforces the limit (as a scan limit finding); the read itself needs no second one.
            return BoundedFile.Decode(await BoundedFile.ReadAllAsync(bounded, artifact.Path, long.MaxValue, cancellationToken).ConfigureAwait(false));
        }
    }
}
