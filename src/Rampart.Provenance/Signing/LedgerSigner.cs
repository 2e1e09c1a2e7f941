using System.Security.Cryptography;
using Rampart.Core.IO;

namespace Rampart.Provenance.Signing;

/// <summary>
/// A writer's ECDSA key (P-256, P-384 or P-521, from PEM). Signatures are DER (RFC 3279) over the curve's matching
/// SHA-2 hash; the key id is "sha256:" + hex SHA-256 of the DER SubjectPublicKeyInfo.
/// </summary>
public sealed class LedgerSigner : IDisposable
{
    private readonly ECDsa _key;

    private LedgerSigner(ECDsa key, string name)
    {
        _key = key;
        Name = name;
        PublicKey = key.ExportSubjectPublicKeyInfo();
        KeyId = KeyIdOf(PublicKey);
    }

    /// <summary>Who signs (a person or a system), as written into every record.</summary>
    public string Name { get; }

    /// <summary>DER SubjectPublicKeyInfo.</summary>
    public byte[] PublicKey { get; }

    /// <summary>"sha256:" + hex SHA-256 of the SubjectPublicKeyInfo.</summary>
    public string KeyId { get; }

    /// <summary>A signer from a PEM private key (PKCS#8 or SEC1 "EC PRIVATE KEY").</summary>
    public static LedgerSigner FromPem(string pem, string name)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            _ = key.ExportParameters(includePrivateParameters: true);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new ProvenanceException($"not a usable ECDSA private key in PEM: {e.Message}", e);
        }

        if (key.KeySize is not (256 or 384 or 521))
        {
            key.Dispose();
            throw new ProvenanceException($"ECDSA keys must be P-256, P-384 or P-521 (got a {key.KeySize}-bit key)");
        }

        return new LedgerSigner(key, name);
    }

    /// <summary>A signer from a PEM file.</summary>
    public static LedgerSigner FromPemFile(string path, string? name = null)
    {
        string pem;
        try
        {
            pem = BoundedFile.ReadAllText(path, 1 << 20);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProvenanceException($"cannot read the key '{path}': {e.Message}", e);
        }

        return FromPem(pem, name ?? Environment.UserName);
    }

    /// <summary>A new random P-256 key (tests, `ledger init --new-key`).</summary>
    public static LedgerSigner Generate(string name) => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), name);

    /// <summary>The private key as PKCS#8 PEM.</summary>
    public string ExportPrivateKeyPem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>The public key as PEM.</summary>
    public string ExportPublicKeyPem() => _key.ExportSubjectPublicKeyInfoPem();

    /// <summary>A DER signature over <paramref name="data"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => _key.SignData(data, HashFor(_key.KeySize), DSASignatureFormat.Rfc3279DerSequence);

    /// <summary>Whether <paramref name="signature"/> (DER) is a signature over <paramref name="data"/> by <paramref name="publicKey"/> (SPKI).</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(publicKey, out var read);
            return read == publicKey.Length && key.VerifyData(data, signature, HashFor(key.KeySize), DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// A verifier that imports each distinct public key once (for checking a whole log); not thread-safe, dispose it after use.
    /// </summary>
    internal sealed class CachingVerifier : IDisposable
    {
        private readonly Dictionary<string, ECDsa?> _keys = new(StringComparer.Ordinal);

        public bool Verify(byte[] publicKey, byte[] data, byte[] signature)
        {
            var id = Convert.ToBase64String(publicKey);
            if (!_keys.TryGetValue(id, out var key))
            {
                key = Import(publicKey);
                _keys[id] = key;
            }

            try
            {
                return key is not null && key.VerifyData(data, signature, HashFor(key.KeySize), DSASignatureFormat.Rfc3279DerSequence);
            }
            catch (CryptographicException)
            {
                return false;
            }
        }

        private static ECDsa? Import(byte[] publicKey)
        {
            var key = ECDsa.Create();
            try
            {
                key.ImportSubjectPublicKeyInfo(publicKey, out var read);
                if (read == publicKey.Length)
                {
                    return key;
                }
            }
            catch (CryptographicException)
            {
            }

            key.Dispose();
            return null;
        }

        public void Dispose()
        {
            foreach (var key in _keys.Values)
            {
                key?.Dispose();
            }
        }
    }

    /// <summary>The key id of a SubjectPublicKeyInfo.</summary>
    public static string KeyIdOf(ReadOnlySpan<byte> publicKey) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(publicKey));

    /// <summary>Reads a PEM public key (or the public half of a private key) as SubjectPublicKeyInfo.</summary>
    public static byte[] PublicKeyFromPem(string pem)
    {
        using var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new ProvenanceException($"not an ECDSA key in PEM: {e.Message}", e);
        }

        return key.ExportSubjectPublicKeyInfo();
    }

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();

    private static HashAlgorithmName HashFor(int keySize) => keySize switch
    {
        384 => HashAlgorithmName.SHA384,
        521 => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };
}
