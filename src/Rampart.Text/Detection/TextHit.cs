namespace Rampart.Text.Detection;

/// <summary>What kind of sensitive text a pattern finds.</summary>
public enum TextHitKind
{
    /// <summary>A credential: API key, token, password, private key.</summary>
    Secret,

    /// <summary>Personal data: e-mail, phone, payment card, IBAN, national identifier.</summary>
    PersonalData,
}

/// <summary>
/// A match of a secret or personal-data pattern. <see cref="Index"/> and <see cref="Length"/> locate the sensitive
/// value in the text that was searched (so a caller can redact it in place); <see cref="Line"/> and
/// <see cref="Column"/> are 1-based for reports. The value itself is never kept: only <see cref="Redacted"/>.
/// </summary>
public sealed record TextHit(TextHitKind Kind, string Rule, string PatternId, string Title, string Redacted, int Index, int Length, int Line, int Column);
