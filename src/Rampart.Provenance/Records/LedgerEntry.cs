using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Rampart.Provenance.Merkle;
using Rampart.Provenance.Signing;

namespace Rampart.Provenance.Records;

/// <summary>Who wrote an entry: the key id, the name they gave, and the public key (SPKI) that checks the signature.</summary>
public sealed record SignerInfo(string KeyId, string Name, byte[] PublicKey);

/// <summary>
/// One row of the log as stored: the canonical JSON of the signed record (kind, fields, sequence number, signer,
/// time), the DER signature over those bytes, and the RFC 6962 leaf hash of the entry.
/// </summary>
public sealed record LedgerEntry(long Sequence, string RecordJson, byte[] Signature, byte[] LeafHash)
{
    /// <summary>Version of the record encoding.</summary>
    public const int FormatVersion = 1;

    /// <summary>The bytes the Merkle leaf hashes: canonical JSON {"record":...,"signature":"base64"}.</summary>
    public static byte[] LeafData(string recordJson, byte[] signature) =>
        Encoding.UTF8.GetBytes($"{{\"record\":{recordJson},\"signature\":\"{Convert.ToBase64String(signature)}\"}}");

    /// <summary>Numbers, timestamps and signs <paramref name="record"/> as entry <paramref name="sequence"/>.</summary>
    public static LedgerEntry Create(long sequence, ProvenanceRecord record, LedgerSigner signer, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(signer);
        var json = new JsonObject
        {
            ["v"] = FormatVersion,
            ["seq"] = sequence,
            ["kind"] = record.Kind.Name,
            ["time"] = time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["signer"] = new JsonObject
            {
                ["keyId"] = signer.KeyId,
                ["name"] = signer.Name,
                ["publicKey"] = Convert.ToBase64String(signer.PublicKey),
            },
            ["fields"] = record.Fields,
        };
        var bytes = CanonicalJson.Encode(json);
        var signature = signer.Sign(bytes);
        var text = Encoding.UTF8.GetString(bytes);
        return new LedgerEntry(sequence, text, signature, MerkleHash.Leaf(LeafData(text, signature)));
    }

    /// <summary>Parses the stored record; throws <see cref="ProvenanceException"/> when it is malformed.</summary>
    public EntryContents Read()
    {
        if (!CanonicalJson.IsCanonical(RecordJson, out var node) || node is not JsonObject obj)
        {
            throw new ProvenanceException("the record is not canonical JSON");
        }

        try
        {
            var signer = (JsonObject)obj["signer"]!;
            var publicKey = Convert.FromBase64String(signer["publicKey"]!.GetValue<string>());
            return new EntryContents(
                obj["seq"]!.GetValue<long>(),
                ProvenanceRecord.FromJson(obj["kind"]!.GetValue<string>(), (JsonObject)obj["fields"]!),
                new SignerInfo(signer["keyId"]!.GetValue<string>(), signer["name"]!.GetValue<string>(), publicKey),
                DateTimeOffset.Parse(obj["time"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new ProvenanceException($"the record is malformed ({e.Message})", e);
        }
    }

    /// <summary>Everything wrong with this entry when it should be number <paramref name="expectedSequence"/>, or null.</summary>
    public string? Problem(long expectedSequence) => Problem(expectedSequence, null, out _);

    /// <summary>
    /// As <see cref="Problem(long)"/>, also giving the parsed contents when the entry is sound; <paramref name="verifier"/>
    /// (public key, data, signature → valid) lets a caller reuse imported keys across many entries.
    /// </summary>
    internal string? Problem(long expectedSequence, Func<byte[], byte[], byte[], bool>? verifier, out EntryContents? parsed)
    {
        parsed = null;
        if (Sequence != expectedSequence)
        {
            return $"entry {expectedSequence} is missing (the next row is numbered {Sequence})";
        }

        EntryContents contents;
        try
        {
            contents = Read();
        }
        catch (ProvenanceException e)
        {
            return $"entry {Sequence}: {e.Message}";
        }

        if (contents.Sequence != Sequence)
        {
            return $"entry {Sequence}: the signed record says it is entry {contents.Sequence} (rows were reordered or renumbered)";
        }

        if (!string.Equals(LedgerSigner.KeyIdOf(contents.Signer.PublicKey), contents.Signer.KeyId, StringComparison.Ordinal))
        {
            return $"entry {Sequence}: the key id does not match the public key";
        }

        var data = Encoding.UTF8.GetBytes(RecordJson);
        if (!(verifier?.Invoke(contents.Signer.PublicKey, data, Signature) ?? LedgerSigner.Verify(contents.Signer.PublicKey, data, Signature)))
        {
            return $"entry {Sequence}: the signature does not match the record (it was edited)";
        }

        if (!MerkleHash.Leaf(LeafData(RecordJson, Signature)).AsSpan().SequenceEqual(LeafHash))
        {
            return $"entry {Sequence}: the stored leaf hash does not match the entry";
        }

        parsed = contents;
        return null;
    }
}

/// <summary>A parsed entry.</summary>
public sealed record EntryContents(long Sequence, ProvenanceRecord Record, SignerInfo Signer, DateTimeOffset Time);
