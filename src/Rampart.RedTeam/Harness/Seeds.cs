using System.Security.Cryptography;
using System.Text;

namespace Rampart.RedTeam.Harness;

/// <summary>
/// Reproducible randomness: every step draws from its own generator, seeded from the run's seed and the step's key,
/// so the same seed gives the same prompts, nonces and attack queries whatever the concurrency or resume order.
/// These generators make test inputs, never secrets.
/// </summary>
public static class Seeds
{
    public static int For(int seed, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\u0000{key}"));
        return BitConverter.ToInt32(hash, 0) & int.MaxValue;
    }

#pragma warning disable CA5394 // Reproducible attack inputs from a seed: a cryptographic generator could not be replayed.
    public static Random Random(int seed, string key) => new(For(seed, key));

    /// <summary>A short token ("rt" and 10 hex digits) a target cannot guess and cannot produce by chance.</summary>
    public static string Token(int seed, string key, string prefix = "rt")
    {
        var random = Random(seed, key);
        return prefix + string.Concat(Enumerable.Range(0, 10).Select(_ => "0123456789abcdef"[random.Next(16)]));
    }

    /// <summary>A standard normal draw (Box-Muller).</summary>
    public static double Gaussian(this Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
#pragma warning restore CA5394
}
