namespace Rampart.Core;

/// <summary>How much harm a finding can do. Ordered: a larger value is worse.</summary>
public enum Severity
{
    Info = 0,
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

public static class SeverityNames
{
    /// <summary>Parses a severity name case-insensitively; returns false for anything else.</summary>
    public static bool TryParse(string? text, out Severity severity)
    {
        severity = Severity.Info;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        foreach (var value in Enum.GetValues<Severity>())
        {
            if (string.Equals(value.ToString(), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                severity = value;
                return true;
            }
        }

        return false;
    }

    public static string ToWire(this Severity severity) => severity.ToString().ToLowerInvariant();
}
