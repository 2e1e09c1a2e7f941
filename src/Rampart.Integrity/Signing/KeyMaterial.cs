using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Rampart.Integrity.Hashing;
using Rampart.Core.IO;

namespace Rampart.Integrity.Signing;

/// <summary>The elliptic curves the reference supports, with the hash it pairs with each.</summary>
public enum SigningCurve
{
    P256,
    P384,
    P521,
}

/// <summary>
/// Reading and writing keys and certificates. Messages name files, never key contents: a private key's bytes or
/// its password never reach an exception message, a log or the console.
/// </summary>
public static class KeyMaterial
{
    /// <summary>Loads an ECDSA private key from a PEM file (SEC1 "EC PRIVATE KEY", PKCS#8, or encrypted PKCS#8 with a password).</summary>
    public static ECDsa LoadPrivateKey(string path, string? password = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var text = ReadText(path, "private key");
        var key = ECDsa.Create();
        try
        {
            if (text.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
            {
                if (password is null)
                {
                    throw new IntegrityException($"the private key '{path}' is encrypted; give its password with --password");
                }

                key.ImportFromEncryptedPem(text, password);
            }
            else
            {
                key.ImportFromPem(text);
            }
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            // The inner message is deliberately dropped: it is generic, and nothing from the file may be echoed.
            throw new IntegrityException($"cannot read the private key '{path}': not a PEM elliptic-curve private key, or the password is wrong");
        }

        CurveOf(key, path);
        return key;
    }

    /// <summary>Loads an ECDSA public key (PEM SubjectPublicKeyInfo; text around the PEM block is allowed).</summary>
    public static ECDsa LoadPublicKey(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var text = ReadText(path, "public key");
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(text);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new IntegrityException($"cannot read the public key '{path}': not a PEM elliptic-curve public key ({e.Message})");
        }

        CurveOf(key, path);
        return key;
    }

    /// <summary>Every PEM certificate in the given files, in order.</summary>
    public static IReadOnlyList<X509Certificate2> LoadCertificates(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var result = new List<X509Certificate2>();
        foreach (var path in paths)
        {
            var text = ReadText(path, "certificate");
            var collection = new X509Certificate2Collection();
            try
            {
                collection.ImportFromPem(text);
            }
            catch (CryptographicException e)
            {
                throw new IntegrityException($"cannot read the certificates in '{path}': {e.Message}");
            }

            if (collection.Count == 0)
            {
                throw new IntegrityException($"'{path}' holds no PEM certificate");
            }

            result.AddRange(collection);
        }

        return result;
    }

    /// <summary>The curve of a key; anything but P-256/P-384/P-521 is refused, as the reference does.</summary>
    public static SigningCurve CurveOf(ECDsa key, string shownAs)
    {
        ArgumentNullException.ThrowIfNull(key);
        ECParameters parameters;
        try
        {
            parameters = key.ExportParameters(false);
        }
        catch (CryptographicException)
        {
            throw new IntegrityException($"'{shownAs}' is not an elliptic-curve key");
        }

        var oid = parameters.Curve.Oid?.Value;
        return oid switch
        {
            "1.2.840.10045.3.1.7" => SigningCurve.P256,
            "1.3.132.0.34" => SigningCurve.P384,
            "1.3.132.0.35" => SigningCurve.P521,
            _ => throw new IntegrityException($"'{shownAs}' uses an unsupported curve ({parameters.Curve.Oid?.FriendlyName ?? oid ?? "unnamed"}); use P-256, P-384 or P-521"),
        };
    }

    /// <summary>The hash the reference pairs with each curve: SHA-256, SHA-384, SHA-512.</summary>
    public static HashAlgorithmName HashFor(SigningCurve curve) => curve switch
    {
        SigningCurve.P256 => HashAlgorithmName.SHA256,
        SigningCurve.P384 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    public static ECCurve CurveParameters(SigningCurve curve) => curve switch
    {
        SigningCurve.P256 => ECCurve.NamedCurves.nistP256,
        SigningCurve.P384 => ECCurve.NamedCurves.nistP384,
        _ => ECCurve.NamedCurves.nistP521,
    };

    /// <summary>The public key as a PEM SubjectPublicKeyInfo with a final newline (the text the key hint hashes).</summary>
    public static string PublicKeyPem(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.ExportSubjectPublicKeyInfoPem() + "\n";
    }

    /// <summary>The bundle's key hint: lowercase hex SHA-256 of <see cref="PublicKeyPem"/>.</summary>
    public static string KeyHint(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(PublicKeyPem(key))));

    /// <summary>
    /// Writes a new key pair: PREFIX.pem (PKCS#8 private key, created owner-only 0600 in a temporary file and moved
    /// into place, so it is never readable by others even for a moment) and PREFIX.pub (public key). Refuses to overwrite.
    /// </summary>
    public static (string PrivatePath, string PublicPath) GenerateKeyPair(SigningCurve curve, string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var privatePath = Path.GetFullPath(prefix + ".pem");
        var publicPath = Path.GetFullPath(prefix + ".pub");
        foreach (var path in new[] { privatePath, publicPath })
        {
            if (File.Exists(path) || Directory.Exists(path))
            {
                throw new IntegrityException($"'{path}' already exists; choose another --out prefix or remove it first");
            }
        }

        using var key = ECDsa.Create(CurveParameters(curve));
        WriteAtomically(privatePath, key.ExportPkcs8PrivateKeyPem() + "\n", ownerOnly: true);
        WriteAtomically(publicPath, PublicKeyPem(key), ownerOnly: false);
        return (privatePath, publicPath);
    }

    internal static void WriteAtomically(string path, string text, bool ownerOnly)
    {
        var folder = Path.GetDirectoryName(path) ?? ".";
        if (!Directory.Exists(folder))
        {
            throw new IntegrityException($"cannot write '{path}': the folder '{folder}' does not exist");
        }

        var temp = Path.Combine(folder, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = ownerOnly ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                    : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            }

            using (var stream = new FileStream(temp, options))
            {
                var bytes = Encoding.ASCII.GetBytes(text);
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new IntegrityException($"cannot write '{path}': {e.Message}");
        }
    }

    private static string ReadText(string path, string what)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > 1 << 20)
            {
                throw new IntegrityException($"the {what} file '{path}' is larger than 1 MiB; that is not a PEM file");
            }

            return BoundedFile.ReadAllText(path, 1 << 20, Encoding.ASCII);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IntegrityException($"cannot read the {what} file '{path}': {e.Message}");
        }
    }
}
