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
}
