using Rampart.Core;
using Rampart.Scanning.Analyzers.Joblib;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Pickle;

/// <summary>
/// Recognises pickles of every protocol by content: the head is run through the same machine with a small opcode
/// budget. A head that emulates cleanly is a pickle; one that breaks at once is not (raw tensor bytes that happen
/// to start with 0x80 0x02), unless the name promises a pickle and the content starts with a valid PROTO, in which
/// case the analyzer reads it and any breakage is reported Inconclusive. The head runs with joblib's inline-array
/// hook, so a joblib stream is recognised by its content whatever its name (or the name of the compressed file it
/// came out of): the raw array bytes after each NumpyArrayWrapper are skipped as joblib.load skips them, and a head
/// that names joblib's wrappers at all is claimed even when its layout cannot be followed (then it is Inconclusive).
/// </summary>
internal static class PickleSniffer
{
    private const int OpcodeBudget = 2048;

    private static readonly ScanLimits SniffLimits = ScanLimits.Default with
    {
        MaxPickleOpcodes = OpcodeBudget,
        MaxPickleStack = 100_000,
        MaxPickleStringBytes = Artifact.HeadSize,
    };

    private static readonly HashSet<string> PickleExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".pkl", ".pickle", ".p", ".joblib", ".jbl", ".dill", ".pt", ".pth", ".bin", ".ckpt", ".sav", ".cloudpickle",
        ".pdparams", ".model", ".data", ".mdl", ".pkl.z",
    };

    private static readonly byte[] NumpyMagic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static bool NameHintsPickle(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return PickleExtensions.Contains(Path.GetExtension(name)) || name is "data.pkl" or "constants.pkl";
    }

    public static bool LooksLikePickle(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var head = artifact.Head.Span;
        if (head.Length == 0 || !PickleOpcodes.IsOpcode(head[0]) || HasOtherMagic(head))
        {
            return false;
        }

        var startsWithProto = head.Length >= 2 && head[0] == PickleOpcodes.Proto && head[1] <= PickleOpcodes.HighestProtocol;
        var framed = head.Length >= 3 && startsWithProto && head[1] >= 4 && head[2] == PickleOpcodes.Frame;
        PickleRunResult run;
        var seen = new PickleObservations();
        try
        {
            var input = new PickleInput(new ReadOnlyMemoryStream(artifact.Head), Math.Max(4096, artifact.Head.Length));
            run = new PickleMachine(input, seen, SniffLimits, JoblibArrayHook.Instance, CancellationToken.None).Run();
        }
        catch (LimitExceededException)
        {
            return true;
        }

        if (run.Completed || JoblibArrayHook.NamesJoblib(seen))
        {
            return true;
        }

        if (run.Error is { AtEnd: true })
        {
            var minimum = artifact.HeadIsComplete ? 3 : 8;
            return framed || run.Opcodes >= minimum || (startsWithProto && NameHintsPickle(artifact.Name));
        }

        return startsWithProto && NameHintsPickle(artifact.Name);
    }

    /// <summary>Formats whose first bytes happen to be pickle opcodes ("PK" is PERSID) but are something else.</summary>
    private static bool HasOtherMagic(ReadOnlySpan<byte> head) =>
        head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8) || head.StartsWith("PK\x07\x08"u8)
        || head.StartsWith(NumpyMagic)
        || head.StartsWith("BZh"u8);
}
