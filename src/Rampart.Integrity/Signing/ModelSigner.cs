using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Rampart.Integrity.Hashing;

namespace Rampart.Integrity.Signing;

/// <summary>
/// Signs a hashed model the way the reference's "key" and "certificate" methods do: the statement is the DSSE
/// payload, ECDSA (hash matching the curve) over its PAE gives a DER signature, and the bundle carries either the
/// key hint or the signing certificate followed by the given chain.
/// </summary>
public static class ModelSigner
{
    public static SigstoreBundle SignWithKey(ModelManifest manifest, ECDsa privateKey)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(privateKey);
        var (payload, signature) = SignStatement(manifest, privateKey);
        return new SigstoreBundle(
            SigstoreBundle.MediaTypeV03, VerificationMaterialKind.PublicKey, KeyMaterial.KeyHint(privateKey), [],
            [.. payload], Dsse.InTotoPayloadType, [.. signature]);
    }

    public static SigstoreBundle SignWithCertificate(
        ModelManifest manifest, ECDsa privateKey, X509Certificate2 signingCertificate, IReadOnlyList<X509Certificate2> chain)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(privateKey);
        ArgumentNullException.ThrowIfNull(signingCertificate);
        ArgumentNullException.ThrowIfNull(chain);
        using var certificateKey = signingCertificate.GetECDsaPublicKey()
            ?? throw new IntegrityException("the signing certificate does not hold an elliptic-curve public key");
        if (!certificateKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(privateKey.ExportSubjectPublicKeyInfo()))
        {
            throw new IntegrityException("the public key of the signing certificate does not match the private key");
        }

        var (payload, signature) = SignStatement(manifest, privateKey);
        ImmutableArray<ImmutableArray<byte>> certificates =
            [[.. signingCertificate.RawData], .. chain.Select(c => ImmutableArray.Create(c.RawData))];
        return new SigstoreBundle(
            SigstoreBundle.MediaTypeV03, VerificationMaterialKind.CertificateChain, null, certificates,
            [.. payload], Dsse.InTotoPayloadType, [.. signature]);
    }

    private static (byte[] Payload, byte[] Signature) SignStatement(ModelManifest manifest, ECDsa privateKey)
    {
        var curve = KeyMaterial.CurveOf(privateKey, "the private key");
        var payload = Statement.Write(manifest);
        var signature = privateKey.SignData(
            Dsse.Pae(Dsse.InTotoPayloadType, payload), KeyMaterial.HashFor(curve), DSASignatureFormat.Rfc3279DerSequence);
        return (payload, signature);
    }

    /// <summary>Writes the bundle next to nothing else: a temporary file then a rename, so a crash leaves no half signature.</summary>
    public static void Write(SigstoreBundle bundle, string path)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var temp = full + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            File.WriteAllBytes(temp, bundle.ToJson());
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new IntegrityException($"cannot write the signature '{path}': {e.Message}");
        }
    }
}
