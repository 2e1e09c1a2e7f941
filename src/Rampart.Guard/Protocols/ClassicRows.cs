using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Protocols;

/// <summary>Feature rows and predictions of classic models, shared by the TF Serving, MLflow and v2 readers.</summary>
internal sealed class ClassicRows(ProtocolLimits limits)
{
    private int _values;

    /// <summary>One scalar: number, string, bool (as 1/0) or null (missing). Nested values are a shape error.</summary>
    public FeatureValue Scalar(JsonNode? node, string where)
    {
        Count(1);
        return node switch
        {
            null => FeatureValue.Missing,
            JsonValue v => v.GetValueKind() switch
            {
                JsonValueKind.Number => FeatureValue.Of(v.GetValue<double>()),
                JsonValueKind.String => FeatureValue.Of(v.GetValue<string>()),
                JsonValueKind.True => FeatureValue.Of(1),
                JsonValueKind.False => FeatureValue.Of(0),
                _ => FeatureValue.Missing,
            },
            _ => throw ProtocolException.Shape($"{where} is not a scalar"),
        };
    }

    /// <summary>Every scalar under <paramref name="node"/>, depth first (a nested tensor row flattened).</summary>
    public void Flatten(JsonNode? node, string where, ImmutableArray<FeatureValue>.Builder into)
    {
        switch (node)
        {
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Flatten(array[i], where, into);
                }

                break;
            case JsonObject:
                throw ProtocolException.Shape($"{where} holds an object where values were expected");
            default:
                into.Add(Scalar(node, where));
                break;
        }
    }

    /// <summary>
    /// Row-form instances: each a scalar, a (nested) list of values, or an object of named features. Named features take
    /// their order from the first instance; a later instance with other names is a shape error.
    /// </summary>
    public PredictPayload Rows(JsonArray instances, string where)
    {
        var rows = ImmutableArray.CreateBuilder<ImmutableArray<FeatureValue>>(instances.Count);
        ImmutableArray<string> names = [];
        for (var i = 0; i < instances.Count; i++)
        {
            var row = ImmutableArray.CreateBuilder<FeatureValue>();
            if (instances[i] is JsonObject named)
            {
                if (i == 0)
                {
                    names = [.. named.Select(p => p.Key)];
                }
                else if (named.Count != names.Length || names.Any(n => !named.ContainsKey(n)))
                {
                    throw ProtocolException.Shape($"{where}[{i}] names other features than {where}[0]");
                }

                foreach (var name in names)
                {
                    row.Add(Scalar(named[name], $"{where}[{i}].{name}"));
                }
            }
            else if (names.Length > 0)
            {
                throw ProtocolException.Shape($"{where}[{i}] is not an object like {where}[0]");
            }
            else
            {
                Flatten(instances[i], $"{where}[{i}]", row);
            }

            rows.Add(row.ToImmutable());
        }

        return new PredictPayload(rows.ToImmutable(), names);
    }

    /// <summary>Column form: an object of feature name to a list with one value per row.</summary>
    public PredictPayload Columns(JsonObject columns, string where)
    {
        var names = columns.Select(p => p.Key).ToImmutableArray();
        var lists = names.Select(n => columns[n] as JsonArray ?? throw ProtocolException.Shape($"{where}.{n} is not a list")).ToList();
        var count = lists.Count == 0 ? 0 : lists[0].Count;
        if (lists.Any(l => l.Count != count))
        {
            throw ProtocolException.Shape($"the columns of {where} differ in length");
        }

        var rows = ImmutableArray.CreateBuilder<ImmutableArray<FeatureValue>>(count);
        for (var r = 0; r < count; r++)
        {
            rows.Add([.. lists.Select((l, c) => Scalar(l[r], $"{where}.{names[c]}[{r}]"))]);
        }

        return new PredictPayload(rows.ToImmutable(), names);
    }

    /// <summary>
    /// Predictions in list form (TF Serving, MLflow): a number or string is a label, a list of numbers is scores, an
    /// object carries <c>probabilities</c>/<c>scores</c> and <c>classes</c>/<c>label</c> (other objects of numbers are
    /// scores by class name). Returns the payload and a writer that puts masked predictions back in place.
    /// </summary>
    public (PredictionPayload Payload, Action<JsonArray, PredictionPayload> Write) Predictions(JsonArray items, string where)
    {
        var predictions = ImmutableArray.CreateBuilder<Prediction>(items.Count);
        ImmutableArray<string> classes = [];
        for (var i = 0; i < items.Count; i++)
        {
            Count(1);
            switch (items[i])
            {
                case JsonArray scores:
                    predictions.Add(new Prediction(null, Numbers(scores, $"{where}[{i}]")));
                    break;
                case JsonObject fields:
                    var scoreKey = ScoreKey(fields);
                    var labelKey = LabelKey(fields);
                    if (scoreKey is not null)
                    {
                        predictions.Add(new Prediction(labelKey is null ? null : LabelText(fields[labelKey]), Numbers(fields[scoreKey] as JsonArray ?? throw ProtocolException.Shape($"{where}[{i}].{scoreKey} is not a list"), $"{where}[{i}]")));
                    }
                    else if (labelKey is null && fields.All(f => f.Value is JsonValue v && v.GetValueKind() == JsonValueKind.Number))
                    {
                        classes = i == 0 ? [.. fields.Select(f => f.Key)] : classes;
                        predictions.Add(new Prediction(null, [.. fields.Select(f => f.Value!.GetValue<double>())]));
                    }
                    else
                    {
                        predictions.Add(new Prediction(labelKey is null ? null : LabelText(fields[labelKey]), []));
                    }

                    break;
                default:
                    predictions.Add(new Prediction(LabelText(items[i]), []));
                    break;
            }
        }

        var payload = new PredictionPayload(predictions.ToImmutable(), classes);
        return (payload, (array, masked) => WriteList(array, payload, masked));
    }

    private static void WriteList(JsonArray array, PredictionPayload original, PredictionPayload masked)
    {
        for (var i = 0; i < array.Count && i < masked.Predictions.Length; i++)
        {
            var before = original.Predictions[i];
            var after = masked.Predictions[i];
            if (before.Scores.IsEmpty)
            {
                continue;
            }

            switch (array[i])
            {
                case JsonArray:
                    array[i] = after.Scores.IsEmpty ? LabelNode(after.Label) : ScoresNode(after.Scores);
                    break;
                case JsonObject fields when ScoreKey(fields) is { } key:
                    if (after.Scores.IsEmpty)
                    {
                        fields.Remove(key);
                        if (LabelKey(fields) is null && after.Label is not null)
                        {
                            fields["label"] = LabelNode(after.Label);
                        }
                    }
                    else
                    {
                        fields[key] = ScoresNode(after.Scores);
                    }

                    break;
                case JsonObject fields:
                    array[i] = after.Scores.IsEmpty
                        ? LabelNode(after.Label)
                        : new JsonObject(fields.Select((f, c) => KeyValuePair.Create(f.Key, (JsonNode?)JsonValue.Create(c < after.Scores.Length ? after.Scores[c] : 0))).ToList());
                    break;
                default:
                    break;
            }
        }
    }

    public static JsonNode? LabelNode(string? label) =>
        label is null ? null
        : long.TryParse(label, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? JsonValue.Create(n)
        : double.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d)
        : JsonValue.Create(label);

    public static JsonArray ScoresNode(ImmutableArray<double> scores) => [.. scores.Select(s => (JsonNode?)JsonValue.Create(s))];

    public static string? LabelText(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        JsonArray { Count: 1 } single => LabelText(single[0]),
        _ => null,
    };

    private static readonly string[] ScoreKeys = ["probabilities", "probability", "scores", "predict_proba"];
    private static readonly string[] LabelKeys = ["classes", "class", "label", "labels", "class_ids", "prediction", "predicted_label"];

    private static string? ScoreKey(JsonObject o) => ScoreKeys.FirstOrDefault(k => o[k] is JsonArray);

    private static string? LabelKey(JsonObject o) => LabelKeys.FirstOrDefault(o.ContainsKey);

    private ImmutableArray<double> Numbers(JsonArray array, string where)
    {
        Count(array.Count);
        var result = ImmutableArray.CreateBuilder<double>(array.Count);
        foreach (var item in array)
        {
            result.Add(item is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : throw ProtocolException.Shape($"{where} holds a score that is not a number"));
        }

        return result.MoveToImmutable();
    }

    private void Count(int n)
    {
        _values += n;
        if (_values > limits.MaxItems)
        {
            throw new ProtocolException(ProtocolErrorKind.TooManyItems, $"more than {limits.MaxItems} values");
        }
    }
}
