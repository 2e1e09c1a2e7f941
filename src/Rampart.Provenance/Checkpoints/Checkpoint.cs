using System.Globalization;
using System.Text;
using Rampart.Provenance.Signing;

namespace Rampart.Provenance.Checkpoints;

/// <summary>One signature line of a signed note: the key name, the 4-byte key hash and the signature.</summary>
public sealed record NoteSignature(string Name, uint KeyHash, byte[] Signature);

/// <summary>
/// A signed tree head in the C2SP tlog-checkpoint format, carried in a C2SP signed note: the note text is
/// "origin\nsize\nbase64(root)\n" (plus any extension lines), then a blank line, then one
/// "— name base64(keyID || signature)" line per signer. Rampart signs with Ed25519 (signature type 0x01, the spec's
/// default) or ECDSA (type 0x02); see <see cref="NoteKeys"/> for the key IDs. Signatures are checked over the note
/// text exactly as received.
/// </summary>
public sealed record Checkpoint(string Origin, long Size, byte[] Root, IReadOnlyList<NoteSignature> Signatures)
{
    private const string Dash = "\u2014 ";

    /// <summary>The most signature lines a note may carry (the spec asks verifiers to accept at least 16).</summary>
    private const int MaxSignatures = 100;

    private string? _text;

    /// <summary>The signed note text: origin, size and root, one per line, then any extension lines as received.</summary>
    public string Body => _text ?? $"{Origin}\n{Size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(Root)}\n";

    /// <summary>Signs a new checkpoint.</summary>
    public static Checkpoint Create(string origin, long size, byte[] root, NoteSigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var unsigned = new Checkpoint(origin, size, root, []);
        var signature = signer.Sign(Encoding.UTF8.GetBytes(unsigned.Body));
        return unsigned with { Signatures = [new NoteSignature(signer.Name, signer.KeyId, signature)] };
    }

    /// <summary>Signs a new checkpoint with an ECDSA ledger key (signature type 0x02).</summary>
    public static Checkpoint Create(string origin, long size, byte[] root, LedgerSigner signer)
    {
        using var note = NoteSigner.FromEcdsa(signer);
        return Create(origin, size, root, note);
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
        if (note.Any(c => c < 0x20 && c != '\n') || (note.Any(char.IsSurrogate) && !IsWellFormed(note)))
        {
            throw new ProvenanceException("not a signed note: it holds control characters or invalid UTF-8");
        }

        // The text ends at the last blank line: the signature block after it has no blank lines.
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !note.EndsWith('\n'))
        {
            throw new ProvenanceException("not a signed checkpoint: no blank line between the body and the signatures, or no final newline");
        }

        var text = note[..(split + 1)];
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3 || lines[0].Length == 0)
        {
            throw new ProvenanceException("not a checkpoint: the body needs an origin, a size and a root hash line");
        }

        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || (lines[1].Length > 1 && lines[1][0] == '0'))
        {
            throw new ProvenanceException($"not a checkpoint: the size line '{lines[1]}' is not a decimal number");
        }

        var root = NoteKeys.Base64(lines[2], "not a checkpoint: the root hash line");
        if (root.Length != 32)
        {
            throw new ProvenanceException("not a checkpoint: the root hash is not 32 bytes");
        }

        if (lines.Skip(3).Any(l => l.Length == 0))
        {
            throw new ProvenanceException("not a checkpoint: an extension line is empty");
        }

        if (split + 2 >= note.Length)
        {
            throw new ProvenanceException("not a checkpoint: it has no signature");
        }

        var signatures = new List<NoteSignature>();
        foreach (var line in note[(split + 2)..^1].Split('\n'))
        {
            var parts = line.StartsWith(Dash, StringComparison.Ordinal) ? line[Dash.Length..].Split(' ') : [];
            if (parts.Length != 2 || parts[0].Length == 0 || parts[0].Contains('+', StringComparison.Ordinal))
            {
                throw new ProvenanceException($"not a checkpoint: bad signature line '{line}'");
            }

            var blob = NoteKeys.Base64(parts[1], "not a checkpoint: a signature");
            if (blob.Length < 5)
            {
                throw new ProvenanceException("not a checkpoint: a signature is too short");
            }

            if (signatures.Count == MaxSignatures)
            {
                throw new ProvenanceException($"not a checkpoint: more than {MaxSignatures} signatures");
            }

            signatures.Add(new NoteSignature(parts[0], System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..]));
        }

        return new Checkpoint(lines[0], size, root, signatures) { _text = text };
    }

    /// <summary>Whether one of the signatures is by <paramref name="publicKey"/> (SPKI: Ed25519 or ECDSA) and matches the note text.</summary>
    public bool IsSignedBy(byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var body = Encoding.UTF8.GetBytes(Body);
        return Signatures.Any(s => NoteKeys.Verify(publicKey, s.Name, s.KeyHash, body, s.Signature));
    }

    private static bool IsWellFormed(string text)
    {
        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetByteCount(text);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }
}
