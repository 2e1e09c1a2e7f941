using System.Net.Sockets;
using System.Text;

namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the engine's own rules (RAMP-GEN-*).</summary>
public sealed class EngineFixtures : IFixtureSource
{
    public IEnumerable<Fixture> Fixtures =>
    [
        new("engine/unknown-model-bytes", "weights.bin", () => Encoding.ASCII.GetBytes("RAMPART-NOT-A-KNOWN-FORMAT\x01\x02\x03 these bytes are no model format\n")),
        new("engine/readme-text", "README.md", () => Encoding.UTF8.GetBytes("# A model card\n\nThis folder holds a model.\n")),
        new("engine/unreadable-file", "socket.pt", () => [])
        {
            // A Unix socket is listed as a file but cannot be opened for reading (ENXIO), even by root.
            Custom = directory =>
            {
                var path = Path.Combine(directory, "socket.pt");
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(path));
                return path;
            },
        },
    ];
}
