using System.Globalization;
using System.Text.RegularExpressions;
using Rampart.Text;
using Rampart.Text.Detection;

namespace Rampart.Data.Scan;

/// <summary>A column judged to hold one kind of personal data, with the evidence for it.</summary>
/// <param name="Column">The column name.</param>
/// <param name="Kind">email, phone, credit-card, iban, national-id, ip-address, person-name, date-of-birth.</param>
/// <param name="Confidence">0..1, from the evidence combined.</param>
/// <param name="Evidence">Human-readable evidence ("412 of 500 values pass the email validator", "column name").</param>
/// <param name="Samples">Redacted sample values.</param>
/// <param name="Rows">Data rows (1-based) where it was seen, first ones.</param>
/// <param name="Lines">Their line numbers.</param>
/// <param name="Hits">Values that showed it.</param>
public sealed record PiiColumn(string Column, string Kind, double Confidence, IReadOnlyList<string> Evidence, IReadOnlyList<string> Samples, IReadOnlyList<long> Rows, IReadOnlyList<long> Lines, long Hits);

/// <summary>A credential found in a cell.</summary>
public sealed record SecretCell(string Column, string PatternId, string Title, string Redacted, IReadOnlyList<long> Rows, IReadOnlyList<long> Lines, long Hits);

/// <summary>
/// Classifies columns as personal data from three kinds of evidence: hits of the shared <c>Rampart.Text</c> detectors
/// (with their validators: Luhn, IBAN mod 97, national-id checksums), the column's name, and the shape of the values
/// (person names, dates, IP addresses, which no validator can confirm). Also collects secrets. Feed it the inspected
/// cells with <see cref="Inspect"/>, then read <see cref="Columns"/>.
/// </summary>
public sealed partial class PiiColumnClassifier
{
    private const int KeepRows = 20;
    private const int KeepSamples = 3;

    private readonly Dictionary<string, ColumnEvidence> _columns = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Column, string Pattern), SecretEvidence> _secrets = [];

    /// <summary>The kind a column name suggests (normalised to lower case letters and digits), or null.</summary>
    public static string? KindFromName(string column)
    {
        var n = NonAlnum().Replace(column.ToLowerInvariant(), string.Empty);
        return n switch
        {
            _ when n.Contains("email", StringComparison.Ordinal) || n is "mail" or "emailaddress" => "email",
            _ when n.Contains("phone", StringComparison.Ordinal) || n.Contains("mobile", StringComparison.Ordinal) || n is "tel" or "telephone" or "fax" => "phone",
            _ when n.Contains("iban", StringComparison.Ordinal) => "iban",
            _ when n.Contains("creditcard", StringComparison.Ordinal) || n is "card" or "cardnumber" or "pan" or "ccnumber" => "credit-card",
            _ when n is "ssn" or "nino" or "nationalid" or "passport" or "passportnumber" or "taxid" or "socialsecuritynumber" or "aadhaar" or "nir" => "national-id",
            _ when n is "ip" or "ipaddress" or "ipaddr" or "clientip" or "remoteaddr" or "sourceip" => "ip-address",
            _ when n is "dob" or "dateofbirth" or "birthdate" or "birthday" or "born" => "date-of-birth",
            _ when n is "name" or "fullname" or "firstname" or "lastname" or "surname" or "givenname" or "familyname" or "patientname" or "customername" or "username" or "forename" or "owner" or "customer" or "patient" or "author" or "holder" or "contactname" or "employee" => "person-name",
            _ when n is "address" or "streetaddress" or "street" or "homeaddress" or "postcode" or "zipcode" or "zip" or "postalcode" => "address",
            _ => null,
        };
    }

    /// <summary>Looks at one cell (already chosen for inspection).</summary>
    public void Inspect(string column, string value, long row, long line)
    {
        var evidence = Evidence(column);
        evidence.Inspected++;
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var hit in TextDetectors.FindPii(value, TextPatterns.Default.Pii))
        {
            var kind = hit.PatternId is "us-ssn" or "uk-nino" or "fr-insee" or "de-taxid" or "in-aadhaar" ? "national-id" : hit.PatternId;
            if (found.Add(kind))
            {
                evidence.Hit(kind, row, line, hit.Redacted, whole: hit.Length >= value.Trim().Length - 2);
            }
        }

        if (found.Count == 0)
        {
            var trimmed = value.Trim();
            var shape = trimmed.Length > 80 ? null
                : Ipv4().IsMatch(trimmed) && trimmed.Split('.').All(p => int.Parse(p, CultureInfo.InvariantCulture) <= 255) ? "ip-address"
                : IsoDate().Match(trimmed) is { Success: true } d && int.Parse(d.Groups[1].Value, CultureInfo.InvariantCulture) is >= 1900 and <= 2030 ? "date"
                : PersonName().IsMatch(trimmed) ? "person-name"
                : null;
            if (shape is not null)
            {
                evidence.Shape(shape, row, line, TextDetectors.Redact(trimmed, 2));
            }
        }

        foreach (var secret in TextDetectors.FindSecrets(value, TextPatterns.Default.Secrets))
        {
            if (!_secrets.TryGetValue((column, secret.PatternId), out var s))
            {
                s = new SecretEvidence(secret.Title, secret.Redacted);
                _secrets[(column, secret.PatternId)] = s;
            }

            s.Add(row, line);
        }
    }

    /// <summary>The columns judged to hold personal data (confidence at least 0.5), most confident first.</summary>
    public IReadOnlyList<PiiColumn> Columns(IReadOnlyList<string> columnOrder)
    {
        var result = new List<PiiColumn>();
        foreach (var column in columnOrder)
        {
            var nameKind = KindFromName(column);
            if (!_columns.TryGetValue(column, out var e))
            {
                continue;
            }

            var kinds = e.Kinds.Keys.Concat(e.Shapes.Keys.Select(s => s == "date" ? "date-of-birth" : s)).Append(nameKind).OfType<string>().Distinct(StringComparer.Ordinal);
            foreach (var kind in kinds)
            {
                var evidence = new List<string>();
                var confidences = new List<double>();
                KindEvidence? hits = null;
                if (e.Kinds.TryGetValue(kind, out var detector))
                {
                    hits = detector;
                    var fraction = detector.Count / (double)e.Inspected;
                    var whole = detector.Whole / (double)Math.Max(1, detector.Count);
                    confidences.Add(fraction >= 0.5 ? 0.9 + (0.09 * fraction) : 0.5 + (0.4 * fraction));
                    evidence.Add(string.Create(CultureInfo.InvariantCulture, $"{detector.Count} of {e.Inspected} inspected values pass the {kind} detector{(whole < 0.5 ? " (inside free text)" : string.Empty)}"));
                }

                var shapeName = kind == "date-of-birth" ? "date" : kind;
                if (e.Shapes.TryGetValue(shapeName, out var shape))
                {
                    var fraction = shape.Count / (double)e.Inspected;
                    if (fraction >= 0.5 && (shapeName != "date" || nameKind == "date-of-birth"))
                    {
                        hits ??= shape;
                        confidences.Add(shapeName == "person-name" && nameKind != "person-name" ? 0.3 + (0.3 * fraction) : 0.4 + (0.4 * fraction));
                        evidence.Add(string.Create(CultureInfo.InvariantCulture, $"{shape.Count} of {e.Inspected} inspected values have the shape of {(shapeName == "date" ? "a date" : "a " + shapeName.Replace('-', ' '))}"));
                    }
                }

                if (nameKind == kind)
                {
                    confidences.Add(hits is null ? 0.45 : 0.5);
                    evidence.Add($"the column name '{column}' suggests {kind}");
                }

                var confidence = 1 - confidences.Aggregate(1.0, (p, c) => p * (1 - c));
                if (confidence >= 0.5 && hits is not null)
                {
                    result.Add(new PiiColumn(column, kind, Math.Round(confidence, 3), evidence, hits.Samples, hits.Rows, hits.Lines, hits.Count));
                }
            }
        }

        return [.. result.OrderByDescending(p => p.Confidence)];
    }

    public IReadOnlyList<SecretCell> Secrets =>
        [.. _secrets.Select(s => new SecretCell(s.Key.Column, s.Key.Pattern, s.Value.Title, s.Value.Redacted, s.Value.Rows, s.Value.Lines, s.Value.Count))];

    private ColumnEvidence Evidence(string column)
    {
        if (!_columns.TryGetValue(column, out var e))
        {
            e = new ColumnEvidence();
            _columns[column] = e;
        }

        return e;
    }

    private sealed class ColumnEvidence
    {
        public long Inspected { get; set; }

        public Dictionary<string, KindEvidence> Kinds { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, KindEvidence> Shapes { get; } = new(StringComparer.Ordinal);

        public void Hit(string kind, long row, long line, string redacted, bool whole) => Add(Kinds, kind, row, line, redacted, whole);

        public void Shape(string kind, long row, long line, string redacted) => Add(Shapes, kind, row, line, redacted, true);

        private static void Add(Dictionary<string, KindEvidence> map, string kind, long row, long line, string redacted, bool whole)
        {
            if (!map.TryGetValue(kind, out var k))
            {
                k = new KindEvidence();
                map[kind] = k;
            }

            k.Add(row, line, redacted, whole);
        }
    }

    private class KindEvidence
    {
        public long Count { get; private set; }

        public long Whole { get; private set; }

        public List<long> Rows { get; } = [];

        public List<long> Lines { get; } = [];

        public List<string> Samples { get; } = [];

        public void Add(long row, long line, string redacted, bool whole = true)
        {
            Count++;
            Whole += whole ? 1 : 0;
            if (Rows.Count < KeepRows)
            {
                Rows.Add(row);
                Lines.Add(line);
            }

            if (Samples.Count < KeepSamples && !Samples.Contains(redacted, StringComparer.Ordinal))
            {
                Samples.Add(redacted);
            }
        }
    }

    private sealed class SecretEvidence(string title, string redacted) : KindEvidence
    {
        public string Title { get; } = title;

        public string Redacted { get; } = redacted;

        public void Add(long row, long line) => Add(row, line, Redacted);
    }

    [GeneratedRegex("[^a-z0-9]")]
    private static partial Regex NonAlnum();

    [GeneratedRegex(@"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}$")]
    private static partial Regex Ipv4();

    [GeneratedRegex(@"^(1[89][0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    private static partial Regex IsoDate();

    /// <summary>Two or three capitalised words of letters (apostrophes and hyphens allowed): "Ada Lovelace", "Jean-Luc O'Neil".</summary>
    [GeneratedRegex(@"^\p{Lu}[\p{Ll}'’-]+(?: \p{Lu}\.?)?(?: \p{Lu}[\p{Ll}'’-]+){1,2}$")]
    private static partial Regex PersonName();
}
