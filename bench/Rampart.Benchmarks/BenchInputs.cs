using System.Collections.Concurrent;
using System.IO.Compression;
using Rampart.TestKit.Fuzz;

namespace Rampart.Benchmarks;

/// <summary>A benchmark input and the amount of work it represents (for the throughput columns).</summary>
public sealed record BenchInput(byte[] Bytes, long Opcodes, long Members);

/// <summary>
/// Deterministic inputs built in code. Both the benchmark process ([GlobalSetup]) and the host (the throughput
/// columns) build them, so the column knows the size of what was measured.
/// </summary>
public static class BenchInputs
{
    private static readonly ConcurrentDictionary<string, BenchInput> Cache = new(StringComparer.Ordinal);

    /// <summary>
    /// A pickle of about <paramref name="megabytes"/> MB shaped like a real object dump: a list of rows, each a tuple
    /// of a small int, a float, a short (often repeated, memoised) string and a nested tuple, appended in batches.
    /// </summary>
    public static BenchInput Pickle(int protocol, int megabytes) => Cache.GetOrAdd($"pickle-{protocol}-{megabytes}", _ =>
    {
        var w = new FuzzPickleWriter().Proto(protocol);
        long opcodes = 1;
        w.Op(']');
        opcodes++;
        var memo = 0;
        w.Put(memo++);
        opcodes++;
        var target = megabytes * 1_000_000L;
        var row = 0;
        while (true)
        {
            w.Op('(');
            opcodes++;
            for (var i = 0; i < 1000; i++, row++)
            {
                w.BinInt(row & 0xFFFF).BinFloat(row * 0.5).Unicode("name" + (row % 997).ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .BinInt(row % 256).Op('N').Op(0x86).Op(0x87);
                opcodes += 7;
                if (protocol >= 4)
                {
                    w.Memoize();
                }
                else
                {
                    w.Put(memo++ % 100_000);
                }

                opcodes++;
            }

            w.Op('e');
            opcodes++;
            if (w.Length >= target)
            {
                break;
            }
        }

        return new BenchInput(w.Stop().ToArray(), opcodes + 1, 0);
    });

    /// <summary>A stored zip shaped like a PyTorch checkpoint with <paramref name="members"/> small storages.</summary>
    public static BenchInput Zip(int members) => Cache.GetOrAdd($"zip-{members}", _ =>
    {
        var entries = new (string, byte[])[members + 1];
        entries[0] = ("archive/data.pkl", FuzzSeedCorpus.StateDict(2));
        for (var i = 1; i <= members; i++)
        {
            entries[i] = ($"archive/data/{i}", new byte[16]);
        }

        return new BenchInput(FuzzSeedCorpus.Zip(CompressionLevel.NoCompression, entries), 0, members + 1);
    });
}
