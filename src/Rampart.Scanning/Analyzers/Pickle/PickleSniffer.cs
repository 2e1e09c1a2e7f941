using System.Runtime.CompilerServices;
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
/// The head is emulated once: when the sniff stops cleanly (at STOP, or paused between two opcodes after
/// <see cref="OpcodeBudget"/>), the machine is kept for the artifact and the analyzer takes it over
/// (<see cref="TakeOver"/>), going on with the rest of the file instead of emulating the head again.
/// </summary>
internal static class PickleSniffer
{
    /// <summary>The sniff pauses after this many opcodes of the first pickle: enough to tell a pickle from other bytes.</summary>
    public const int OpcodeBudget = 2048;

    private static readonly ScanLimits SniffLimits = ScanLimits.Default with
    {
        MaxPickleStack = 100_000,
        MaxPickleStringBytes = Artifact.HeadSize,
    };

    /// <summary>Sniffs that stopped cleanly, kept for the analyzer of the same artifact (dropped with the artifact).</summary>
    private static readonly ConditionalWeakTable<Artifact, SniffedHead> Sniffed = [];

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
        var input = new PickleInput(new ReadOnlyMemoryStream(artifact.Head), Math.Max(4096, artifact.Head.Length));
        var machine = new PickleMachine(input, seen, SniffLimits, JoblibArrayHook.Instance, CancellationToken.None);
        try
        {
            run = machine.Run(pauseAfter: OpcodeBudget);
        }
        catch (LimitExceededException)
        {
            return true;
        }

        if (run.Completed || run.Paused)
        {
            Sniffed.AddOrUpdate(artifact, new SniffedHead(machine, run));
            return true;
        }

        if (JoblibArrayHook.NamesJoblib(seen))
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

    /// <summary>
    /// The machine that sniffed <paramref name="artifact"/>'s head, if it stopped cleanly and its limits are no looser
    /// than <paramref name="limits"/> in anything the head can have met (so that going on under
    /// <paramref name="limits"/> is exactly what a fresh run would do); it is handed over once.
    /// </summary>
    public static SniffedHead? TakeOver(Artifact artifact, ScanLimits limits)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(limits);
        if (!Sniffed.TryGetValue(artifact, out var sniffed))
        {
            return null;
        }

        Sniffed.Remove(artifact);
        var covered = limits.MaxPickleStringBytes >= SniffLimits.MaxPickleStringBytes && limits.MaxPickleStack >= SniffLimits.MaxPickleStack
            && sniffed.Machine.Seen.Opcodes <= limits.MaxPickleOpcodes && limits.MaxPicklesPerStream >= 1;
        return covered ? sniffed : null;
    }

    /// <summary>Formats whose first bytes happen to be pickle opcodes ("PK" is PERSID) but are something else.</summary>
    private static bool HasOtherMagic(ReadOnlySpan<byte> head) =>
        head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8) || head.StartsWith("PK\x07\x08"u8)
        || head.StartsWith(NumpyMagic)
        || head.StartsWith("BZh"u8);
}

/// <summary>A sniff of an artifact's head that stopped cleanly: at STOP, or paused between two opcodes.</summary>
/// <param name="Machine">The machine, whose input holds the head's unread bytes.</param>
/// <param name="Run">How the sniff stopped.</param>
internal sealed record SniffedHead(PickleMachine Machine, PickleRunResult Run);
