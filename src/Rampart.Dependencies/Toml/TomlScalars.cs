using System.Globalization;
using System.Text.RegularExpressions;

namespace Rampart.Dependencies.Toml;

/// <summary>The TOML 1.0 grammar of integers, floats and date-times, checked strictly.</summary>
internal static partial class TomlScalars
{
    [GeneratedRegex(@"^[+-]?(?:0|[1-9](?:_?[0-9])*)$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Decimal();

    [GeneratedRegex(@"^0x[0-9a-fA-F](?:_?[0-9a-fA-F])*$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Hex();

    [GeneratedRegex(@"^0o[0-7](?:_?[0-7])*$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Octal();

    [GeneratedRegex(@"^0b[01](?:_?[01])*$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Binary();

    [GeneratedRegex(@"^[+-]?(?:0|[1-9](?:_?[0-9])*)(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?$", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Float();

    [GeneratedRegex(@"^(?<date>(?<y>[0-9]{4})-(?<mo>[0-9]{2})-(?<d>[0-9]{2}))?(?:(?<sep>^|[Tt ])(?<time>(?<h>[0-9]{2}):(?<mi>[0-9]{2}):(?<s>[0-9]{2})(?<frac>\.[0-9]+)?)(?<off>[Zz]|[+-](?<oh>[0-9]{2}):(?<om>[0-9]{2}))?)?$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, 1000)]
    private static partial Regex DateTime();

    public static bool TryInteger(string token, out long value)
    {
        value = 0;
        var clean = token.Replace("_", "", StringComparison.Ordinal);
        if (Decimal().IsMatch(token))
        {
            return long.TryParse(clean, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        }

        var radix = Hex().IsMatch(token) ? 16 : Octal().IsMatch(token) ? 8 : Binary().IsMatch(token) ? 2 : 0;
        if (radix == 0)
        {
            return false;
        }

        ulong acc = 0;
        foreach (var c in clean.AsSpan(2))
        {
            var digit = (ulong)Convert.ToInt32(c.ToString(), 16);
            if (acc > (ulong.MaxValue - digit) / (ulong)radix)
            {
                return false;
            }

            acc = (acc * (ulong)radix) + digit;
        }

        if (acc > long.MaxValue)
        {
            return false;
        }

        value = (long)acc;
        return true;
    }

    public static bool TryFloat(string token, out double value)
    {
        value = 0;
        switch (token)
        {
            case "inf" or "+inf":
                value = double.PositiveInfinity;
                return true;
            case "-inf":
                value = double.NegativeInfinity;
                return true;
            case "nan" or "+nan" or "-nan":
                value = double.NaN;
                return true;
        }

        if (!Float().IsMatch(token) || !(token.Contains('.', StringComparison.Ordinal) || token.Contains('e', StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        return double.TryParse(token.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryDateTime(string token, out TomlDateTime value)
    {
        value = null!;
        if (token.Length < 8 || !char.IsAsciiDigit(token[0]))
        {
            return false;
        }

        var m = DateTime().Match(token);
        if (!m.Success || (!m.Groups["date"].Success && !m.Groups["time"].Success))
        {
            return false;
        }

        var hasDate = m.Groups["date"].Success;
        var hasTime = m.Groups["time"].Success;
        if (hasDate)
        {
            var y = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
            var mo = int.Parse(m.Groups["mo"].Value, CultureInfo.InvariantCulture);
            var d = int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture);
            if (mo is < 1 or > 12 || d < 1 || d > System.DateTime.DaysInMonth(Math.Max(1, y), mo))
            {
                return false;
            }

            if (hasTime && m.Groups["sep"].Length == 0)
            {
                return false;
            }
        }
        else if (m.Groups["off"].Success)
        {
            return false; // a time with an offset but no date is not TOML
        }

        if (hasTime)
        {
            var h = int.Parse(m.Groups["h"].Value, CultureInfo.InvariantCulture);
            var mi = int.Parse(m.Groups["mi"].Value, CultureInfo.InvariantCulture);
            var sec = int.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture);
            if (h > 23 || mi > 59 || sec > 60)
            {
                return false;
            }
        }

        if (m.Groups["oh"].Success && (int.Parse(m.Groups["oh"].Value, CultureInfo.InvariantCulture) > 23 || int.Parse(m.Groups["om"].Value, CultureInfo.InvariantCulture) > 59))
        {
            return false;
        }

        var text = (hasDate ? m.Groups["date"].Value : "")
            + (hasDate && hasTime ? "T" : "")
            + (hasTime ? m.Groups["time"].Value : "")
            + (m.Groups["off"].Success ? m.Groups["off"].Value.ToUpperInvariant() : "");
        var kind = !hasTime ? TomlDateTimeKind.LocalDate
            : !hasDate ? TomlDateTimeKind.LocalTime
            : m.Groups["off"].Success ? TomlDateTimeKind.OffsetDateTime : TomlDateTimeKind.LocalDateTime;
        value = new TomlDateTime(kind, text);
        return true;
    }
}
