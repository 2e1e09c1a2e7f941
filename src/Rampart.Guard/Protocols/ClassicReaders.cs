using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Protocols;

/// <summary>TF Serving REST <c>:predict</c>: <c>instances</c> (row form) or <c>inputs</c> (row or column form); <c>predictions</c> or <c>outputs</c>.</summary>
internal static class TfServingReader
{
    public static GuardBody Read(JsonNode root, bool isResponse, ProtocolLimits limits)
    {
        var obj = root as JsonObject ?? throw ProtocolException.Shape("a TF Serving body is a JSON object");
        var rows = new ClassicRows(limits);
        if (!isResponse)
        {
            var payload = obj["instances"] switch
            {
                JsonArray instances => rows.Rows(instances, "instances"),
                null => obj["inputs"] switch
                {
                    JsonArray inputs => rows.Rows(inputs, "inputs"),
                    JsonObject columns => rows.Columns(columns, "inputs"),
                    _ => throw ProtocolException.Shape("a :predict request needs 'instances' or 'inputs'"),
                },
                _ => throw ProtocolException.Shape("'instances' is not a list"),
            };
            return new GuardBody(GuardProtocol.TfServing, false, payload, root);
        }

        var key = obj["predictions"] is JsonArray ? "predictions" : "outputs";
        if (obj[key] is not JsonArray items)
        {
            return new GuardBody(GuardProtocol.TfServing, true, new PredictionPayload([], []), root);
        }

        var (predictions, write) = rows.Predictions(items, key);
        return new GuardBody(GuardProtocol.TfServing, true, predictions, root, writePredictions: (r, p) => write(r[key]!.AsArray(), p));
    }
}

/// <summary>MLflow scoring server <c>/invocations</c>: dataframe_split, dataframe_records, instances, inputs; <c>predictions</c> or a bare list.</summary>
internal static class MlflowReader
{
    public static GuardBody Read(JsonNode root, bool isResponse, ProtocolLimits limits)
    {
        var rows = new ClassicRows(limits);
        if (!isResponse)
        {
            var obj = root as JsonObject ?? throw ProtocolException.Shape("an MLflow request is a JSON object");
            PredictPayload payload;
            if (obj["dataframe_split"] is JsonObject split)
            {
                var columns = split["columns"] is JsonArray c ? c.Select((n, i) => n is JsonValue v && v.TryGetValue(out string? s) ? s : ClassicRows.LabelText(n) ?? $"{i}").ToImmutableArray() : [];
                var data = split["data"] as JsonArray ?? throw ProtocolException.Shape("dataframe_split needs a 'data' list");
                payload = rows.Rows(data, "dataframe_split.data") with { FeatureNames = columns };
                if (!columns.IsEmpty && payload.Instances.Any(r => r.Length != columns.Length))
                {
                    throw ProtocolException.Shape("a row of dataframe_split.data does not have one value per column");
                }
            }
            else if (obj["dataframe_records"] is JsonArray records)
            {
                payload = rows.Rows(records, "dataframe_records");
            }
            else if (obj["instances"] is JsonArray instances)
            {
                payload = rows.Rows(instances, "instances");
            }
            else
            {
                payload = obj["inputs"] switch
                {
                    JsonArray inputs => rows.Rows(inputs, "inputs"),
                    JsonObject columns => rows.Columns(columns, "inputs"),
                    _ => throw ProtocolException.Shape("an /invocations request needs dataframe_split, dataframe_records, instances or inputs"),
                };
            }

            return new GuardBody(GuardProtocol.MlflowInvocations, false, payload, root);
        }

        if (root is JsonArray bare)
        {
            var (p, w) = rows.Predictions(bare, "predictions");
            return new GuardBody(GuardProtocol.MlflowInvocations, true, p, root, writePredictions: (r, m) => w(r.AsArray(), m));
        }

        if (root is JsonObject o && o["predictions"] is JsonArray list)
        {
            var (p, w) = rows.Predictions(list, "predictions");
            return new GuardBody(GuardProtocol.MlflowInvocations, true, p, root, writePredictions: (r, m) => w(r["predictions"]!.AsArray(), m));
        }

        return new GuardBody(GuardProtocol.MlflowInvocations, true, new PredictionPayload([], []), root);
    }
}

/// <summary>
/// Open Inference Protocol v2 <c>/v2/models/{m}/infer</c>. Request tensors become rows: the first dimension is the
/// batch, each input contributes its remaining values as columns (named by the input, indexed when wider than one).
/// Response tensors of width one are labels, wider numeric tensors are scores per class.
/// </summary>
internal static class InferenceV2Reader
{
    public static GuardBody Read(JsonNode root, bool isResponse, ProtocolLimits limits)
    {
        var obj = root as JsonObject ?? throw ProtocolException.Shape("a v2 inference body is a JSON object");
        var key = isResponse ? "outputs" : "inputs";
        var tensors = obj[key] as JsonArray ?? throw ProtocolException.Shape($"a v2 inference body needs an '{key}' list");
        var rows = new ClassicRows(limits);
        var read = new List<(string Name, string DataType, int Batch, int Width, ImmutableArray<FeatureValue> Values)>();
        for (var t = 0; t < tensors.Count; t++)
        {
            var tensor = tensors[t] as JsonObject ?? throw ProtocolException.Shape($"{key}[{t}] is not an object");
            var name = tensor["name"] is JsonValue n && n.TryGetValue(out string? s) ? s : $"{key}{t}";
            var type = tensor["datatype"] is JsonValue d && d.TryGetValue(out string? dt) ? dt : "";
            var shape = (tensor["shape"] as JsonArray ?? throw ProtocolException.Shape($"{key}[{t}] has no shape"))
                .Select(x => x is JsonValue v && v.TryGetValue(out long dim) && dim >= 0 ? dim : throw ProtocolException.Shape($"{key}[{t}].shape is not a list of sizes")).ToList();
            var values = ImmutableArray.CreateBuilder<FeatureValue>();
            rows.Flatten(tensor["data"] ?? throw ProtocolException.Shape($"{key}[{t}] has no data"), $"{key}[{t}].data", values);
            var count = shape.Aggregate(1L, (a, b) => a * b);
            if (count != values.Count)
            {
                throw ProtocolException.Shape($"{key}[{t}] has {values.Count} values where its shape says {count.ToString(CultureInfo.InvariantCulture)}");
            }

            var batch = shape.Count == 0 ? 1 : (int)shape[0];
            read.Add((name, type, batch, batch == 0 ? 0 : values.Count / batch, values.ToImmutable()));
        }

        var size = read.Count == 0 ? 0 : read[0].Batch;
        if (read.Any(r => r.Batch != size))
        {
            throw ProtocolException.Shape($"the {key} disagree on the batch size");
        }

        if (!isResponse)
        {
            var names = read.SelectMany(r => r.Width == 1 ? [r.Name] : Enumerable.Range(0, r.Width).Select(i => $"{r.Name}[{i}]")).ToImmutableArray();
            var instances = Enumerable.Range(0, size)
                .Select(row => read.SelectMany(r => r.Values.Skip(row * r.Width).Take(r.Width)).ToImmutableArray()).ToImmutableArray();
            return new GuardBody(GuardProtocol.InferenceV2, false, new PredictPayload(instances, names), root);
        }

        var scoreTensor = read.FindIndex(r => r.Width > 1 && !r.DataType.Equals("BYTES", StringComparison.OrdinalIgnoreCase));
        var labelTensor = read.FindIndex(r => r.Width == 1);
        var predictions = Enumerable.Range(0, size).Select(row => new Prediction(
            labelTensor < 0 ? null : Text(read[labelTensor].Values[row]),
            scoreTensor < 0 ? [] : [.. read[scoreTensor].Values.Skip(row * read[scoreTensor].Width).Take(read[scoreTensor].Width).Select(v => v.Number ?? 0)])).ToImmutableArray();
        var payload = new PredictionPayload(predictions, []);
        return new GuardBody(GuardProtocol.InferenceV2, true, payload, root, writePredictions: (r, masked) =>
        {
            if (scoreTensor < 0)
            {
                return;
            }

            var outputs = r["outputs"]!.AsArray();
            var tensor = outputs[scoreTensor]!.AsObject();
            if (masked.Predictions.All(p => p.Scores.IsEmpty))
            {
                if (labelTensor >= 0)
                {
                    outputs.RemoveAt(scoreTensor);
                    return;
                }

                // No label tensor: the score tensor becomes one (label only, batch of one value each).
                var labels = masked.Predictions.Select(p => ClassicRows.LabelNode(p.Label)).ToList();
                tensor["data"] = new JsonArray([.. labels]);
                tensor["shape"] = new JsonArray(JsonValue.Create(labels.Count));
                tensor["datatype"] = labels.All(l => l is JsonValue v && v.GetValueKind() == JsonValueKind.Number) ? "INT64" : "BYTES";
                return;
            }

            tensor["data"] = ClassicRows.ScoresNode([.. masked.Predictions.SelectMany(p => p.Scores)]);
        });
    }

    private static string? Text(FeatureValue v) => v.Text ?? v.Number?.ToString(CultureInfo.InvariantCulture);
}
