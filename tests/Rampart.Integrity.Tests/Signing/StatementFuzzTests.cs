using Rampart.Integrity.Hashing;
using Rampart.Integrity.Signing;

namespace Rampart.Integrity.Tests.Signing;

public sealed class StatementFuzzTests
{
    /// <summary>Flipped bytes in a valid statement: it is read or refused with an IntegrityException, nothing else.</summary>
    [Fact]
    public void Read_MutatedStatements_FailClosedWithIntegrityExceptionOnly()
    {
        var manifest = new ModelManifest(
            "m",
            [new("a/b", "sha256-sharded-10", [.. new byte[32]]), new("c", "sha256-sharded-10", [.. Enumerable.Repeat((byte)1, 32)])],
            new SerializationDescription(SerializationMethod.Shards, "sha256", false, 10, ["model.sig"]));
        var payload = Statement.Write(ModelFromNames(manifest));
        var random = new Random(1234);
        var refused = 0;
        for (var i = 0; i < 3000; i++)
        {
            var mutated = (byte[])payload.Clone();
            for (var k = random.Next(1, 4); k > 0; k--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            try
            {
                Statement.Read(mutated);
            }
            catch (IntegrityException)
            {
                refused++;
            }
        }

        refused.Should().BeGreaterThan(1000);
        Statement.Read(payload).RootDigestHex.Should().Be(manifest.RootDigestHex);
    }

    private static ModelManifest ModelFromNames(ModelManifest m) => m with
    {
        Resources = [.. m.Resources.Select(r => r with { Name = r.Name + ":0:10" })],
    };
}
