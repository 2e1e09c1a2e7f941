using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rampart.Provenance.Records;

/// <summary>
/// What a writer asserts, before the ledger numbers and signs it: a kind and its fields, checked against the kind's
/// field table (unknown field, missing required field, malformed digest or number → <see cref="ProvenanceException"/>).
/// </summary>
public sealed partial class ProvenanceRecord
{
    private readonly JsonObject _fields;

    private ProvenanceRecord(RecordKind kind, JsonObject fields)
    {
        Kind = kind;
        _fields = fields;
    }

    /// <summary>The record's kind.</summary>
    public RecordKind Kind { get; }

    /// <summary>A copy of the fields as JSON.</summary>
    public JsonObject Fields => (JsonObject)_fields.DeepClone();

    /// <summary>Starts a record of <paramref name="kind"/>.</summary>
    public static Builder Create(string kind) => new(RecordKinds.Get(kind));

    /// <summary>Checks <paramref name="fields"/> (as stored) against the kind's table.</summary>
    public static ProvenanceRecord FromJson(string kind, JsonObject fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var spec = RecordKinds.Get(kind);
        var builder = new Builder(spec);
        foreach (var (name, value) in fields)
        {
            var field = spec.Field(name) ?? throw new ProvenanceException($"{kind} records have no field '{name}'");
            builder.SetJson(field, value);
        }

        return builder.Build();
    }

    /// <summary>Whether <paramref name="text"/> is "sha256:" followed by 64 lower-case hex digits.</summary>
    public static bool IsDigest(string? text) => text is not null && DigestPattern().IsMatch(text);

    /// <summary>Every artifact digest in the record with its role.</summary>
    public IEnumerable<(string Digest, FieldRole Role, string Field)> References()
    {
        foreach (var field in Kind.Fields.Where(f => f.Type is FieldType.Digest or FieldType.DigestList))
        {
            switch (_fields[field.Name])
            {
                case JsonValue v:
                    yield return (v.GetValue<string>(), field.Role, field.Name);
                    break;
                case JsonArray a:
                    foreach (var item in a)
                    {
                        yield return (item!.GetValue<string>(), field.Role, field.Name);
                    }

                    break;
            }
        }
    }

    /// <summary>A text or digest field, or null.</summary>
    public string? Text(string name) => _fields[name] is JsonValue v ? v.GetValue<string>() : null;

    /// <summary>A map or metrics field as text pairs (numbers in invariant culture), empty when absent.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Pairs(string name) =>
        _fields[name] is JsonObject o
            ? [.. o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, p.Value is JsonValue v && v.TryGetValue<double>(out var d) ? d.ToString("R", CultureInfo.InvariantCulture) : p.Value!.GetValue<string>()))]
            : [];

    /// <summary>A digest list field, empty when absent.</summary>
    public IReadOnlyList<string> List(string name) =>
        _fields[name] is JsonArray a ? [.. a.Select(i => i!.GetValue<string>())] : _fields[name] is JsonValue v ? [v.GetValue<string>()] : [];

    [GeneratedRegex("^sha256:[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestPattern();

    /// <summary>Collects fields and checks each as it is set.</summary>
    public sealed class Builder
    {
        private readonly RecordKind _kind;
        private readonly JsonObject _fields = [];

        internal Builder(RecordKind kind) => _kind = kind;

        /// <summary>Sets a text or digest field.</summary>
        public Builder Set(string name, string value)
        {
            var field = Spec(name);
            switch (field.Type)
            {
                case FieldType.Text:
                    _fields[name] = value;
                    break;
                case FieldType.License:
                    _fields[name] = SpdxLicenses.Normalize(value);
                    break;
                case FieldType.Digest:
                    _fields[name] = Digest(name, value);
                    break;
                case FieldType.DigestList:
                    Add(name, value);
                    break;
                case FieldType.Map:
                case FieldType.Metrics:
                    var eq = value.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new ProvenanceException($"{_kind.Name} field '{name}' takes name=value pairs (got '{value}')");
                    }

                    return Pair(name, value[..eq], value[(eq + 1)..]);
            }

            return this;
        }

        /// <summary>Adds one digest to a list field.</summary>
        public Builder Add(string name, string digest)
        {
            var field = Spec(name);
            if (field.Type != FieldType.DigestList)
            {
                throw new ProvenanceException($"{_kind.Name} field '{name}' is not a list");
            }

            var list = _fields[name] as JsonArray ?? [];
            list.Add((JsonNode)Digest(name, digest));
            _fields[name] = list;
            return this;
        }

        /// <summary>Adds name=value to a map or metrics field (metrics must be numbers).</summary>
        public Builder Pair(string name, string key, string value)
        {
            var field = Spec(name);
            var map = _fields[name] as JsonObject ?? [];
            if (key.Length == 0)
            {
                throw new ProvenanceException($"{_kind.Name} field '{name}' has an empty name");
            }

            if (field.Type == FieldType.Metrics)
            {
                if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
                {
                    throw new ProvenanceException($"metric '{key}' must be a finite number (got '{value}')");
                }

                map[key] = number;
            }
            else if (field.Type == FieldType.Map)
            {
                map[key] = value;
            }
            else
            {
                throw new ProvenanceException($"{_kind.Name} field '{name}' is not a map");
            }

            _fields[name] = map;
            return this;
        }

        /// <summary>The checked record; throws when a required field is missing.</summary>
        public ProvenanceRecord Build()
        {
            var missing = _kind.Fields.Where(f => f.Required && !_fields.ContainsKey(f.Name)).Select(f => f.Name).ToList();
            if (missing.Count > 0)
            {
                throw new ProvenanceException($"{_kind.Name} records need {string.Join(", ", missing.Select(m => "--" + m))}");
            }

            return new ProvenanceRecord(_kind, (JsonObject)_fields.DeepClone());
        }

        internal void SetJson(FieldSpec field, JsonNode? value)
        {
            switch (field.Type, value)
            {
                case (FieldType.Text or FieldType.Digest or FieldType.License, JsonValue v) when v.TryGetValue<string>(out var s):
                    Set(field.Name, s);
                    break;
                case (FieldType.DigestList, JsonArray a):
                    foreach (var item in a)
                    {
                        Add(field.Name, item is JsonValue iv && iv.TryGetValue<string>(out var d) ? d : throw Bad(field));
                    }

                    break;
                case (FieldType.Map, JsonObject o):
                    foreach (var (k, v) in o)
                    {
                        Pair(field.Name, k, v is JsonValue mv && mv.TryGetValue<string>(out var t) ? t : throw Bad(field));
                    }

                    break;
                case (FieldType.Metrics, JsonObject o):
                    var map = new JsonObject();
                    foreach (var (k, v) in o)
                    {
                        if (v is not JsonValue mv || !mv.TryGetValue<double>(out var number) || !double.IsFinite(number))
                        {
                            throw Bad(field);
                        }

                        map[k] = v.DeepClone();
                    }

                    _fields[field.Name] = map;
                    break;
                default:
                    throw Bad(field);
            }
        }

        private ProvenanceException Bad(FieldSpec field) => new($"{_kind.Name} field '{field.Name}' must be {field.Type}");

        private FieldSpec Spec(string name) =>
            _kind.Field(name) ?? throw new ProvenanceException(
                $"{_kind.Name} records have no field '{name}' (fields: {string.Join(", ", _kind.Fields.Select(f => f.Name))})");

        private string Digest(string name, string value)
        {
            var normalized = value.Trim();
            if (normalized.Length == 64 && normalized.All(char.IsAsciiHexDigit))
            {
                normalized = "sha256:" + normalized;
            }

            normalized = normalized.ToLowerInvariant();
            return IsDigest(normalized)
                ? normalized
                : throw new ProvenanceException($"{_kind.Name} field '{name}' needs a digest 'sha256:<64 hex>' (got '{value}')");
        }
    }
}
