using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Rampart.Integrity.Hashing;

namespace Rampart.Integrity.Signing;

/// <summary>What a signature is checked against: a public key, or trust roots for a certificate chain.</summary>
public abstract record VerificationTrust
{
    private VerificationTrust()
    {
    }

    public sealed record PublicKey(string Path) : VerificationTrust;

    public sealed record Certificates(IReadOnlyList<string> Paths) : VerificationTrust;

    /// <summary>
    /// No trusted signer given (a scan without a signed-by policy): the bundle and statement are read and the model
    /// compared with them, but who signed is not established, so a forger who re-signed the model is not caught.
    /// </summary>
    public sealed record Unverified : VerificationTrust;
}

/// <summary>What went wrong, for the report: the signature itself, or one resource of the model.</summary>
public enum IntegrityProblemKind
{
    /// <summary>The bundle, key, certificate, DSSE signature or statement is not acceptable.</summary>
    Signature,

    /// <summary>A signed resource whose bytes differ now.</summary>
    Changed,

    /// <summary>A signed resource that is no longer there.</summary>
    Missing,

    /// <summary>A file (or shard) present now that the signature does not cover.</summary>
    Extra,

    /// <summary>The model cannot be hashed again (a symbolic link, an unreadable file...).</summary>
    Unhashable,
}

public sealed record IntegrityProblem(IntegrityProblemKind Kind, string Message, string? Resource = null, string? Expected = null, string? Actual = null);

/// <summary>One step of verification, in the order they run.</summary>
public sealed record VerificationCheck(string Name, bool Passed, string Detail);

public sealed record VerificationResult(
    ImmutableArray<VerificationCheck> Checks,
    ImmutableArray<IntegrityProblem> Problems,
    ImmutableArray<string> Warnings,
    ModelManifest? SignedManifest)
{
    public bool Succeeded => Problems.IsEmpty;
}

/// <summary>Options of one verification (mirroring the reference CLI's).</summary>
public sealed record VerificationOptions
{
    /// <summary>Extra paths (relative to the model) to leave out, besides the ones the signature records.</summary>
    public ImmutableArray<string> IgnorePaths { get; init; } = [];

    public bool IgnoreGitPaths { get; init; } = true;

    public bool AllowSymlinks { get; init; }

    /// <summary>Only compare the files the signature lists; extra files are then not a failure.</summary>
    public bool IgnoreUnsignedFiles { get; init; }

    public Func<string, bool>? IsRegularFile { get; init; }

    public int MaxParallelism { get; init; }

    /// <summary>The model's files as someone else listed them (the scan's folder view); null lists the model folder here.</summary>
    public IReadOnlyList<(string Name, string FullPath, long Length)>? Files { get; init; }
}

/// <summary>
/// Verifies a model against a signature, in this order, stopping at the first failure of the signature itself:
/// bundle media type and shape; key hint (key method) or certificate chain to the trust roots at signing time with a
/// usage that allows signing (certificate method); the ECDSA signature over the DSSE PAE; payload type; statement
/// type, predicate type and the subject's root digest; then the model is hashed again with the recorded serialization
/// and every extra, missing and changed resource is reported by name.
/// </summary>
public static class ModelVerifier
{
    private const string CodeSigningOid = "1.3.6.1.5.5.7.3.3";

    public static async Task<VerificationResult> VerifyAsync(
        string modelPath, string signaturePath, VerificationTrust trust, VerificationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(signaturePath);
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(options);
        var checks = new List<VerificationCheck>();
        var warnings = new List<string>();

        VerificationResult Fail(string check, string message) =>
            new([.. checks, new VerificationCheck(check, false, message)], [new IntegrityProblem(IntegrityProblemKind.Signature, message)], [.. warnings], null);

        SigstoreBundle bundle;
        try
        {
            bundle = SigstoreBundle.ReadFile(signaturePath);
        }
        catch (IntegrityException e)
        {
            return Fail("bundle", e.Message);
        }

        checks.Add(new VerificationCheck("bundle", true, $"Sigstore bundle {bundle.MediaType}"));

        if (trust is VerificationTrust.Unverified)
        {
            warnings.Add("no trusted signer was given: the signature's origin is not checked, only that the model matches what it lists");
        }
        else if (CheckSignature(bundle, trust, checks, warnings) is { } failure)
        {
            return Fail(failure.Check, failure.Message);
        }

        if (bundle.PayloadType != Dsse.InTotoPayloadType)
        {
            return Fail("payload type", $"the DSSE payload type is '{bundle.PayloadType}', expected '{Dsse.InTotoPayloadType}'");
        }

        ModelManifest signed;
        try
        {
            signed = Statement.Read(bundle.Payload.AsSpan());
        }
        catch (IntegrityException e)
        {
            return Fail("statement", e.Message);
        }

        checks.Add(new VerificationCheck("statement", true, signed.Serialization.Method == SerializationMethod.Files && signed.ModelName == "compat-undefined-not-present"
            ? "legacy v0.1 predicate"
            : $"in-toto Statement v1, predicate {Statement.PredicateType}, subject '{signed.ModelName}' sha256:{signed.RootDigestHex}"));

        var s = signed.Serialization;
        var signatureInside = RelativeInside(modelPath, signaturePath);
        var hashing = new HashingOptions
        {
            Method = s.Method,
            ShardSize = s.ShardSize ?? HashingOptions.DefaultShardSize,
            HashType = s.HashType,
            AllowSymlinks = s.AllowSymlinks || options.AllowSymlinks,
            IgnorePaths = [.. s.IgnorePaths, .. options.IgnorePaths, .. signatureInside is null ? [] : new[] { signatureInside }],
            IgnoreGitPaths = options.IgnoreGitPaths,
            IsRegularFile = options.IsRegularFile,
            MaxParallelism = options.MaxParallelism,
        };
        ModelManifest actual;
        try
        {
            actual = options.Files is { } listed
                ? await Task.Run(() => ModelHasher.HashListed(ModelHasher.ModelName(modelPath), listed, hashing, cancellationToken), cancellationToken).ConfigureAwait(false)
                : await ModelHasher.HashAsync(modelPath, hashing, cancellationToken).ConfigureAwait(false);
        }
        catch (IntegrityException e)
        {
            checks.Add(new VerificationCheck("model digests", false, e.Message));
            return new VerificationResult([.. checks], [new IntegrityProblem(IntegrityProblemKind.Unhashable, $"cannot hash the model again: {e.Message}")], [.. warnings], signed);
        }

        var problems = Compare(signed, actual, options.IgnoreUnsignedFiles);
        checks.Add(new VerificationCheck(
            "model digests",
            problems.Count == 0,
            problems.Count == 0
                ? $"{actual.Resources.Length} {(s.Method == SerializationMethod.Files ? "files" : "shards")} re-hashed ({s.MethodName}, {s.HashType}{(s.ShardSize is { } z ? $", shard size {z}" : "")}), all match"
                : $"{problems.Count} difference(s) between the model and its signature"));
        return new VerificationResult([.. checks], [.. problems], [.. warnings], signed);
    }

    /// <summary>Every extra, missing and changed resource, by name, in canonical order.</summary>
    public static List<IntegrityProblem> Compare(ModelManifest expected, ModelManifest actual, bool ignoreUnsigned)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var comparer = ResourceNameComparer.For(expected.Serialization.Method);
        var want = expected.Resources.ToDictionary(r => r.Name, StringComparer.Ordinal);
        var have = actual.Resources.ToDictionary(r => r.Name, StringComparer.Ordinal);
        var problems = new List<IntegrityProblem>();
        if (!ignoreUnsigned)
        {
            foreach (var name in have.Keys.Where(n => !want.ContainsKey(n)).Order(comparer))
            {
                problems.Add(new IntegrityProblem(IntegrityProblemKind.Extra, $"extra file not covered by the signature: {name}", name, null, have[name].DigestHex));
            }
        }

        foreach (var name in want.Keys.Where(n => !have.ContainsKey(n)).Order(comparer))
        {
            problems.Add(new IntegrityProblem(IntegrityProblemKind.Missing, $"missing file the signature covers: {name}", name, want[name].DigestHex, null));
        }

        foreach (var name in want.Keys.Where(have.ContainsKey).Order(comparer))
        {
            var (w, h) = (want[name], have[name]);
            if (!w.Digest.AsSpan().SequenceEqual(h.Digest.AsSpan()) || w.Algorithm != h.Algorithm)
            {
                problems.Add(new IntegrityProblem(
                    IntegrityProblemKind.Changed,
                    $"changed file: {name} (signed {w.Algorithm}:{w.DigestHex}, now {h.Algorithm}:{h.DigestHex})",
                    name, w.DigestHex, h.DigestHex));
            }
        }

        return problems;
    }

    /// <summary>The key hint or certificate chain, then the ECDSA signature over the PAE; null when both pass.</summary>
    private static (string Check, string Message)? CheckSignature(
        SigstoreBundle bundle, VerificationTrust trust, List<VerificationCheck> checks, List<string> warnings)
    {
        var keyCheck = trust is VerificationTrust.PublicKey ? "key hint" : "certificate chain";
        ECDsa? verifyingKey = null;
        try
        {
            string? keyProblem;
            (verifyingKey, keyProblem) = trust switch
            {
                VerificationTrust.PublicKey key => CheckKey(bundle, key.Path, checks, warnings),
                VerificationTrust.Certificates roots => CheckCertificates(bundle, roots.Paths, checks, warnings),
                _ => throw new ArgumentOutOfRangeException(nameof(trust)),
            };
            if (keyProblem is not null)
            {
                return (keyCheck, keyProblem);
            }

            var curve = KeyMaterial.CurveOf(verifyingKey!, "the verifying key");
            var signature = bundle.Signature.AsSpan();
            var valid = verifyingKey!.VerifyData(
                Dsse.Pae(bundle.PayloadType, bundle.Payload.AsSpan()), signature, KeyMaterial.HashFor(curve), DSASignatureFormat.Rfc3279DerSequence);
            if (!valid)
            {
                // model_signing 0.2 signed a mis-built PAE; the reference still accepts it (with SHA-256 for certificates).
                var legacyHash = trust is VerificationTrust.Certificates ? HashAlgorithmName.SHA256 : KeyMaterial.HashFor(curve);
                valid = verifyingKey.VerifyData(
                    Dsse.PaeLegacy(bundle.PayloadType, bundle.Payload.AsSpan()), signature, legacyHash, DSASignatureFormat.Rfc3279DerSequence);
                if (valid)
                {
                    warnings.Add("the signature uses the legacy DSSE encoding of model_signing 0.2; re-sign the model");
                }
            }

            if (!valid)
            {
                return ("dsse signature", "the DSSE signature does not verify: the statement was altered, or it was signed by another key");
            }

            checks.Add(new VerificationCheck("dsse signature", true, $"ECDSA {curve} over the DSSE PAE"));
            return null;
        }
        catch (IntegrityException e)
        {
            return (keyCheck, e.Message);
        }
        finally
        {
            verifyingKey?.Dispose();
        }
    }

    private static (ECDsa?, string?) CheckKey(SigstoreBundle bundle, string publicKeyPath, List<VerificationCheck> checks, List<string> warnings)
    {
        if (bundle.MaterialKind != VerificationMaterialKind.PublicKey)
        {
            return (null, "the signature was made with a certificate, not a bare key: use 'verify certificate'");
        }

        var key = KeyMaterial.LoadPublicKey(publicKeyPath);
        var hint = KeyMaterial.KeyHint(key);
        if (bundle.KeyHint is null)
        {
            warnings.Add("the signature has no public key hint (older format); re-sign with a current signer");
            checks.Add(new VerificationCheck("key hint", true, "absent (older format), the signature check decides"));
        }
        else if (!string.Equals(bundle.KeyHint, hint, StringComparison.OrdinalIgnoreCase))
        {
            key.Dispose();
            return (null, $"key mismatch: the signature's key hint {bundle.KeyHint} is not the given public key ({hint})");
        }
        else
        {
            checks.Add(new VerificationCheck("key hint", true, $"matches the public key (sha256 {hint})"));
        }

        return (key, null);
    }

    private static (ECDsa?, string?) CheckCertificates(SigstoreBundle bundle, IReadOnlyList<string> rootPaths, List<VerificationCheck> checks, List<string> warnings)
    {
        if (bundle.MaterialKind != VerificationMaterialKind.CertificateChain)
        {
            return (null, "the signature was made with a bare key, not a certificate: use 'verify key'");
        }

        if (rootPaths.Count == 0)
        {
            return (null, "no trust roots: give the CA certificates with --certificate-chain (the system store is not trusted implicitly)");
        }

        var roots = KeyMaterial.LoadCertificates(rootPaths);
        var certificates = new List<X509Certificate2>();
        try
        {
            foreach (var raw in bundle.Certificates)
            {
                try
                {
                    certificates.Add(X509CertificateLoader.LoadCertificate(raw.AsSpan()));
                }
                catch (CryptographicException e)
                {
                    return (null, $"a certificate in the bundle is not valid DER X.509 ({e.Message})");
                }
            }

            var leaf = certificates[0];
            // No timestamp in these bundles: like the reference, the signing time is taken as the signing
            // certificate's notBefore, and the whole chain must be valid at that moment (docs/integrity.md).
            var signingTime = leaf.NotBefore.ToUniversalTime();
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
            chain.ChainPolicy.ExtraStore.AddRange(certificates.Skip(1).ToArray());
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = signingTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            if (!chain.Build(leaf))
            {
                var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal));
                return (null, $"the signing certificate '{leaf.Subject}' does not chain to the given trust roots at signing time {signingTime:yyyy-MM-ddTHH:mm:ssZ}: {status}");
            }

            var usage = leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
            var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
            var canSign = (usage is not null && usage.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature))
                || (eku is not null && eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == CodeSigningOid));
            if (usage is null)
            {
                warnings.Add("the signing certificate has no KeyUsage extension");
            }

            if (!canSign)
            {
                return (null, $"the signing certificate '{leaf.Subject}' may not be used for signing (neither digitalSignature key usage nor the code-signing extended key usage)");
            }

            var key = leaf.GetECDsaPublicKey();
            if (key is null)
            {
                return (null, $"the signing certificate '{leaf.Subject}' does not hold an elliptic-curve key");
            }

            checks.Add(new VerificationCheck(
                "certificate chain", true,
                $"'{leaf.Subject}' chains to '{chain.ChainElements[^1].Certificate.Subject}' at {signingTime:yyyy-MM-ddTHH:mm:ssZ}, usage allows signing"));
            return (key, null);
        }
        finally
        {
            foreach (var c in certificates.Concat(roots))
            {
                c.Dispose();
            }
        }
    }

    /// <summary>The signature's path relative to the model folder when it lies inside it (so it is left out), else null.</summary>
    public static string? RelativeInside(string modelPath, string signaturePath)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(signaturePath);
        var model = Path.GetFullPath(modelPath);
        if (!Directory.Exists(model))
        {
            return null;
        }

        var relative = Path.GetRelativePath(model, Path.GetFullPath(signaturePath)).Replace('\\', '/');
        return relative.StartsWith("../", StringComparison.Ordinal) || relative == ".." || Path.IsPathRooted(relative) ? null : relative;
    }
}
