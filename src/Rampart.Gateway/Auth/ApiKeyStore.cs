using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rampart.Core.IO;

namespace Rampart.Gateway.Auth;

/// <summary>One API key as stored: never the key itself, only a salted SHA-256 of it and its identifying prefix.</summary>
public sealed record ApiKeyRecord
{
    /// <summary>The identifying prefix (<c>rk_</c> + 10 characters), shown in listings and logs; the lookup key.</summary>
    public required string Prefix { get; init; }

    public required string Salt { get; init; }

    public required string Hash { get; init; }

    public required string Principal { get; init; }

    public ImmutableArray<string> Roles { get; init; } = [];

    /// <summary>Route names the key may be used on (<c>*</c> for all); RBAC still applies on top.</summary>
    public ImmutableArray<string> Scopes { get; init; } = ["*"];

    public DateTimeOffset Created { get; init; }

    public DateTimeOffset? Expires { get; init; }

    public DateTimeOffset? Revoked { get; init; }
}

/// <summary>
/// The API key file (JSON). Keys are <c>rk_&lt;10 id chars&gt;_&lt;43 random chars&gt;</c> (256 random bits); the file keeps
/// the prefix, a random salt and SHA-256(salt || key). A fast hash is enough for keys with 256 bits of entropy (there
/// is nothing to brute-force), and it keeps authentication off the latency budget. Comparison is constant-time.
/// </summary>
public sealed class ApiKeyStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private readonly ImmutableDictionary<string, ApiKeyRecord> _byPrefix;

    public ApiKeyStore(IEnumerable<ApiKeyRecord> keys) => _byPrefix = keys.ToImmutableDictionary(k => k.Prefix, StringComparer.Ordinal);

    public IEnumerable<ApiKeyRecord> Keys => _byPrefix.Values.OrderBy(k => k.Created);

    public static ApiKeyStore Load(string path)
    {
        if (!File.Exists(path))
        {
            return new ApiKeyStore([]);
        }

        try
        {
            return new ApiKeyStore(JsonSerializer.Deserialize<KeyFile>(BoundedFile.ReadAllText(path), Json)?.Keys ?? []);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not an API key file ({e.Message})", e);
        }
    }

    public void Save(string path)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new KeyFile { Keys = [.. Keys] }, Json));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Creates a key; returns the new store and the key (shown once, never stored).</summary>
    public (ApiKeyStore Store, string Key, ApiKeyRecord Record) Create(string principal, IEnumerable<string> roles, IEnumerable<string> scopes, DateTimeOffset now, DateTimeOffset? expires)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var id = RandomNumberGenerator.GetString(alphabet, 10);
        var key = $"rk_{id}_{RandomNumberGenerator.GetString(alphabet, 43)}";
        var salt = RandomNumberGenerator.GetBytes(16);
        var record = new ApiKeyRecord
        {
            Prefix = $"rk_{id}",
            Salt = Convert.ToBase64String(salt),
            Hash = Convert.ToHexStringLower(Digest(salt, key)),
            Principal = principal,
            Roles = [.. roles],
            Scopes = scopes.Any() ? [.. scopes] : ["*"],
            Created = now,
            Expires = expires,
        };
        return (new ApiKeyStore(_byPrefix.Values.Append(record)), key, record);
    }

    public ApiKeyStore Revoke(string prefix, DateTimeOffset now) =>
        _byPrefix.TryGetValue(prefix, out var record)
            ? new ApiKeyStore(_byPrefix.Values.Select(k => k.Prefix == prefix ? record with { Revoked = now } : k))
            : throw new KeyNotFoundException($"no key with prefix {prefix}");

    /// <summary>The record of a presented key, or why it is refused.</summary>
    public (ApiKeyRecord? Record, string? Refusal) Authenticate(string presented, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(presented);
        var second = presented.IndexOf('_', 3);
        if (!presented.StartsWith("rk_", StringComparison.Ordinal) || second < 0 || !_byPrefix.TryGetValue(presented[..second], out var record))
        {
            return (null, "unknown API key");
        }

        var expected = Convert.FromHexString(record.Hash);
        if (!CryptographicOperations.FixedTimeEquals(expected, Digest(Convert.FromBase64String(record.Salt), presented)))
        {
            return (null, "unknown API key");
        }

        if (record.Revoked is not null)
        {
            return (null, "the API key was revoked");
        }

        return record.Expires is { } expires && expires <= now ? (null, "the API key expired") : (record, null);
    }

    private static byte[] Digest(byte[] salt, string key) => SHA256.HashData([.. salt, .. Encoding.UTF8.GetBytes(key)]);

    private sealed class KeyFile
    {
        public int Version { get; init; } = 1;

        public List<ApiKeyRecord> Keys { get; init; } = [];
    }
}
