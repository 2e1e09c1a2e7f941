using System.Security.Cryptography;
using Rampart.Integrity.Hashing;

namespace Rampart.Integrity.Tests.Hashing;

public sealed class ModelHasherTests
{
    [Fact]
    public void Compare_PathsByComponentsAndCodePoints_MatchesPythonPurePathOrder()
    {
        string[] names = ["x.y", "é", "x/y", "X", "x-y", "\U0001F600", "\uFF21", "a/b/c", "a/b"];

        var sorted = names.Order(ResourceNameComparer.Files).ToList();

        // Python: sorted(PurePosixPath(n) for n in names); U+1F600 sorts after U+FF21 by code point (not by UTF-16).
        sorted.Should().Equal("X", "a/b", "a/b/c", "x/y", "x-y", "x.y", "é", "\uFF21", "\U0001F600");
    }

    [Fact]
    public void Compare_Shards_ByPathThenNumericOffsets()
    {
        string[] names = ["w:1000:2000", "w:0:1000", "w:10000:10500", "v:0:1"];

        names.Order(ResourceNameComparer.Shards).Should().Equal("v:0:1", "w:0:1000", "w:1000:2000", "w:10000:10500");
    }

    [Theory]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/b/c", "a/b", true)]
    [InlineData("a/bc", "a/b", false)]
    [InlineData("a", "a/b", false)]
    public void IsIgnored_MatchesWholeLeadingComponents(string path, string ignore, bool expected)
    {
        ModelHasher.IsIgnored(path, [ignore]).Should().Be(expected);
    }

    [Theory]
    [InlineData("./a/b/", "a/b")]
    [InlineData(".git/", ".git")]
    [InlineData("../outside", null)]
    [InlineData("/abs", null)]
    public void NormalizeIgnorePath_RecordsRelativeForm(string input, string? expected)
    {
        ModelHasher.NormalizeIgnorePath(input).Should().Be(expected);
    }

    [Fact]
    public void Hash_ShardsOfEmptyAndExactMultipleFiles_FollowTheReference()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("empty"), []);
        File.WriteAllBytes(temp.File("exact"), new byte[2000]);
        File.WriteAllBytes(temp.File("odd"), new byte[2001]);

        var shards = ModelHasher.Hash(temp.Path, new HashingOptions { Method = SerializationMethod.Shards, ShardSize = 1000 }, CancellationToken.None);
        var files = ModelHasher.Hash(temp.Path, new HashingOptions(), CancellationToken.None);

        shards.Resources.Select(r => r.Name).Should().Equal("exact:0:1000", "exact:1000:2000", "odd:0:1000", "odd:1000:2000", "odd:2000:2001");
        files.Resources.Select(r => r.Name).Should().Equal("empty", "exact", "odd");
        files.Resources[0].DigestHex.Should().Be(Convert.ToHexStringLower(SHA256.HashData([])));
    }

    [Fact]
    public void Hash_LargerThanOneReadBuffer_EqualsOneShotSha256()
    {
        using var temp = new TempFolder();
        var data = new byte[(ModelHasher.ReadSize * 2) + 12345];
        new Random(7).NextBytes(data);
        File.WriteAllBytes(temp.File("w.bin"), data);

        var manifest = ModelHasher.Hash(temp.File("w.bin"), new HashingOptions(), CancellationToken.None);

        manifest.Resources.Single().Digest.Should().Equal(SHA256.HashData(data));
    }

    [Fact]
    public void Hash_SymlinkWithoutAllow_FailsNamingIt_WithAllowHashesTarget()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("m"));
        File.WriteAllText(temp.File("target.bin"), "abcd");
        File.CreateSymbolicLink(temp.File("m/link.bin"), temp.File("target.bin"));

        var refuse = () => ModelHasher.Hash(temp.File("m"), new HashingOptions(), CancellationToken.None);
        var allowed = ModelHasher.Hash(temp.File("m"), new HashingOptions { AllowSymlinks = true }, CancellationToken.None);

        refuse.Should().Throw<IntegrityException>().WithMessage("*'link.bin' is a symbolic link*");
        allowed.Resources.Single().DigestHex.Should().Be("88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589");
    }

    [Fact]
    public void Hash_SpecialFile_IsRefusedWhenTheCheckSaysSo()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("pipe"), "");

        var act = () => ModelHasher.Hash(temp.Path, new HashingOptions { IsRegularFile = _ => false }, CancellationToken.None);

        act.Should().Throw<IntegrityException>().WithMessage("*not a regular file*");
    }

    [Fact]
    public void Hash_UnsupportedHashType_Throws()
    {
        using var temp = new TempFolder();

        var act = () => ModelHasher.Hash(temp.Path, new HashingOptions { HashType = "blake3" }, CancellationToken.None);

        act.Should().Throw<IntegrityException>().WithMessage("*blake3*not supported*");
    }

    [Fact]
    public void Hash_Cancelled_Throws()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("a"), new byte[10]);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        var act = () => ModelHasher.Hash(temp.Path, new HashingOptions(), cts.Token);

        act.Should().Throw<OperationCanceledException>();
    }
}
