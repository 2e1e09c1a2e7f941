using System.Diagnostics;
using System.Text;

namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the engine's own rules (RAMP-GEN-*).</summary>
public sealed class EngineFixtures : IFixtureSource
{
    public IEnumerable<Fixture> Fixtures =>
    [
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
