using System.Security.Cryptography;
using System.Text;

namespace Rampart.Server.Identity;

/// <summary>
/// API tokens: "rmp_" + 12 hex (the id, public) + "_" + 32 random bytes in base64url (the secret). Only the SHA-256
/// of the secret is stored: the secret has 256 bits of entropy, so a slow hash would add nothing.
/// </summary>
public static class Tokens
{
    public const string Prefix = "rmp_";

    public static (string Id, string Token, string SecretHash) Create()
    {
        var id = Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (id, $"{id}_{secret}", Hash(secret));
    }

    /// <summary>Splits a presented token into id and secret, or null when it is not shaped like one.</summary>
    public static (string Id, string Secret)? Parse(string? token)
    {
        if (token is null || !token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length > 200)
        {
            return null;
        }

        var cut = token.IndexOf('_', Prefix.Length);
        return cut != Prefix.Length + 12 || cut == token.Length - 1 ? null : (token[..cut], token[(cut + 1)..]);
    }

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool Matches(string secret, string storedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(secret)), Encoding.ASCII.GetBytes(storedHash));

    public static IReadOnlySet<Operation> ParseOperations(string text)
    {
        var set = new HashSet<Operation>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Enum.TryParse<Operation>(part, ignoreCase: true, out var op) && Enum.IsDefined(op))
            {
                set.Add(op);
            }
        }

        return set;
    }

    public static string FormatOperations(IEnumerable<Operation> operations) =>
        string.Join(',', operations.Distinct().Order().Select(o => o.ToString().ToLowerInvariant()));

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
