using System.Diagnostics;
using System.Text;

namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the engine's own rules (RAMP-GEN-*).</summary>
public sealed class EngineFixtures : IFixtureSource
{
    /// <summary>pickle.dumps({'layer.weight': [0.5, -1.25, 3.0], 'layer.bias': (0.0,), 'step': 7, 'name': 'plain'}, protocol=4).</summary>
    public static readonly byte[] PlainDataPickle = Convert.FromHexString(
        "80049563000000000000007d94288c0c6c617965722e776569676874945d9428473fe000000000000047bff4000000000000474008000000000000"
        + "658c0a6c617965722e626961739447000000000000000085948c0473746570944b078c046e616d65948c05706c61696e94752e");

    public IEnumerable<Fixture> Fixtures =>
    [
        new("engine/plain-data-pickle", "state.pkl", () => PlainDataPickle),
        new("engine/truncated-pickle", "state.pkl", () => PlainDataPickle[..40]),
        new("engine/unknown-model-bytes", "weights.bin", () => Encoding.ASCII.GetBytes("RAMPART-NOT-A-KNOWN-FORMAT\x01\x02\x03 these bytes are no model format\n")),
        new("engine/readme-text", "README.md", () => Encoding.UTF8.GetBytes("# A model card\n\nThis folder holds a model.\n")),
        new("engine/throwing-analyzer", "boom.bin", () => Encoding.ASCII.GetBytes(TestAnalyzers.ThrowingAnalyzer.Magic + " payload"))
        {
            ExtraAnalyzers = [new TestAnalyzers.ThrowingAnalyzer()],
        },
        new("engine/unreadable-file", "pipe.pt", () => [])
        {
            // A FIFO is listed as a file; opening it would block until a writer appears, so Rampart must not open it.
            Custom = directory =>
            {
                var path = Path.Combine(directory, "pipe.pt");
                using var mkfifo = Process.Start("mkfifo", [path]);
                mkfifo.WaitForExit();
                return mkfifo.ExitCode == 0 ? path : throw new InvalidOperationException("mkfifo failed");
            },
        },
    ];
}
