using System.Collections.Immutable;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Rampart.Core.IO;
using Rampart.Gateway.Config;
using Rampart.Guard.Pipeline;

namespace Rampart.Gateway.Auth;

/// <summary>
/// The gateway's TLS material: its server certificate and key, and the CA bundle client certificates must chain to,
/// read from PEM files and re-read when a file's time stamp changes (looked at most every <see cref="Poll"/>, so a
/// renewed certificate is served to new connections without a restart). A file that cannot be read at start is an
/// error; one that cannot be read on a later change is logged by the caller and the previous material is kept, so a
/// half-written renewal never takes the gateway down.
/// </summary>
internal sealed class TlsMaterial : IDisposable
{
    /// <summary>How often the files' time stamps are looked at.</summary>
    internal static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    private const long MaxPemBytes = 1L << 20;

    private readonly string _certificatePath;
    private readonly string _keyPath;
    private readonly string? _caPath;
    private readonly TimeProvider _time;
    private readonly Action<Exception>? _reloadFailed;
    private readonly Lock _gate = new();
    private Loaded _current;
    private long _looked;

    private TlsMaterial(TlsConfig config, string baseDirectory, TimeProvider time, Action<Exception>? reloadFailed)
    {
        _certificatePath = Path.Combine(baseDirectory, config.Certificate);
        _keyPath = Path.Combine(baseDirectory, config.Key);
        _caPath = config.ClientCa is null ? null : Path.Combine(baseDirectory, config.ClientCa);
        _time = time;
        _reloadFailed = reloadFailed;
        _current = Load();
        _looked = time.GetTimestamp();
    }

    /// <summary>Loads the files named by <paramref name="config"/>; <see cref="InvalidDataException"/> naming the file when one is missing or not PEM.</summary>
    public static TlsMaterial Open(TlsConfig config, string baseDirectory, TimeProvider time, Action<Exception>? reloadFailed = null) =>
        new(config, baseDirectory, time, reloadFailed);

    /// <summary>The server certificate (with its private key) to present on a new connection.</summary>
    public X509Certificate2 ServerCertificate => Fresh().Server;

    /// <summary>
    /// Whether a client certificate is acceptable: it chains to one of the configured CAs (and only those: the
    /// system's roots are not trusted here), is within its validity period now, and, when it lists extended key
    /// usages, allows client authentication. Revocation lists are not fetched (the gateway must not depend on
    /// reaching a CRL server at handshake time); revoke a client by removing its mapping or rotating the CA.
    /// </summary>
    public bool IsTrustedClient(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var current = Fresh();
        if (current.ClientCas.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(current.ClientCas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2")); // id-kp-clientAuth (a certificate without EKUs passes)
        return chain.Build(certificate);
    }

    public void Dispose()
    {
        var current = _current;
        current.Server.Dispose();
        foreach (var ca in current.ClientCas)
        {
            ca.Dispose();
        }
    }

    private Loaded Fresh()
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _looked)) < Poll)
        {
            return Volatile.Read(ref _current);
        }

        lock (_gate)
        {
            if (_time.GetElapsedTime(_looked) >= Poll)
            {
                var stamps = Stamps();
                if (stamps != _current.Stamps)
                {
                    try
                    {
                        Volatile.Write(ref _current, Load());
                    }
                    catch (InvalidDataException e)
                    {
                        _reloadFailed?.Invoke(e);
                    }
                }

                Volatile.Write(ref _looked, _time.GetTimestamp());
            }

            return _current;
        }
    }

    private (DateTime, DateTime, DateTime) Stamps() =>
        (Stamp(_certificatePath), Stamp(_keyPath), _caPath is null ? DateTime.MinValue : Stamp(_caPath));

    private static DateTime Stamp(string path) => File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;

    private Loaded Load()
    {
        var stamps = Stamps();
        var certificatePem = Read(_certificatePath, "tls.certificate");
        var keyPem = Read(_keyPath, "tls.key");
        X509Certificate2 server;
        try
        {
            server = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"tls: {_certificatePath} and {_keyPath} are not a PEM certificate and its (unencrypted) private key: {e.Message}", e);
        }

        if (!server.HasPrivateKey)
        {
            server.Dispose();
            throw new InvalidDataException($"tls.key: {_keyPath} holds no private key for {_certificatePath}");
        }

        var cas = new X509Certificate2Collection();
        if (_caPath is not null)
        {
            try
            {
                cas.ImportFromPem(Read(_caPath, "tls.clientCa"));
            }
            catch (CryptographicException e)
            {
                server.Dispose();
                throw new InvalidDataException($"tls.clientCa: {_caPath} is not a PEM certificate bundle: {e.Message}", e);
            }

            if (cas.Count == 0)
            {
                server.Dispose();
                throw new InvalidDataException($"tls.clientCa: {_caPath} holds no certificate");
            }
        }

        return new Loaded(server, cas, stamps);
    }

    private static string Read(string path, string key)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{key}: {path}: no such file");
        }

        return BoundedFile.ReadAllText(path, MaxPemBytes);
    }

    private sealed record Loaded(X509Certificate2 Server, X509Certificate2Collection ClientCas, (DateTime, DateTime, DateTime) Stamps);
}

/// <summary>Maps a verified client certificate to the principal configured for its subject or one of its subjectAltNames.</summary>
internal sealed class CertificatePrincipals(ImmutableArray<CertificatePrincipal> mappings)
{
    public bool Any => !mappings.IsEmpty;

    /// <summary>The principal, or a refusal naming the certificate's subject when no mapping matches.</summary>
    public AuthResult Map(X509Certificate2 certificate)
    {
        var subject = certificate.SubjectName.Name;
        foreach (var mapping in mappings)
        {
            if (mapping.Subject is { } s && string.Equals(s, subject, StringComparison.Ordinal))
            {
                return new AuthResult(new GuardPrincipal(mapping.Principal, mapping.Roles), null, ["*"]);
            }
        }

        var names = AlternativeNames(certificate);
        foreach (var mapping in mappings)
        {
            if (mapping.San is { } san && names.Contains(san, StringComparer.Ordinal))
            {
                return new AuthResult(new GuardPrincipal(mapping.Principal, mapping.Roles), null, ["*"]);
            }
        }

        return new AuthResult(null, $"the client certificate '{subject}' is not mapped to a principal (auth.certificates)");
    }

    /// <summary>The DNS names (tag 2), URIs (6, e.g. SPIFFE ids) and e-mail addresses (1) of the subjectAltName extension.</summary>
    private static List<string> AlternativeNames(X509Certificate2 certificate)
    {
        var names = new List<string>();
        if (certificate.Extensions["2.5.29.17"] is not { } extension)
        {
            return names;
        }

        try
        {
            var sequence = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (sequence.HasData)
            {
                var tag = sequence.PeekTag();
                if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue is 1 or 2 or 6)
                {
                    names.Add(sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                }
                else
                {
                    sequence.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed extension names nobody: the certificate can still match by subject.
        }

        return names;
    }
}
