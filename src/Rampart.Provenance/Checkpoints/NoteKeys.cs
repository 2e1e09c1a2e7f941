using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using Rampart.Provenance.Signing;

namespace Rampart.Provenance.Checkpoints;

/// <summary>
/// Signs checkpoint notes (c2sp.org/signed-note). Two signature types: Ed25519 (type 0x01, the spec's default, which
/// every note verifier accepts; key ID = SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]) and ECDSA
/// (type 0x02, as transparency-dev/witness implements it; key ID = SHA-256(DER SubjectPublicKeyInfo)[:4]).
/// </summary>
public abstract class NoteSigner : IDisposable
{
    /// <summary>The key name written in signature lines.</summary>
    public abstract string Name { get; }

    /// <summary>The 32-bit key ID that, with the name, identifies the key in signature lines.</summary>
    public abstract uint KeyId { get; }

    /// <summary>The public key as DER SubjectPublicKeyInfo (what the ledger stores beside a checkpoint).</summary>
    public abstract byte[] PublicKey { get; }

    /// <summary>The verifier key in the signed-note text form "name+hexid+base64(type || key)".</summary>
    public abstract string VerifierKey { get; }

    /// <summary>Signs the note text.</summary>
    public abstract byte[] Sign(ReadOnlySpan<byte> text);

    /// <summary>Disposes the private key.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the private key.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>A new random Ed25519 key named <paramref name="name"/>.</summary>
    public static NoteSigner GenerateEd25519(string name)
    {
        NoteKeys.CheckName(name);
        return new Ed25519NoteSigner(name, RandomNumberGenerator.GetBytes(32));
    }

    /// <summary>
    /// A signer from key text: a signed-note private key "PRIVATE+KEY+name+hexid+base64(0x01 || seed)" (Ed25519), or an
    /// ECDSA private key in PEM, named <paramref name="ecdsaName"/>.
    /// </summary>
    public static NoteSigner FromText(string text, string ecdsaName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (!trimmed.StartsWith(NoteKeys.PrivatePrefix, StringComparison.Ordinal))
        {
            return new EcdsaNoteSigner(LedgerSigner.FromPem(text, ecdsaName), owns: true);
        }

        var parts = trimmed[NoteKeys.PrivatePrefix.Length..].Split('+', 3);
        if (parts.Length != 3)
        {
            throw new ProvenanceException("not a signed-note private key: expected PRIVATE+KEY+name+keyid+key");
        }

        var (name, id, key) = (parts[0], parts[1], NoteKeys.Base64(parts[2], "the private key"));
        NoteKeys.CheckName(name);
        if (key.Length != 33 || key[0] != NoteKeys.Ed25519Type)
        {
            throw new ProvenanceException("not a signed-note private key: only Ed25519 keys (type 0x01, 32-byte seed) are supported");
        }

        var signer = new Ed25519NoteSigner(name, key[1..]);
        if (!string.Equals(id, NoteKeys.Hex(signer.KeyId), StringComparison.Ordinal))
        {
            signer.Dispose();
            throw new ProvenanceException($"the signed-note private key's id {id} does not match its name and key");
        }

        return signer;
    }

    /// <summary>An ECDSA ledger key as a note signer (signature type 0x02); the caller keeps ownership of <paramref name="key"/>.</summary>
    public static NoteSigner FromEcdsa(LedgerSigner key) => new EcdsaNoteSigner(key, owns: false);

    private sealed class Ed25519NoteSigner : NoteSigner
    {
        private readonly Key _key;
        private readonly byte[] _seed;
        private readonly byte[] _public;

        public Ed25519NoteSigner(string name, byte[] seed)
        {
            Name = name;
            _seed = seed;
            _key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
            _public = _key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
            KeyId = NoteKeys.Ed25519KeyId(name, _public);
            PublicKey = _key.PublicKey.Export(KeyBlobFormat.PkixPublicKey);
        }

        public override string Name { get; }

        public override uint KeyId { get; }

        public override byte[] PublicKey { get; }

        public override string VerifierKey => $"{Name}+{NoteKeys.Hex(KeyId)}+{Convert.ToBase64String([NoteKeys.Ed25519Type, .. _public])}";

        /// <summary>The private key in the signed-note text form (keep it secret).</summary>
        public string PrivateKey => $"{NoteKeys.PrivatePrefix}{Name}+{NoteKeys.Hex(KeyId)}+{Convert.ToBase64String([NoteKeys.Ed25519Type, .. _seed])}";

        public override byte[] Sign(ReadOnlySpan<byte> text) => SignatureAlgorithm.Ed25519.Sign(_key, text);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _key.Dispose();
                CryptographicOperations.ZeroMemory(_seed);
            }

            base.Dispose(disposing);
        }
    }

    private sealed class EcdsaNoteSigner(LedgerSigner key, bool owns) : NoteSigner
    {
        public override string Name => key.Name;

        public override uint KeyId => NoteKeys.EcdsaKeyId(key.PublicKey);

        public override byte[] PublicKey => key.PublicKey;

        public override string VerifierKey => $"{Name}+{NoteKeys.Hex(KeyId)}+{Convert.ToBase64String([NoteKeys.EcdsaType, .. key.PublicKey])}";

        public override byte[] Sign(ReadOnlySpan<byte> text) => key.Sign(text);

        protected override void Dispose(bool disposing)
        {
            if (disposing && owns)
            {
                key.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>The private key text of a generated Ed25519 signer (for `rampart ledger keygen`).</summary>
    public string ExportPrivateKey() => this is Ed25519NoteSigner ed
        ? ed.PrivateKey
        : throw new ProvenanceException("only Ed25519 note keys export in the signed-note private key form");
}

/// <summary>Key IDs, verifier keys and signature checks of c2sp.org/signed-note.</summary>
public static class NoteKeys
{
    /// <summary>Signature type of Ed25519 note signatures.</summary>
    public const byte Ed25519Type = 0x01;

    /// <summary>Signature type of ECDSA note signatures (transparency-dev/witness).</summary>
    public const byte EcdsaType = 0x02;

    internal const string PrivatePrefix = "PRIVATE+KEY+";

    /// <summary>DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE, AlgorithmIdentifier 1.3.101.112, BIT STRING.</summary>
    private static readonly byte[] Ed25519SpkiPrefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

    /// <summary>SHA-256(name || 0x0A || 0x01 || key)[:4], big-endian.</summary>
    public static uint Ed25519KeyId(string name, ReadOnlySpan<byte> rawPublicKey) => KeyIdOf([.. Encoding.UTF8.GetBytes(name), 0x0A, Ed25519Type, .. rawPublicKey]);

    /// <summary>SHA-256(DER SubjectPublicKeyInfo)[:4], big-endian: the spec's key ID for ECDSA.</summary>
    public static uint EcdsaKeyId(ReadOnlySpan<byte> spki) => KeyIdOf(spki);

    /// <summary>
    /// The key ID Rampart wrote in ECDSA checkpoint signatures before it followed the spec (SHA-256 of name, newline,
    /// 0x02 and the SPKI); accepted when verifying so older checkpoints still verify.
    /// </summary>
    public static uint LegacyEcdsaKeyId(string name, ReadOnlySpan<byte> spki) => KeyIdOf([.. Encoding.UTF8.GetBytes(name), 0x0A, EcdsaType, .. spki]);

    /// <summary>The raw 32-byte Ed25519 key inside an Ed25519 SubjectPublicKeyInfo, or null for another key type.</summary>
    public static byte[]? Ed25519FromSpki(ReadOnlySpan<byte> spki) =>
        spki.Length == Ed25519SpkiPrefix.Length + 32 && spki.StartsWith(Ed25519SpkiPrefix) ? spki[Ed25519SpkiPrefix.Length..].ToArray() : null;

    /// <summary>The SubjectPublicKeyInfo of a raw Ed25519 key.</summary>
    public static byte[] Ed25519Spki(ReadOnlySpan<byte> rawPublicKey) => [.. Ed25519SpkiPrefix, .. rawPublicKey];

    /// <summary>Whether <paramref name="spki"/> is a public key a checkpoint can be checked against (Ed25519 or ECDSA P-256/384/521).</summary>
    public static bool IsReadable(ReadOnlySpan<byte> spki)
    {
        if (Ed25519FromSpki(spki) is not null)
        {
            return true;
        }

        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(spki, out var read);
            return read == spki.Length;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether <paramref name="signature"/> by the key named <paramref name="name"/> with key ID <paramref name="keyId"/>
    /// is a valid signature of <paramref name="text"/> by <paramref name="spki"/>. The name and ID must identify that key.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> spki, string name, uint keyId, ReadOnlySpan<byte> text, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Ed25519FromSpki(spki) is { } raw)
        {
            return keyId == Ed25519KeyId(name, raw)
                && PublicKey.TryImport(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPublicKey, out var key)
                && SignatureAlgorithm.Ed25519.Verify(key!, text, signature);
        }

        return (keyId == EcdsaKeyId(spki) || keyId == LegacyEcdsaKeyId(name, spki)) && LedgerSigner.Verify(spki, text, signature);
    }

    /// <summary>
    /// A public key (SubjectPublicKeyInfo) from text: a signed-note verifier key "name+hexid+base64(type || key)"
    /// (Ed25519, or ECDSA with an SPKI), or a PEM public key (ECDSA, or Ed25519 "PUBLIC KEY").
    /// </summary>
    public static byte[] PublicKeyFromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            if (PublicKey.TryImport(SignatureAlgorithm.Ed25519, Encoding.ASCII.GetBytes(trimmed), KeyBlobFormat.PkixPublicKeyText, out var ed))
            {
                return ed!.Export(KeyBlobFormat.PkixPublicKey);
            }

            return LedgerSigner.PublicKeyFromPem(trimmed);
        }

        return ParseVerifierKey(trimmed).PublicKey;
    }

    /// <summary>Parses a verifier key "name+hexid+base64(type || key)", checking its id.</summary>
    public static (string Name, uint KeyId, byte[] PublicKey) ParseVerifierKey(string vkey)
    {
        ArgumentNullException.ThrowIfNull(vkey);
        var parts = vkey.Trim().Split('+', 3);
        if (parts.Length != 3 || parts[1].Length != 8 || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var id))
        {
            throw new ProvenanceException("not a signed-note verifier key: expected name+keyid+key (keyid: 8 hex digits)");
        }

        CheckName(parts[0]);
        var key = Base64(parts[2], "the verifier key");
        var (spki, expected) = key switch
        {
            [Ed25519Type, .. var raw] when raw.Length == 32 => (Ed25519Spki(raw), Ed25519KeyId(parts[0], raw)),
            [EcdsaType, .. var der] when IsReadable(der) && Ed25519FromSpki(der) is null => (der, EcdsaKeyId(der)),
            _ => throw new ProvenanceException("not a signed-note verifier key: the key is neither Ed25519 (type 0x01) nor ECDSA (type 0x02)"),
        };
        return id == expected
            ? (parts[0], id, spki)
            : throw new ProvenanceException($"the verifier key's id {parts[1]} does not match its name and key");
    }

    /// <summary>Key names are non-empty and have no spaces, plus signs or control characters.</summary>
    internal static void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Any(c => c == '+' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ProvenanceException($"'{name}' is not a usable key name: it must be non-empty, without spaces or '+'");
        }
    }

    internal static string Hex(uint id) => id.ToString("x8", CultureInfo.InvariantCulture);

    internal static byte[] Base64(string text, string what)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException e)
        {
            throw new ProvenanceException($"{what} is not base64", e);
        }
    }

    private static uint KeyIdOf(ReadOnlySpan<byte> data) => BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(data));
}
