using System.Globalization;
using System.Numerics;

namespace Rampart.Text.PersonalData;

/// <summary>
/// Check-digit and structure validators that separate real identifiers from digit runs that merely look like them
/// (Luhn for payment cards, ISO 13616 mod 97 for IBANs, Verhoeff for Aadhaar, national-id structure rules).
/// </summary>
public static class PiiValidators
{
    public static bool Validate(string validator, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var digits = new string([.. value.Where(char.IsAsciiDigit)]);
        return validator switch
        {
            "none" or "email" => true,
            "phone" => digits.Length is >= 8 and <= 15 && digits.Distinct().Count() > 2,
            "luhn" => digits.Length is >= 13 and <= 19 && Luhn(digits) && digits.Distinct().Count() > 1,
            "payment-card" => PaymentCard(digits),
            "iban" => Iban(value),
            "us-ssn" => UsSsn(digits),
            "uk-nino" => UkNino(value),
            "fr-insee" => FrInsee(value),
            "de-taxid" => DeTaxId(digits),
            "in-aadhaar" => digits.Length == 12 && digits[0] is not ('0' or '1') && Verhoeff(digits),
            _ => false,
        };
    }

    /// <summary>
    /// A payment card number: a Luhn-valid digit string whose issuer prefix (IIN) and length belong to a card scheme
    /// that issues them. Long Luhn-valid digit runs are common in data (one in ten is valid by chance); most of them
    /// do not start like a card of the length they have.
    /// </summary>
    public static bool PaymentCard(string digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        return digits.All(char.IsAsciiDigit) && Luhn(digits) && digits.Distinct().Count() > 1 && CardScheme(digits) is not null;
    }

    /// <summary>The card scheme whose IIN ranges and lengths fit <paramref name="digits"/>, or null.</summary>
    public static string? CardScheme(string digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        if (digits.Length is < 12 or > 19 || !digits.All(char.IsAsciiDigit))
        {
            return null;
        }

        int Prefix(int n) => int.Parse(digits.AsSpan(0, n), CultureInfo.InvariantCulture);
        var length = digits.Length;
        return 0 switch
        {
            _ when digits[0] == '4' && length is 13 or 16 or 19 => "Visa",
            _ when (Prefix(2) is >= 51 and <= 55 || Prefix(4) is >= 2221 and <= 2720) && length == 16 => "Mastercard",
            _ when Prefix(2) is 34 or 37 && length == 15 => "American Express",
            _ when (Prefix(4) == 6011 || Prefix(3) is >= 644 and <= 649 || Prefix(2) == 65) && length is >= 16 and <= 19 => "Discover",
            _ when Prefix(4) is >= 3528 and <= 3589 && length is >= 16 and <= 19 => "JCB",
            _ when (Prefix(3) is >= 300 and <= 305 || Prefix(2) is 36 or 38 or 39) && length is >= 14 and <= 19 => "Diners Club",
            _ when Prefix(2) == 62 && length is >= 16 and <= 19 => "UnionPay",
            _ when Prefix(4) is >= 2200 and <= 2204 && length is >= 16 and <= 19 => "Mir",
            _ when (Prefix(2) == 50 || Prefix(2) is >= 56 and <= 69) && length is >= 12 and <= 19 => "Maestro",
            _ => null,
        };
    }

    /// <summary>
    /// Whether the digits at <paramref name="index"/> (length <paramref name="length"/>) of <paramref name="line"/>
    /// are part of a larger number or of a run of numbers, so they are not an identifier on their own: the digits of
    /// a decimal fraction or exponent ("0.4111111111111111", "4111111111111111.5", "1.5e-4111111111111111"), a
    /// number with more digits or thousands separators around it, or one cell of a row of long numbers
    /// ("[4111111111111111 5500000000000004 ...]").
    /// </summary>
    public static bool InNumberContext(string line, int index, int length)
    {
        ArgumentNullException.ThrowIfNull(line);
        var end = index + length;
        if (index > 0)
        {
            var before = line[index - 1];
            if (before is '.' or ',' && index > 1 && char.IsAsciiDigit(line[index - 2]))
            {
                return true;
            }

            if (before == '.' || ((before is '-' or '+') && index > 1 && line[index - 2] is 'e' or 'E' && index > 2 && (char.IsAsciiDigit(line[index - 3]) || line[index - 3] == '.')))
            {
                return true;
            }
        }

        if (end < line.Length)
        {
            var after = line[end];
            if (after is '.' or ',' && end + 1 < line.Length && char.IsAsciiDigit(line[end + 1]))
            {
                return true;
            }

            if (after is 'e' or 'E' && end + 1 < line.Length && (char.IsAsciiDigit(line[end + 1]) || (line[end + 1] is '-' or '+' && end + 2 < line.Length && char.IsAsciiDigit(line[end + 2]))))
            {
                return true;
            }
        }

        return IsLongNumber(Neighbour(line, index, -1)) || IsLongNumber(Neighbour(line, end, +1));
    }

    /// <summary>The whitespace/comma/bracket-separated token just before (-1) or after (+1) a position.</summary>
    private static string Neighbour(string line, int position, int direction)
    {
        static bool Separator(char c) => c is ' ' or '\t' or ',' or ';' or '[' or ']' or '(' or ')' or '|';
        var i = direction < 0 ? position - 1 : position;
        while (i >= 0 && i < line.Length && Separator(line[i]))
        {
            i += direction;
        }

        var start = i;
        while (i >= 0 && i < line.Length && !Separator(line[i]))
        {
            i += direction;
        }

        return direction < 0 ? line[(i + 1)..(start + 1)] : line[start..i];
    }

    /// <summary>A number with at least eight digits (possibly signed, with a fraction or exponent).</summary>
    private static bool IsLongNumber(string token) =>
        token.Length >= 8 && token.Count(char.IsAsciiDigit) >= 8 && NumberToken.IsMatch(token);

    private static readonly System.Text.RegularExpressions.Regex NumberToken = new(
        @"^[+-]?[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant, PatternJson.MatchTimeout);

    public static bool Luhn(string digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return sum % 10 == 0;
    }

    /// <summary>ISO 13616: move the first four characters to the end, letters to numbers, the whole mod 97 is 1.</summary>
    public static bool Iban(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var iban = new string([.. value.Where(char.IsAsciiLetterOrDigit)]).ToUpperInvariant();
        if (iban.Length is < 15 or > 34 || !char.IsAsciiLetter(iban[0]) || !char.IsAsciiLetter(iban[1]) || !char.IsAsciiDigit(iban[2]) || !char.IsAsciiDigit(iban[3]))
        {
            return false;
        }

        var rearranged = iban[4..] + iban[..4];
        var remainder = 0;
        foreach (var c in rearranged)
        {
            var n = char.IsAsciiDigit(c) ? c - '0' : c - 'A' + 10;
            remainder = n >= 10 ? ((remainder * 100) + n) % 97 : ((remainder * 10) + n) % 97;
        }

        return remainder == 1;
    }

    /// <summary>US SSN: area not 000, 666 or 900–999; group not 00; serial not 0000.</summary>
    public static bool UsSsn(string digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        if (digits.Length != 9)
        {
            return false;
        }

        var area = int.Parse(digits[..3], CultureInfo.InvariantCulture);
        return area != 0 && area != 666 && area < 900 && digits[3..5] != "00" && digits[5..] != "0000";
    }

    /// <summary>UK National Insurance number: two prefix letters (with HMRC's exclusions), six digits, suffix A–D.</summary>
    public static bool UkNino(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var s = new string([.. value.Where(char.IsAsciiLetterOrDigit)]).ToUpperInvariant();
        if (s.Length != 9 || !s[2..8].All(char.IsAsciiDigit) || s[8] is < 'A' or > 'D')
        {
            return false;
        }

        var prefix = s[..2];
        if ("DFIQUV".Contains(prefix[0], StringComparison.Ordinal) || "DFIOQUV".Contains(prefix[1], StringComparison.Ordinal))
        {
            return false;
        }

        return prefix is not ("BG" or "GB" or "KN" or "NK" or "NT" or "TN" or "ZZ");
    }

    /// <summary>French INSEE (NIR): 13 characters (Corsica 2A/2B) and a 2-digit key = 97 − (number mod 97).</summary>
    public static bool FrInsee(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var s = new string([.. value.Where(char.IsAsciiLetterOrDigit)]).ToUpperInvariant();
        if (s.Length != 15 || s[0] is not ('1' or '2'))
        {
            return false;
        }

        var body = s[..13].Replace("2A", "19", StringComparison.Ordinal).Replace("2B", "18", StringComparison.Ordinal);
        if (!body.All(char.IsAsciiDigit) || !s[13..].All(char.IsAsciiDigit))
        {
            return false;
        }

        var month = int.Parse(s[3..5], CultureInfo.InvariantCulture);
        if (month is < 1 or > 12 and < 20)
        {
            return false;
        }

        var key = 97 - (int)(BigInteger.Parse(body, CultureInfo.InvariantCulture) % 97);
        return key == int.Parse(s[13..], CultureInfo.InvariantCulture);
    }

    /// <summary>German Steuer-ID: 11 digits, no leading zero, ISO 7064 MOD 11,10 check digit.</summary>
    public static bool DeTaxId(string digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        if (digits.Length != 11 || digits[0] == '0')
        {
            return false;
        }

        // In the first ten digits exactly one digit appears two or three times; some digits are missing.
        var counts = digits[..10].GroupBy(c => c).Select(g => g.Count()).ToList();
        if (counts.Count(c => c > 1) != 1 || counts.Max() > 3)
        {
            return false;
        }

        var product = 10;
        for (var i = 0; i < 10; i++)
        {
            var sum = (digits[i] - '0' + product) % 10;
            if (sum == 0)
            {
                sum = 10;
            }

            product = sum * 2 % 11;
        }

        var check = 11 - product;
        if (check == 10)
        {
            check = 0;
        }

        return check == digits[10] - '0';
    }

    private static readonly int[,] VerhoeffD =
    {
        { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 1, 2, 3, 4, 0, 6, 7, 8, 9, 5 }, { 2, 3, 4, 0, 1, 7, 8, 9, 5, 6 },
        { 3, 4, 0, 1, 2, 8, 9, 5, 6, 7 }, { 4, 0, 1, 2, 3, 9, 5, 6, 7, 8 }, { 5, 9, 8, 7, 6, 0, 4, 3, 2, 1 },
        { 6, 5, 9, 8, 7, 1, 0, 4, 3, 2 }, { 7, 6, 5, 9, 8, 2, 1, 0, 4, 3 }, { 8, 7, 6, 5, 9, 3, 2, 1, 0, 4 },
        { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 },
    };

    private static readonly int[,] VerhoeffP =
    {
        { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 1, 5, 7, 6, 2, 8, 3, 0, 9, 4 }, { 5, 8, 0, 3, 7, 9, 6, 1, 4, 2 },
        { 8, 9, 1, 6, 0, 4, 3, 5, 2, 7 }, { 9, 4, 5, 3, 1, 2, 6, 8, 7, 0 }, { 4, 2, 8, 6, 5, 7, 3, 9, 0, 1 },
        { 2, 7, 9, 3, 8, 0, 6, 4, 1, 5 }, { 7, 0, 4, 6, 9, 1, 3, 2, 5, 8 },
    };

    /// <summary>The Verhoeff checksum (dihedral group D5) used by Aadhaar: valid when the running check is 0.</summary>
    public static bool Verhoeff(string digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        var c = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            c = VerhoeffD[c, VerhoeffP[i % 8, digits[digits.Length - 1 - i] - '0']];
        }

        return c == 0;
    }
}
