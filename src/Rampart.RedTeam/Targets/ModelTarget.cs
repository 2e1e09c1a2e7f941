using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rampart.RedTeam.Targets;

/// <summary>The wire protocol of a classic model endpoint.</summary>
public enum ModelProtocol
{
    /// <summary>Open Inference Protocol v2 (KServe, Triton, MLServer): <c>/v2/models/{m}/infer</c>.</summary>
    V2,

    /// <summary>TensorFlow Serving REST: <c>/v1/models/{m}:predict</c>.</summary>
    TfServing,

    /// <summary>MLflow scoring server: <c>/invocations</c>.</summary>
    Mlflow,
}

/// <summary>One answer of a classic model: the predicted class and, when the endpoint shows them, the class scores.</summary>
public sealed record ModelAnswer(int Label, IReadOnlyList<double>? Scores)
{
    /// <summary>The score of <paramref name="label"/>, or null when the endpoint gives labels only.</summary>
    public double? ScoreOf(int label) => Scores is { } s && label >= 0 && label < s.Count ? s[label] : null;
}

/// <summary>
/// A classic model behind v2, TF Serving or MLflow. Rows go out as numbers; answers come back as labels or score
/// lists, whatever shape the endpoint uses (scores per row, a label per row, or v2 tensors of either). A 429 is
/// <see cref="RateLimitedException"/>: the attack stops there and reports what it learnt so far.
/// </summary>
public sealed class ModelTarget(HttpTarget http, ModelProtocol protocol, IReadOnlyList<string> featureNames)
{
    public HttpTarget Http { get; } = http;

    public ModelProtocol Protocol { get; } = protocol;

    /// <summary>Rows sent so far (every row of every batch, whatever the answer).</summary>
    public long RowsSent => Interlocked.Read(ref _rowsSent);

    private long _rowsSent;

    public static ModelProtocol ParseProtocol(string text) => text.ToLowerInvariant() switch
    {
        "v2" => ModelProtocol.V2,
        "tfserving" or "tf-serving" => ModelProtocol.TfServing,
        "mlflow" => ModelProtocol.Mlflow,
        _ => throw new ArgumentException($"unknown protocol '{text}' (v2, tfserving, mlflow)", nameof(text)),
    };

    /// <summary>The URL to POST to: the target as given when it already names the operation, else the protocol's path.</summary>
    public static Uri OperationUri(Uri target, ModelProtocol protocol, string model)
    {
        ArgumentNullException.ThrowIfNull(target);
        var text = target.ToString().TrimEnd('/');
        return protocol switch
        {
            ModelProtocol.V2 => new Uri(text.EndsWith("/infer", StringComparison.Ordinal) ? text : $"{text}/v2/models/{model}/infer"),
            ModelProtocol.TfServing => new Uri(text.EndsWith(":predict", StringComparison.Ordinal) ? text : $"{text}/v1/models/{model}:predict"),
            _ => new Uri(text.EndsWith("/invocations", StringComparison.Ordinal) ? text : $"{text}/invocations"),
        };
    }

    public async Task<IReadOnlyList<ModelAnswer>> PredictAsync(IReadOnlyList<double[]> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return [];
        }

        Interlocked.Add(ref _rowsSent, rows.Count);
        var response = await Http.PostJsonAsync(Body(rows), null, cancellationToken).ConfigureAwait(false);
        if (response.Status == 429)
        {
            throw new RateLimitedException($"{HttpTarget.Describe(Http.Endpoint)} answered 429 Too Many Requests");
        }

        if (response.Status is 400 or 403)
        {
            throw new RateLimitedException($"{HttpTarget.Describe(Http.Endpoint)} refused the query with HTTP {response.Status}");
        }

        if (!response.IsSuccess || response.Body is null)
        {
            throw new TargetException(TargetFailure.HttpStatus, $"{HttpTarget.Describe(Http.Endpoint)} answered HTTP {response.Status}");
        }

        var answers = Protocol == ModelProtocol.V2 ? ReadV2(response.Body, rows.Count) : ReadList(response.Body);
        return answers.Count == rows.Count
            ? answers
            : throw new TargetException(TargetFailure.Protocol, $"{HttpTarget.Describe(Http.Endpoint)} answered {answers.Count} predictions for {rows.Count} rows");
    }

    private JsonObject Body(IReadOnlyList<double[]> rows)
    {
        var width = rows[0].Length;
        JsonArray Matrix() => [.. rows.Select(r => (JsonNode)new JsonArray([.. r.Select(v => (JsonNode?)JsonValue.Create(v))]))];
        return Protocol switch
        {
            ModelProtocol.V2 => new JsonObject
            {
                ["inputs"] = new JsonArray(new JsonObject
                {
                    ["name"] = "input-0",
                    ["shape"] = new JsonArray(rows.Count, width),
                    ["datatype"] = "FP64",
                    ["data"] = new JsonArray([.. rows.SelectMany(r => r).Select(v => (JsonNode?)JsonValue.Create(v))]),
                }),
            },
            ModelProtocol.TfServing => new JsonObject { ["instances"] = Matrix() },
            _ => new JsonObject
            {
                ["dataframe_split"] = new JsonObject
                {
                    ["columns"] = new JsonArray([.. Enumerable.Range(0, width).Select(i => (JsonNode?)JsonValue.Create(i < featureNames.Count ? featureNames[i] : $"f{i}"))]),
                    ["data"] = Matrix(),
                },
            },
        };
    }

    private List<ModelAnswer> ReadList(JsonNode body)
    {
        var list = body as JsonArray ?? body["predictions"] as JsonArray ?? body["outputs"] as JsonArray
            ?? throw new TargetException(TargetFailure.Protocol, $"{HttpTarget.Describe(Http.Endpoint)} answered JSON without a predictions list");
        return [.. list.Select(ReadItem)];
    }

    private ModelAnswer ReadItem(JsonNode? item) => item switch
    {
        JsonArray scores => FromScores(Numbers(scores)),
        JsonValue v => new ModelAnswer(Label(v), null),
        JsonObject o when (o["probabilities"] ?? o["scores"]) is JsonArray scores => FromScores(Numbers(scores)),
        JsonObject o when (o["label"] ?? o["class"] ?? o["classes"]) is JsonValue label => new ModelAnswer(Label(label), null),
        _ => throw new TargetException(TargetFailure.Protocol, $"{HttpTarget.Describe(Http.Endpoint)} answered a prediction of an unknown shape"),
    };

    private List<ModelAnswer> ReadV2(JsonNode body, int rows)
    {
        var outputs = body["outputs"] as JsonArray
            ?? throw new TargetException(TargetFailure.Protocol, $"{HttpTarget.Describe(Http.Endpoint)} answered a v2 body without outputs");
        var tensors = outputs.OfType<JsonObject>().Select(t => (Data: t["data"] as JsonArray ?? [], Type: t["datatype"]?.ToString() ?? "")).ToList();
        var scores = tensors.FirstOrDefault(t => t.Data.Count > rows && !t.Type.Equals("BYTES", StringComparison.OrdinalIgnoreCase));
        if (scores.Data is { Count: > 0 } s && s.Count % rows == 0)
        {
            var values = Numbers(s);
            var width = values.Count / rows;
            return [.. Enumerable.Range(0, rows).Select(r => FromScores([.. values.Skip(r * width).Take(width)]))];
        }

        var labels = tensors.FirstOrDefault(t => t.Data.Count == rows).Data
            ?? throw new TargetException(TargetFailure.Protocol, $"{HttpTarget.Describe(Http.Endpoint)} answered v2 outputs with no tensor of {rows} labels or scores");
        return [.. labels.Select(l => new ModelAnswer(l is JsonValue v ? Label(v) : -1, null))];
    }

    private static ModelAnswer FromScores(List<double> scores)
    {
        if (scores.Count == 1)
        {
            // One score per row: a binary model's positive-class probability.
            return new ModelAnswer(scores[0] >= 0.5 ? 1 : 0, [1 - scores[0], scores[0]]);
        }

        var best = 0;
        for (var i = 1; i < scores.Count; i++)
        {
            best = scores[i] > scores[best] ? i : best;
        }

        return new ModelAnswer(best, scores);
    }

    private List<double> Numbers(JsonArray array) =>
        [.. array.Select(n => n is JsonValue v && v.TryGetValue<double>(out var d) ? d
            : throw new TargetException(TargetFailure.Protocol, $"{HttpTarget.Describe(Http.Endpoint)} answered a score that is not a number"))];

    private int Label(JsonValue value)
    {
        if (value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<double>(out var d) && d == Math.Floor(d) && d is >= 0 and < 1_000_000)
        {
            return (int)d;
        }

        if (value.GetValueKind() == JsonValueKind.String && int.TryParse(value.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0)
        {
            return n;
        }

        throw new TargetException(TargetFailure.Protocol, $"{HttpTarget.Describe(Http.Endpoint)} answered the label {value.ToJsonString()}; the harness needs class indices 0..k-1");
    }
}

/// <summary>The target (or a gateway before it) refused further queries: rate limit, budget or extraction detection.</summary>
public sealed class RateLimitedException : Exception
{
    public RateLimitedException()
    {
    }

    public RateLimitedException(string message)
        : base(message)
    {
    }

    public RateLimitedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
