using Rampart.Core;
using Rampart.Scanning.Analyzers.Pickle;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>A small seeded mutation run over the pickle fixtures: malformed input must never escape as an exception.</summary>
public sealed class PickleRobustnessTests
{
    private static readonly ScanLimits SmallLimits = ScanLimits.Default with { MaxPickleOpcodes = 100_000, MaxPickleStack = 10_000 };

    [Fact]
    public void Run_MutatedFixtures_NeverThrowAnythingButLimits()
    {
        var seeds = FixtureCatalog.Fixtures.Where(f => f.Key.StartsWith("pickle/", StringComparison.Ordinal) || f.Key.StartsWith("joblib/", StringComparison.Ordinal))
            .Select(f => f.Value.Build()).ToList();
        var random = new Random(20251122);
        var runs = 0;
        foreach (var seed in seeds)
        {
            for (var i = 0; i < 400; i++)
            {
                var mutated = Mutate(seed, random);
                try
                {
                    PickleTestRunner.Run(mutated, SmallLimits, joblib: true);
                    var artifact = ArtifactFactory.FromBytes("m.pkl", null, 0, mutated);
                    PickleSniffer.LooksLikePickle(artifact);
                }
                catch (LimitExceededException)
                {
                }

                runs++;
            }
        }

        runs.Should().BeGreaterThan(3000);
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = seed.ToList();
        switch (random.Next(5))
        {
            case 0:
                return [.. bytes.Take(random.Next(bytes.Count + 1))];
            case 1:
                for (var k = 0; k < 1 + random.Next(4); k++)
                {
                    var at = random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }

                return [.. bytes];
            case 2:
                bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                return [.. bytes];
            case 3:
                if (bytes.Count > 1)
                {
                    bytes.RemoveAt(random.Next(bytes.Count));
                }

                return [.. bytes];
            default:
            {
                var at = random.Next(Math.Max(1, bytes.Count - 8));
                var huge = random.Next(2) == 0 ? new byte[] { 0xff, 0xff, 0xff, 0xff } : [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
                for (var k = 0; k < huge.Length && at + k < bytes.Count; k++)
                {
                    bytes[at + k] = huge[k];
                }

                return [.. bytes];
            }
        }
    }
}
