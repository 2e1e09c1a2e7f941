using System.Security.Cryptography;
using Rampart.Data.Crypto;
using Rampart.TestKit;

namespace Rampart.Data.Tests.Crypto;

public sealed class DataEncryptionTests
{
    private const int Chunk = DataEncryption.MinChunkSize;
    private static readonly DataKey Key = new(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    /// <summary>Magic 8, version 1, chunk size 4, id length 1, the id, wrap nonce 12, wrapped key 32, tag 16.</summary>
    private static int HeaderLength => 8 + 1 + 4 + 1 + Key.Id.Length + 12 + 32 + 16;

    private static byte[] Encrypt(byte[] plain, DataKey? key = null)
    {
        using var output = new MemoryStream();
        DataEncryption.Encrypt(new MemoryStream(plain), output, key ?? Key, Chunk);
        return output.ToArray();
    }

    private static byte[] Decrypt(byte[] cipher, DataKey? key = null)
    {
        using var output = new MemoryStream();
        DataEncryption.Decrypt(new MemoryStream(cipher), output, key ?? Key);
        return output.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData((3 * Chunk) + 5)]
    [InlineData(4 * Chunk)]
    public void RoundTrip_AnySize_GivesTheBytesBack(int size)
    {
        var plain = RandomNumberGenerator.GetBytes(size);
        var cipher = Encrypt(plain);
        var chunks = Math.Max(1, (size + Chunk - 1) / Chunk);
        cipher.Length.Should().Be(HeaderLength + size + (16 * chunks), "one 16-byte tag per chunk after the header");
        Decrypt(cipher).Should().Equal(plain);
        if (size >= 64)
        {
            cipher.AsSpan().IndexOf(plain.AsSpan(0, 64)).Should().Be(-1, "the plaintext does not appear in the output");
        }
    }

    [Fact]
    public void Encrypt_SamePlaintextTwice_DiffersBecauseTheDataKeyIsFresh()
    {
        var plain = new byte[100];
        Encrypt(plain).Should().NotEqual(Encrypt(plain));
    }

    [Fact]
    public void Decrypt_EveryFlippedByte_IsRejected()
    {
        var plain = RandomNumberGenerator.GetBytes((2 * Chunk) + 100);
        var cipher = Encrypt(plain);
        for (var i = 0; i < cipher.Length; i++)
        {
            var bad = (byte[])cipher.Clone();
            bad[i] ^= (byte)(1 << (i % 8));
            var act = () => Decrypt(bad);
            act.Should().Throw<DataCryptoException>($"byte {i} of {cipher.Length} was flipped");
        }
    }

    [Fact]
    public void Decrypt_EveryTruncation_IsRejected()
    {
        var cipher = Encrypt(RandomNumberGenerator.GetBytes((3 * Chunk) + 10));
        for (var length = 0; length < cipher.Length; length += length < 200 ? 1 : 97)
        {
            var act = () => Decrypt(cipher[..length]);
            act.Should().Throw<DataCryptoException>($"cut to {length} of {cipher.Length} bytes");
        }

        var header = HeaderLength;
        foreach (var boundary in new[] { header + Chunk + 16, header + (2 * (Chunk + 16)), header + (3 * (Chunk + 16)) })
        {
            var act = () => Decrypt(cipher[..boundary]);
            act.Should().Throw<DataCryptoException>().WithMessage("*truncated*");
        }
    }

    [Fact]
    public void Decrypt_AppendedOrReorderedChunks_AreRejected()
    {
        var cipher = Encrypt(RandomNumberGenerator.GetBytes((3 * Chunk) + 10));
        var act = () => Decrypt([.. cipher, 0]);
        act.Should().Throw<DataCryptoException>();
        var header = HeaderLength;
        var swapped = (byte[])cipher.Clone();
        cipher.AsSpan(header, Chunk + 16).CopyTo(swapped.AsSpan(header + Chunk + 16));
        cipher.AsSpan(header + Chunk + 16, Chunk + 16).CopyTo(swapped.AsSpan(header));
        act = () => Decrypt(swapped);
        act.Should().Throw<DataCryptoException>().WithMessage("*chunk 0*");
    }

    [Fact]
    public void Decrypt_WrongKey_SaysWhichKeyIdIsNeeded()
    {
        var cipher = Encrypt([1, 2, 3]);
        var other = DataKey.Generate();
        var act = () => Decrypt(cipher, other);
        act.Should().Throw<DataCryptoException>().WithMessage($"*encrypted for key id '{Key.Id}'*'{other.Id}'*");
        var forged = new DataKey(Convert.FromHexString(other.ToHex()), Key.Id);
        act = () => Decrypt(cipher, forged);
        act.Should().Throw<DataCryptoException>().WithMessage("*could not be unwrapped*");
    }

    [Fact]
    public void Decrypt_NotOurFormat_ClearError()
    {
        var act = () => Decrypt("hello world, not encrypted"u8.ToArray());
        act.Should().Throw<DataCryptoException>().WithMessage("*RMPDENC1*");
    }

    [Theory]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")]
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")]
    public void Key_TextForms_ParseToTheSameKey(string text) => DataKey.Parse(text).Id.Should().Be(Key.Id);

    [Fact]
    public void DecryptFile_Tampered_LeavesNoOutputBehind()
    {
        using var temp = new TempDirectory();
        File.WriteAllBytes(temp.File("plain"), RandomNumberGenerator.GetBytes(3 * Chunk));
        DataEncryption.EncryptFile(temp.File("plain"), temp.File("enc"), Key, Chunk);
        var bytes = File.ReadAllBytes(temp.File("enc"));
        bytes[^20] ^= 1;
        File.WriteAllBytes(temp.File("enc"), bytes);
        var act = () => DataEncryption.DecryptFile(temp.File("enc"), temp.File("out"), Key);
        act.Should().Throw<DataCryptoException>();
        Directory.GetFiles(temp.Path).Select(Path.GetFileName).Should().BeEquivalentTo(["plain", "enc"]);
    }

    /// <summary>A 300 MB file (mostly a sparse hole, some random blocks) round-trips while this thread allocates a few MB at most.</summary>
    [Fact]
    public void RoundTrip_300MegabyteFile_InBoundedMemory()
    {
        using var temp = new TempDirectory();
        var plain = temp.File("big.bin");
        const long size = 300L * 1024 * 1024;
        using (var f = new FileStream(plain, FileMode.Create))
        {
            f.SetLength(size);
            var random = new Random(3);
            var block = new byte[65536];
            for (var i = 0; i < 64; i++)
            {
                random.NextBytes(block);
                f.Position = random.NextInt64(size - block.Length);
                f.Write(block);
            }
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        DataEncryption.EncryptFile(plain, temp.File("big.enc"), Key);
        DataEncryption.DecryptFile(temp.File("big.enc"), temp.File("big.out"), Key);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        allocated.Should().BeLessThan(16L * 1024 * 1024, "two chunk buffers, not the file, are held");
        new FileInfo(temp.File("big.out")).Length.Should().Be(size);
        using var a = File.OpenRead(plain);
        using var b = File.OpenRead(temp.File("big.out"));
        SHA256.HashData(a).Should().Equal(SHA256.HashData(b));
    }
}
