using OtpNet;

namespace Rampart.Server.Identity;

/// <summary>
/// RFC 6238 TOTP (SHA-1, 6 digits, 30 s, one step of clock drift either way) via Otp.NET. A code is accepted only
/// for a time step later than the last one accepted for the account, so an observed code cannot be replayed.
/// </summary>
public static class TotpCodes
{
    public static byte[] NewSecret() => KeyGeneration.GenerateRandomKey(20);

    public static string ToBase32(byte[] secret) => Base32Encoding.ToString(secret);

    public static string OtpAuthUri(string issuer, string account, byte[] secret) =>
        $"otpauth://totp/{Uri.EscapeDataString(issuer)}:{Uri.EscapeDataString(account)}?secret={ToBase32(secret)}&issuer={Uri.EscapeDataString(issuer)}&digits=6&period=30";

    /// <summary>The matched time step when <paramref name="code"/> is valid now and newer than <paramref name="lastStep"/>; otherwise null.</summary>
    public static long? Verify(byte[] secret, string? code, long lastStep, DateTimeOffset now)
    {
        if (code is null || code.Length != 6 || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        var totp = new Totp(secret);
        return totp.VerifyTotp(now.UtcDateTime, code, out var step, VerificationWindow.RfcSpecifiedNetworkDelay) && step > lastStep ? step : null;
    }

    /// <summary>The code for <paramref name="at"/> (tests and the tabletop scripts).</summary>
    public static string Compute(byte[] secret, DateTimeOffset at) => new Totp(secret).ComputeTotp(at.UtcDateTime);
}
