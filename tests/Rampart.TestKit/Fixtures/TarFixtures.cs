namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the tar analyzer's rules (RAMP-TAR-*).</summary>
public sealed class TarFixtures : IFixtureSource
{
    public IEnumerable<Fixture> Fixtures =>
    [
        new("tar/plain", "bundle.tar", () => new TarBuilder().Add("model/notes.txt", "a plain archive\n").Add("model/config.json", "{}\n").Build()),
        new("tar/traversal", "slip.tar", () => new TarBuilder().Add("../../home/user/.bashrc", "echo hi\n").Build()),
        new("tar/symlink-outside", "link.tar", () => new TarBuilder()
            .Add(new TarMember("model/weights", []) { Type = '2', LinkName = "../../../etc/passwd" }).Build()),
        new("tar/device", "device.tar", () => new TarBuilder().Add(new TarMember("dev/sda", []) { Type = '4' }).Build()),
        new("tar/bad-checksum", "checksum.tar", () => new TarBuilder()
            .Add("notes.txt", "first\n").Add(new TarMember("hidden.txt", "second\n"u8.ToArray()) { BadChecksum = true }).Build()),
    ];
}
