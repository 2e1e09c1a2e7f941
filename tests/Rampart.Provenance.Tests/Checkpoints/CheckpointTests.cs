using Rampart.Provenance.Checkpoints;
using Rampart.Provenance.Signing;

namespace Rampart.Provenance.Tests.Checkpoints;

public sealed class CheckpointTests
{
    [Fact]
    public void Note_RoundTrips_AndVerifiesWithTheSignersKey()
    {
        using var signer = LedgerSigner.Generate("ledger-key");
        using var other = LedgerSigner.Generate("ledger-key");
        var checkpoint = Checkpoint.Create("example.com/log", 42, new byte[32], signer);
        var note = checkpoint.ToNote();

        note.Should().StartWith("example.com/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 ledger-key ");
        var parsed = Checkpoint.Parse(note);
        parsed.Size.Should().Be(42);
        parsed.IsSignedBy(signer.PublicKey).Should().BeTrue();
        parsed.IsSignedBy(other.PublicKey).Should().BeFalse();
    }

    [Fact]
    public void Note_EditedSize_NoLongerVerifies()
    {
        using var signer = LedgerSigner.Generate("k");
        var note = Checkpoint.Create("o", 5, new byte[32], signer).ToNote().Replace("\n5\n", "\n6\n", StringComparison.Ordinal);
        Checkpoint.Parse(note).IsSignedBy(signer.PublicKey).Should().BeFalse();
    }

    [Theory]
    [InlineData("")]
    [InlineData("origin\n5\nAAAA\n\n")]
    [InlineData("origin\nfive\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 k AAAAAAAA\n")]
    [InlineData("origin\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n")]
    public void Parse_Malformed_Throws(string note)
    {
        var act = () => Checkpoint.Parse(note);
        act.Should().Throw<ProvenanceException>();
    }

    [Fact]
    public void Ecdsa_KeyIdIsTheSpecsTruncatedHashOfTheSpki()
    {
        using var signer = LedgerSigner.Generate("example.com/ecdsa");
        var checkpoint = Checkpoint.Create("o", 3, new byte[32], signer);
        var expected = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(System.Security.Cryptography.SHA256.HashData(signer.PublicKey));
        checkpoint.Signatures.Single().KeyHash.Should().Be(expected);
        Checkpoint.Parse(checkpoint.ToNote()).IsSignedBy(signer.PublicKey).Should().BeTrue();
    }

    [Theory]
    [InlineData("ci")]
    [InlineData("example.com/legacy")]
    public void LegacyEcdsaCheckpoint_StillVerifies(string name)
    {
        // Before following c2sp.org/signed-note for ECDSA, Rampart's key ID was SHA-256(name || 0x0A || 0x02 || SPKI)[:4].
        using var signer = LedgerSigner.Generate(name);
        var body = $"old.example/log\n4\n{Convert.ToBase64String(new byte[32])}\n";
        var legacyId = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(
            System.Security.Cryptography.SHA256.HashData([.. System.Text.Encoding.UTF8.GetBytes(name), 0x0A, 0x02, .. signer.PublicKey]));
        var blob = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob, legacyId);
        var note = $"{body}\n\u2014 {name} {Convert.ToBase64String([.. blob, .. signer.Sign(System.Text.Encoding.UTF8.GetBytes(body))])}\n";
        var parsed = Checkpoint.Parse(note);
        parsed.IsSignedBy(signer.PublicKey).Should().BeTrue();
        using var other = LedgerSigner.Generate(name);
        parsed.IsSignedBy(other.PublicKey).Should().BeFalse();
    }

    [Fact]
    public void Ed25519_RoundTrips_AndTheVerifierKeyNamesTheSameKey()
    {
        using var key = NoteSigner.GenerateEd25519("example.com/ed");
        var note = Checkpoint.Create("example.com/log", 9, new byte[32], key).ToNote();
        var parsed = Checkpoint.Parse(note);
        parsed.IsSignedBy(key.PublicKey).Should().BeTrue();
        parsed.IsSignedBy(NoteKeys.PublicKeyFromText(key.VerifierKey)).Should().BeTrue();
        using var again = NoteSigner.FromText(key.ExportPrivateKey(), "unused");
        again.VerifierKey.Should().Be(key.VerifierKey);
        Checkpoint.Parse(note.Replace("\n9\n", "\n10\n", StringComparison.Ordinal)).IsSignedBy(key.PublicKey).Should().BeFalse();
    }

    [Theory]
    [InlineData("origin\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 k AAAAAAAA\n\u2014 k\n")]
    [InlineData("origin\n05\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 k AAAAAAAA\n")]
    [InlineData("origin\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 k+1 AAAAAAAA\n")]
    [InlineData("origin\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n- k AAAAAAAA\n")]
    [InlineData("origin\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 k AAAAAAAA")]
    [InlineData("origin\r\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 k AAAAAAAA\n")]
    [InlineData("origin\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\n\u2014 k AAAAAAAA\n")]
    public void Parse_NotASignedNote_Throws(string note)
    {
        var act = () => Checkpoint.Parse(note);
        act.Should().Throw<ProvenanceException>();
    }
}
