using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rampart.Scanning.Analyzers.PythonSource;

/// <summary>A hard-coded credential shape: a regex (group "s" is the secret), optional context words on the same line.</summary>
internal sealed record SecretPattern(string Id, string Rule, string Title, Regex Regex, Regex? Context, double MinEntropy, int Keep)
{
    public static SecretPattern Parse(JsonElement e, string source)
    {
        CodePatterns.Keys(e, source, "id", "rule", "title", "regex", "context", "minEntropy", "keep");
        var regex = new Regex(CodePatterns.Str(e, "regex", source), RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
        if (!regex.GetGroupNames().Contains("s", StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{source}: secret pattern regex needs a named group 's' for the secret itself");
        }

        return new SecretPattern(
            CodePatterns.Str(e, "id", source),
            CodePatterns.Str(e, "rule", source),
            CodePatterns.Str(e, "title", source),
            regex,
            e.TryGetProperty("context", out var c) ? new Regex(c.GetString()!, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1)) : null,
            e.TryGetProperty("minEntropy", out var m) ? m.GetDouble() : 0,
            e.TryGetProperty("keep", out var k) ? k.GetInt32() : 4);
    }
}

/// <summary>A personal-data shape: a regex (group "s") and a validator that removes look-alikes (Luhn, mod-97, ...).</summary>
internal sealed record PiiPattern(string Id, string Rule, string Title, Regex Regex, string Validator, int Keep)
{
    public static readonly string[] Validators = ["none", "email", "phone", "luhn", "iban", "us-ssn", "uk-nino", "fr-insee", "de-taxid", "in-aadhaar"];

    public static PiiPattern Parse(JsonElement e, string source)
    {
        CodePatterns.Keys(e, source, "id", "rule", "title", "regex", "validator", "keep");
        var validator = CodePatterns.Str(e, "validator", source);
        if (!Validators.Contains(validator, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{source}: unknown PII validator '{validator}'");
        }

        var regex = new Regex(CodePatterns.Str(e, "regex", source), RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
        if (!regex.GetGroupNames().Contains("s", StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{source}: PII pattern regex needs a named group 's'");
        }

        return new PiiPattern(CodePatterns.Str(e, "id", source), CodePatterns.Str(e, "rule", source), CodePatterns.Str(e, "title", source),
            regex, validator, e.TryGetProperty("keep", out var k) ? k.GetInt32() : 2);
    }
}

/// <summary>A match of a secret or PII pattern: where, and the redacted text (never the value itself).</summary>
internal sealed record TextHit(string Rule, string PatternId, string Title, string Redacted, int Line, int Column);

/// <summary>Finds secrets and personal data in text, line by line, and redacts what it finds.</summary>
internal static class TextDetectors
{
    private static readonly Regex Placeholder = new(
        @"^(x+|\*+|\.+|<[^>]*>|\$\{?[A-Z_]+\}?|your[-_ ].*|.*(example|placeholder|changeme|dummy|redacted|xxxx|0000000000|1234567890abcdef).*)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>"hf_ab…(37 chars)": the first <paramref name="keep"/> characters (at most a third) and the length.</summary>
    public static string Redact(string secret, int keep)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var shown = Math.Min(keep, secret.Length / 3);
        return secret[..shown] + "…(" + secret.Length.ToString(CultureInfo.InvariantCulture) + " chars)";
    }

    public static IEnumerable<TextHit> FindSecrets(string text, IEnumerable<SecretPattern> patterns, int firstLine = 1)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        return Find(text, patterns.Select(p => (p.Regex, p.Rule, p.Id, p.Title, p.Keep, Accept: (Func<string, string, bool>)((line, value) =>
            (p.Context is null || p.Context.IsMatch(line)) && (p.MinEntropy <= 0 || (Entropy(value) >= p.MinEntropy && !Placeholder.IsMatch(value)))))), firstLine);
    }

    public static IEnumerable<TextHit> FindPii(string text, IEnumerable<PiiPattern> patterns, int firstLine = 1)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        return Find(text, patterns.Select(p => (p.Regex, p.Rule, p.Id, p.Title, p.Keep, Accept: (Func<string, string, bool>)((_, value) => Validate(p.Validator, value)))), firstLine);
    }

    /// <summary>Every non-overlapping match of group "s" that its pattern accepts, line by line, redacted.</summary>
    private static IEnumerable<TextHit> Find(string text, IEnumerable<(Regex Regex, string Rule, string Id, string Title, int Keep, Func<string, string, bool> Accept)> patterns, int firstLine)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = patterns.ToList();
        var line = firstLine - 1;
        foreach (var lineText in Lines(text))
        {
            line++;
            var taken = new List<(int Start, int End)>();
            foreach (var p in list)
            {
                foreach (Match m in p.Regex.Matches(lineText))
                {
                    var g = m.Groups["s"];
                    if (taken.Any(t => g.Index < t.End && t.Start < g.Index + g.Length) || !p.Accept(lineText, g.Value))
                    {
                        continue;
                    }

                    taken.Add((g.Index, g.Index + g.Length));
                    yield return new TextHit(p.Rule, p.Id, p.Title, Redact(g.Value, p.Keep), line, g.Index + 1);
                }
            }
        }
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n').Select(l => l.TrimEnd('\r'));

    /// <summary>Shannon entropy in bits per character.</summary>
    public static double Entropy(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Length == 0)
        {
            return 0;
        }

        return s.GroupBy(c => c).Select(g => (double)g.Count() / s.Length).Sum(p => -p * Math.Log2(p));
    }

    public static bool Validate(string validator, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var digits = new string([.. value.Where(char.IsAsciiDigit)]);
        return validator switch
        {
            "none" or "email" => true,
            "phone" => digits.Length is >= 8 and <= 15 && digits.Distinct().Count() > 2,
            "luhn" => digits.Length is >= 13 and <= 19 && Luhn(digits) && digits.Distinct().Count() > 1,
            "iban" => Iban(value),
            "us-ssn" => UsSsn(digits),
            "uk-nino" => UkNino(value),
            "fr-insee" => FrInsee(value),
            "de-taxid" => DeTaxId(digits),
            "in-aadhaar" => digits.Length == 12 && digits[0] is not ('0' or '1') && Verhoeff(digits),
            _ => false,
        };
    }

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
