using System.Collections.Immutable;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rampart.Integrity.Hashing;
using Rampart.Core.IO;

namespace Rampart.Integrity.Signing;

/// <summary>What identifies the signer inside a bundle.</summary>
public enum VerificationMaterialKind
{
    PublicKey,
    CertificateChain,
}

/// <summary>
/// A Sigstore bundle v0.3 (JSON) holding a DSSE envelope, as model_signing writes it for key and certificate
/// signing: no transparency-log entries, the key identified by a hint or the signer by an X.509 chain.
/// </summary>
public sealed record SigstoreBundle(
    string MediaType,
    VerificationMaterialKind MaterialKind,
    string? KeyHint,
    ImmutableArray<ImmutableArray<byte>> Certificates,
    ImmutableArray<byte> Payload,
    string PayloadType,
    ImmutableArray<byte> Signature)
{
    public const string MediaTypeV03 = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>Signature files larger than this are refused before parsing (a shard manifest of a 1 TB model is ~10 MB).</summary>
    public const long MaxBundleBytes = 256L * 1024 * 1024;

    /// <summary>Compact JSON with the reference's field order (mediaType, verificationMaterial, dsseEnvelope).</summary>
    public byte[] ToJson()
    {
        using var stream = new MemoryStream();
        // Relaxed escaping: '+' in the media types stays '+', as the reference writes it; every value here is ASCII.
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("mediaType", MediaType);
            w.WriteStartObject("verificationMaterial");
            if (MaterialKind == VerificationMaterialKind.PublicKey)
            {
                w.WriteStartObject("publicKey");
                w.WriteString("hint", KeyHint);
                w.WriteEndObject();
            }
            else
            {
                w.WriteStartObject("x509CertificateChain");
                w.WriteStartArray("certificates");
                foreach (var certificate in Certificates)
                {
                    w.WriteStartObject();
                    w.WriteBase64String("rawBytes", certificate.AsSpan());
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteStartArray("tlogEntries");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("dsseEnvelope");
            w.WriteBase64String("payload", Payload.AsSpan());
            w.WriteString("payloadType", PayloadType);
            w.WriteStartArray("signatures");
            w.WriteStartObject();
            w.WriteBase64String("sig", Signature.AsSpan());
            w.WriteString("keyid", "");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return stream.ToArray();
    }

    public static SigstoreBundle ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new IntegrityException($"the signature file '{path}' does not exist");
            }

            if (info.Length > MaxBundleBytes)
            {
                throw new IntegrityException($"the signature file '{path}' has {info.Length:N0} bytes, more than the {MaxBundleBytes:N0} accepted");
            }

            bytes = BoundedFile.ReadAllBytes(path, MaxBundleBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IntegrityException($"cannot read the signature file '{path}': {e.Message}");
        }

        return Parse(bytes);
    }

    /// <summary>
    /// Parses a bundle. Checks the media type first (only v0.3, as the reference), then the shape: a DSSE envelope
    /// with a base64 payload and at least one base64 signature, and either a public key or a certificate chain.
    /// A legacy "publicKey.rawBytes" without a hint is read as "no hint", as the reference does.
    /// </summary>
    public static SigstoreBundle Parse(ReadOnlySpan<byte> json)
    {
        using (var document = Statement.ParseJson(json, "the signature file"))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new IntegrityException("the signature file is not a JSON object (a Sigstore bundle)");
            }

            var mediaType = root.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String ? Statement.Text(m, "the media type") : "(none)";
            if (mediaType != MediaTypeV03)
            {
                throw new IntegrityException($"unsupported bundle media type '{mediaType}'; expected '{MediaTypeV03}'");
            }

            var material = Statement.Get(root, "verificationMaterial", JsonValueKind.Object, "bundle");
            VerificationMaterialKind kind;
            string? hint = null;
            var certificates = ImmutableArray<ImmutableArray<byte>>.Empty;
            if (material.TryGetProperty("publicKey", out var publicKey) && publicKey.ValueKind == JsonValueKind.Object)
            {
                kind = VerificationMaterialKind.PublicKey;
                if (publicKey.TryGetProperty("hint", out var h) && h.ValueKind == JsonValueKind.String && Statement.Text(h, "the key hint") is { Length: > 0 } text)
                {
                    hint = text;
                }
            }
            else if (material.TryGetProperty("x509CertificateChain", out var chain) && chain.ValueKind == JsonValueKind.Object)
            {
                kind = VerificationMaterialKind.CertificateChain;
                var list = Statement.Get(chain, "certificates", JsonValueKind.Array, "certificate chain");
                certificates = [.. list.EnumerateArray().Select(c => Base64(c, "rawBytes", "a certificate of the chain"))];
                if (certificates.IsEmpty)
                {
                    throw new IntegrityException("the bundle's certificate chain is empty");
                }
            }
            else if (material.TryGetProperty("certificate", out var single) && single.ValueKind == JsonValueKind.Object)
            {
                kind = VerificationMaterialKind.CertificateChain;
                certificates = [Base64(single, "rawBytes", "the certificate")];
            }
            else
            {
                throw new IntegrityException("the bundle's verification material has neither a public key nor a certificate chain");
            }

            var envelope = Statement.Get(root, "dsseEnvelope", JsonValueKind.Object, "bundle (only DSSE-envelope bundles are model signatures)");
            var payload = Base64(envelope, "payload", "the DSSE envelope");
            var payloadType = Statement.GetString(envelope, "payloadType", "DSSE envelope");
            var signatures = Statement.Get(envelope, "signatures", JsonValueKind.Array, "DSSE envelope");
            if (signatures.GetArrayLength() == 0)
            {
                throw new IntegrityException("the DSSE envelope carries no signature");
            }

            var signature = Base64(signatures[0], "sig", "the DSSE signature");
            return new SigstoreBundle(mediaType, kind, hint, certificates, payload, payloadType, signature);
        }
    }

    private static ImmutableArray<byte> Base64(JsonElement parent, string name, string what)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
        {
            throw new IntegrityException($"{what} has no base64 '{name}'");
        }

        try
        {
            return [.. Convert.FromBase64String(Statement.Text(value, $"'{name}' of {what}"))];
        }
        catch (FormatException)
        {
            throw new IntegrityException($"{what} has a '{name}' that is not valid base64");
        }
    }

    public string PayloadText => Encoding.UTF8.GetString(Payload.AsSpan());
}
