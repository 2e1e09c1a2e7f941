using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Archives;

/// <summary>Corrupted containers must end in findings (Inconclusive at worst), never in an analyzer failure.</summary>
public sealed class ContainerRobustnessTests
{
    public static TheoryData<string> Seeds() =>
    [
        "zip/plain", "zip/pickle-polyglot", "zip/overlapping", "tar/plain", "npy/object-array", "npy/float-array", "torch/torchscript",
    ];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Scan_MutatedFixture_NeverFailsInternally(string fixtureId)
    {
        var original = FixtureCatalog.Get(fixtureId).Build();
        var random = new Random(fixtureId.Length * 7919);
        for (var round = 0; round < 150; round++)
        {
            var bytes = (byte[])original.Clone();
            var mutations = random.Next(1, 4);
            for (var m = 0; m < mutations; m++)
            {
                switch (random.Next(3))
                {
                    case 0:
                        bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                        break;
                    case 1:
                        var at = random.Next(bytes.Length);
                        bytes[at] = random.Next(2) == 0 ? (byte)0xff : (byte)0;
                        break;
                    default:
                        bytes = bytes[..random.Next(1, bytes.Length)];
                        break;
                }
            }

            var report = await ScanHelper.ScanBytesAsync(bytes, "mutated.bin");

            report.Findings.Should().NotContain(f => f.RuleId == "RAMP-GEN-004", $"round {round} of {fixtureId} must not crash an analyzer ({string.Join("; ", report.Findings.Select(f => f.Message))})");
        }
    }
}
