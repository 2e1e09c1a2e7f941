using System.Text;
using System.Text.Json.Nodes;
using Rampart.Provenance.Records;
using Rampart.Provenance.Signing;

namespace Rampart.Provenance.Tests.Records;

public sealed class RecordTests
{
    [Fact]
    public void CanonicalJson_KeysInAnyOrder_GiveTheSameBytes()
    {
        var a = JsonNode.Parse("""{ "b": 1, "a": {"z": [1, 2], "y": "é"} }""");
        var b = JsonNode.Parse("""{"a":{"y":"é","z":[1,2]},"b":1}""");
        CanonicalJson.EncodeToString(a).Should().Be("""{"a":{"y":"é","z":[1,2]},"b":1}""");
        CanonicalJson.Encode(a).Should().Equal(CanonicalJson.Encode(b));
    }

    [Fact]
    public void Builder_UnknownField_IsRejected()
    {
        var act = () => ProvenanceRecord.Create(RecordKinds.Approval).Set("colour", "red");
        act.Should().Throw<ProvenanceException>().WithMessage("*no field 'colour'*");
    }

    [Fact]
    public void Builder_MissingRequiredField_NamesIt()
    {
        var act = () => ProvenanceRecord.Create(RecordKinds.TrainingRun).Set("run-id", "r1").Build();
        act.Should().Throw<ProvenanceException>().WithMessage("*--model*");
    }

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("md5:00")]
    [InlineData("not a digest")]
    public void Builder_MalformedDigest_IsRejected(string digest)
    {
        var act = () => ProvenanceRecord.Create(RecordKinds.Scan).Set("artifact", digest);
        act.Should().Throw<ProvenanceException>().WithMessage("*digest*");
    }

    [Fact]
    public void Builder_BareHexDigest_IsNormalised()
    {
        var hex = new string('A', 64);
        var record = ProvenanceRecord.Create(RecordKinds.Revocation).Set("subject", hex).Set("reason", "leaked").Build();
        record.Text("subject").Should().Be("sha256:" + new string('a', 64));
    }

    [Fact]
    public void Builder_NonNumericMetric_IsRejected()
    {
        var act = () => ProvenanceRecord.Create(RecordKinds.Evaluation).Set("metrics", "accuracy=high");
        act.Should().Throw<ProvenanceException>().WithMessage("*finite number*");
    }

    [Theory]
    [InlineData("nistP256")]
    [InlineData("nistP384")]
    [InlineData("nistP521")]
    public void Entry_SignedWithEachCurve_VerifiesAndReadsBack(string curve)
    {
        using var ecdsa = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.CreateFromFriendlyName(curve));
        using var signer = LedgerSigner.FromPem(ecdsa.ExportPkcs8PrivateKeyPem(), "alice");
        var record = LedgerTestKit.Run("run-1", LedgerTestKit.Digest("model"), LedgerTestKit.Digest("data"));
        var entry = LedgerEntry.Create(7, record, signer, LedgerTestKit.Now);

        entry.Problem(7).Should().BeNull();
        var contents = entry.Read();
        contents.Sequence.Should().Be(7);
        contents.Signer.Name.Should().Be("alice");
        contents.Signer.KeyId.Should().Be(signer.KeyId).And.StartWith("sha256:");
        contents.Time.Should().Be(LedgerTestKit.Now);
        contents.Record.List("datasets").Should().Equal(LedgerTestKit.Digest("data"));
        contents.Record.Pairs("metrics").Should().ContainSingle().Which.Value.Should().Be("0.93");
    }

    [Fact]
    public void Entry_EditedRecord_FailsItsSignature()
    {
        using var signer = LedgerSigner.Generate("alice");
        var entry = LedgerEntry.Create(0, LedgerTestKit.Dataset(1), signer, LedgerTestKit.Now);
        var edited = entry with { RecordJson = entry.RecordJson.Replace("CC-BY-4.0", "MIT", StringComparison.Ordinal) };
        edited.Problem(0).Should().Contain("signature");
    }

    [Fact]
    public void Entry_WrongPosition_IsNamed()
    {
        using var signer = LedgerSigner.Generate("alice");
        var entry = LedgerEntry.Create(3, LedgerTestKit.Dataset(1), signer, LedgerTestKit.Now) with { Sequence = 4 };
        entry.Problem(4).Should().Contain("says it is entry 3");
    }

    [Fact]
    public void Signer_NotAKey_GivesAClearError()
    {
        var act = () => LedgerSigner.FromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "x");
        act.Should().Throw<ProvenanceException>().WithMessage("*ECDSA*");
    }

    [Fact]
    public void LeafData_IsTheCanonicalJsonOfRecordAndSignature()
    {
        using var signer = LedgerSigner.Generate("alice");
        var entry = LedgerEntry.Create(0, LedgerTestKit.Dataset(1), signer, LedgerTestKit.Now);
        var text = Encoding.UTF8.GetString(LedgerEntry.LeafData(entry.RecordJson, entry.Signature));
        CanonicalJson.IsCanonical(text, out _).Should().BeTrue();
    }
}
