using System.Text;

namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the zip analyzer's rules (RAMP-ZIP-*) and the engine's depth limit.</summary>
public sealed class ZipFixtures : IFixtureSource
{
    /// <summary>The first bytes of a protocol-2 pickle; enough to make a zip a polyglot.</summary>
    public static readonly byte[] PicklePrefix = [0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e];

    public IEnumerable<Fixture> Fixtures =>
    [
        new("zip/plain", "bundle.zip", Plain),
        new("zip/nested-too-deep", "nested.zip", () => Nested(10)),
        new("zip/name-mismatch", "mismatch.zip", () => new ZipBuilder()
            .Add(new ZipMember("notes.txt", Text("hello")) { LocalName = "other.txt" }).Build()),
        new("zip/duplicate-member", "duplicate.zip", () => new ZipBuilder()
            .Add("notes.txt", "first").Add("notes.txt", "second").Build()),
        new("zip/unusual-flags", "flags.zip", () => new ZipBuilder()
            .Add(new ZipMember("notes.txt", Text("hello")) { ExtraFlags = 0x2000 }).Build()),
        new("zip/bad-crc", "crc.zip", () => new ZipBuilder()
            .Add(new ZipMember("notes.txt", Text("hello")) { CrcOverride = 0x12345678 }).Build()),
        new("zip/encrypted", "secret.zip", () => new ZipBuilder()
            .Add(new ZipMember("notes.txt", Text("not really encrypted")) { ExtraFlags = 0x0001 }).Build()),
        new("zip/traversal", "slip.zip", () => new ZipBuilder().Add("../../etc/cron.d/job", "* * * * * true\n").Build()),
        new("zip/declared-bomb", "bomb.zip", () => new ZipBuilder().Zip64()
            .Add(new ZipMember("notes.txt", Text("small")) { Deflate = true, DeclaredSize = 16L * 1024 * 1024 * 1024 }).Build()),
        new("zip/pickle-polyglot", "polyglot.zip", () => new ZipBuilder().Prepend(PicklePrefix).Add("notes.txt", "hello").Build()),
        new("zip/overlapping", "overlap.zip", () => new ZipBuilder()
            .Add("a.txt", "shared bytes").Add(new ZipMember("b.txt", Text("shared bytes")) { ShareHeaderOf = 0 }).Build()),
    ];

    public static byte[] Plain() => new ZipBuilder()
        .Add("notes.txt", "a plain archive\n")
        .Add("config.json", "{\"hidden_size\": 16}\n", deflate: true)
        .Build();

    /// <summary>A zip holding a zip holding ... <paramref name="levels"/> archives deep.</summary>
    public static byte[] Nested(int levels)
    {
        var bytes = Plain();
        for (var i = 0; i < levels - 1; i++)
        {
            bytes = new ZipBuilder().Add($"level{i}.zip", bytes).Build();
        }

        return bytes;
    }

    private static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);
}
