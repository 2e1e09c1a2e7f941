using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Rampart.Provenance.Signing;

namespace Rampart.Provenance.Checkpoints;

/// <summary>One signature line of a signed note: the key name, the 4-byte key hash and the signature.</summary>
public sealed record NoteSignature(string Name, uint KeyHash, byte[] Signature);

/// <summary>
/// A signed tree head in the C2SP tlog-checkpoint / signed-note text format:
/// "origin\nsize\nbase64(root)\n", a blank line, then one "— name base64(keyhash‖signature)" line per signer.
/// Rampart signs with ECDSA; the key hash is the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x02 ‖ SPKI), after the
/// signed-note rule for Ed25519 keys with the ECDSA type byte, and the signature is DER over the note text.
/// </summary>
public sealed record Checkpoint(string Origin, long Size, byte[] Root, IReadOnlyList<NoteSignature> Signatures)
{
    private const byte EcdsaKeyType = 0x02;
    private const string Dash = "\u2014 ";

    /// <summary>The signed part: origin, size and root, one per line.</summary>
    public string Body => $"{Origin}\n{Size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(Root)}\n";

    /// <summary>Signs a new checkpoint.</summary>
    public static Checkpoint Create(string origin, long size, byte[] root, LedgerSigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var unsigned = new Checkpoint(origin, size, root, []);
        var signature = signer.Sign(Encoding.UTF8.GetBytes(unsigned.Body));
        return unsigned with { Signatures = [new NoteSignature(signer.Name, KeyHash(signer.Name, signer.PublicKey), signature)] };
    }

    /// <summary>The note text.</summary>
    public string ToNote()
    {
        var text = new StringBuilder(Body).Append('\n');
        foreach (var s in Signatures)
        {
            var blob = new byte[4 + s.Signature.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob, s.KeyHash);
            s.Signature.CopyTo(blob, 4);
            text.Append(Dash).Append(s.Name).Append(' ').Append(Convert.ToBase64String(blob)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Parses a note; throws <see cref="ProvenanceException"/> with the reason when it is not a checkpoint.</summary>
    public static Checkpoint Parse(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        var split = note.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !note.EndsWith('\n'))
        {
            throw new ProvenanceException("not a signed checkpoint: no blank line between the body and the signatures, or no final newline");
        }

        var lines = note[..(split + 1)].Split('\n');
        if (lines.Length < 4 || lines[0].Length == 0)
        {
            throw new ProvenanceException("not a checkpoint: the body needs an origin, a size and a root hash line");
        }

        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || (lines[1].Length > 1 && lines[1][0] == '0'))
        {
            throw new ProvenanceException($"not a checkpoint: the size line '{lines[1]}' is not a decimal number");
        }

        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException e)
        {
            throw new ProvenanceException("not a checkpoint: the root hash line is not base64", e);
        }

        if (root.Length != 32)
        {
            throw new ProvenanceException("not a checkpoint: the root hash is not 32 bytes");
        }

        var signatures = new List<NoteSignature>();
        foreach (var line in note[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.StartsWith(Dash, StringComparison.Ordinal) ? line[Dash.Length..].Split(' ') : [];
            if (parts.Length != 2)
            {
                throw new ProvenanceException($"not a checkpoint: bad signature line '{line}'");
            }

            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(parts[1]);
            }
            catch (FormatException e)
            {
                throw new ProvenanceException("not a checkpoint: a signature is not base64", e);
            }

            if (blob.Length < 5)
            {
                throw new ProvenanceException("not a checkpoint: a signature is too short");
            }

            signatures.Add(new NoteSignature(parts[0], System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..]));
        }

        if (signatures.Count == 0)
        {
            throw new ProvenanceException("not a checkpoint: it has no signature");
        }

        return new Checkpoint(lines[0], size, root, signatures);
    }

    /// <summary>Whether one of the signatures is by <paramref name="publicKey"/> (SPKI) and matches the body.</summary>
    public bool IsSignedBy(byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var body = Encoding.UTF8.GetBytes(Body);
        return Signatures.Any(s => s.KeyHash == KeyHash(s.Name, publicKey) && LedgerSigner.Verify(publicKey, body, s.Signature));
    }

    /// <summary>The 4-byte key hash that names a key in signature lines.</summary>
    public static uint KeyHash(string name, byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(publicKey);
        var data = new List<byte>(Encoding.UTF8.GetBytes(name)) { (byte)'\n', EcdsaKeyType };
        data.AddRange(publicKey);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData([.. data]));
    }
}
