using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rampart.Text.Injection;
using Rampart.Text.Normalization;

namespace Rampart.Tools.TrainInjection;

/// <summary>
/// Trains rules/models/injection-classifier.bin from the public corpora exported by export-sources.sh and the
/// hand-written seed sets, writes the held-out test split for `rampart guard eval`, and the model card.
/// usage: dotnet run --project tools/train-injection -- DATA_DIR MODEL_OUT TEST_OUT CARD_OUT
/// </summary>
internal static class Program
{
    private const int Bits = 18;
    private const int Window = 2048;
    /// <summary>
    /// Half the issue's 1% target: the validation split is drawn from the training sources, so its false-positive rate
    /// is optimistic for prompts of styles the model never saw.
    /// </summary>
    private const double TargetFpr = 0.005;

    private static int Main(string[] args)
    {
        if (args.Length != 4)
        {
            Console.Error.WriteLine("usage: train-injection DATA_DIR MODEL_OUT TEST_OUT CARD_OUT");
            return 3;
        }

        var (data, modelOut, testOut, cardOut) = (args[0], args[1], args[2], args[3]);
        var seedDir = Path.Combine(AppContext.BaseDirectory, "seed");
        var samples = Corpus.Load(data, seedDir);
        Console.WriteLine($"{samples.Count} unique samples");

        var train = samples.Where(s => s.Split == Split.Train).ToList();
        var validation = samples.Where(s => s.Split == Split.Validation).ToList();
        var test = samples.Where(s => s.Split == Split.Test).ToList();
        var weights = Trainer.Fit(train, Bits, epochs: 8, seed: 12);
        var (scale, quantised) = Trainer.Quantise(weights.W);

        // Threshold on the validation split: the lowest score that keeps the benign false-positive rate at or below the target.
        var provisional = new InjectionModel(Bits, scale, (float)weights.Bias, 0.5f, Window, quantised);
        var benignScores = validation.Where(s => !s.Label).Select(s => provisional.Score(Normalize(s.Text))).OrderDescending().ToList();
        var allowed = (int)Math.Floor(benignScores.Count * TargetFpr);
        var threshold = (float)Math.Clamp(benignScores.Count == 0 ? 0.5 : benignScores[allowed] + 1e-4, 0.05, 0.98);
        var model = new InjectionModel(Bits, scale, (float)weights.Bias, threshold, Window, quantised);
        var onValidation = DetectionMetrics.Compute(validation.Select(s => (s.Source, s.Label, model.Score(Normalize(s.Text)) >= threshold)))[0];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"validation n={onValidation.Total} P={onValidation.Precision:0.000} R={onValidation.Recall:0.000} FPR={onValidation.FalsePositiveRate:0.000}"));
        var bytes = model.ToBytes();
        File.WriteAllBytes(modelOut, bytes);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Console.WriteLine($"threshold {threshold.ToString("0.0000", CultureInfo.InvariantCulture)}, sha256 {sha}");

        using (var writer = new StreamWriter(testOut, false, new UTF8Encoding(false)))
        {
            foreach (var s in test)
            {
                writer.WriteLine(JsonSerializer.Serialize(new TestLine(s.Text, s.Label ? 1 : 0, s.Source)));
            }
        }

        // classifier alone on the test split (the command `rampart guard eval` measures the whole detector)
        var metrics = DetectionMetrics.Compute(test.Select(s => (s.Source, s.Label, model.Score(Normalize(s.Text)) >= threshold)));
        foreach (var m in metrics)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.Source,-28} n={m.Total,5} P={m.Precision:0.000} R={m.Recall:0.000} FPR={m.FalsePositiveRate:0.000}"));
        }

        File.WriteAllText(cardOut, ModelCard.Render(samples, sha, threshold, metrics, Bits, Window), new UTF8Encoding(false));
        return 0;
    }

    internal static string Normalize(string text) => TextNormalizer.Normalize(text).Text;

    private sealed record TestLine(
        [property: System.Text.Json.Serialization.JsonPropertyName("text")] string Text,
        [property: System.Text.Json.Serialization.JsonPropertyName("label")] int Label,
        [property: System.Text.Json.Serialization.JsonPropertyName("source")] string Source);
}

internal enum Split
{
    Train,
    Validation,
    Test,
}

/// <summary>One labelled text and the split it belongs to.</summary>
internal sealed record Sample(string Text, bool Label, string Source, Split Split);

/// <summary>Reads every source, de-duplicates by normalised text, and splits 70/10/20 by a hash of the text (stable across runs).</summary>
internal static class Corpus
{
    /// <summary>Sources used for evaluation only: their licence does not allow shipping a model trained on them, or they test normalisation.</summary>
    public static readonly ImmutableHashSet<string> EvalOnly = ["instructionwild", "handwritten-obfuscated"];

    public static List<Sample> Load(string data, string seedDir)
    {
        var raw = new List<(string Text, bool Label, string Source)>();
        foreach (var line in JsonLines(Path.Combine(data, "tensortrust-hijacking.jsonl")))
        {
            raw.Add((line.GetProperty("attack").GetString()!, true, "tensortrust-hijacking"));
            raw.Add((line.GetProperty("pre_prompt").GetString()!, false, "tensortrust-defense"));
        }

        foreach (var line in JsonLines(Path.Combine(data, "tensortrust-extraction.jsonl")))
        {
            raw.Add((line.GetProperty("attack").GetString()!, true, "tensortrust-extraction"));
            raw.Add((line.GetProperty("pre_prompt").GetString()!, false, "tensortrust-defense"));
        }

        raw.AddRange(Csv.ReadColumn(Path.Combine(data, "gptfuzz.csv"), "text").Select(t => (t, true, "gptfuzz-jailbreak")));
        foreach (var line in JsonLines(Path.Combine(data, "self-instruct.jsonl")))
        {
            var input = line.GetProperty("instances")[0].GetProperty("input").GetString();
            raw.Add((line.GetProperty("instruction").GetString() + (string.IsNullOrEmpty(input) ? "" : "\n" + input), false, "self-instruct"));
        }

        raw.AddRange(JsonLines(Path.Combine(data, "t0-prompts.jsonl")).Select(l => (l.GetProperty("prompt").GetString()!, false, "t0-prompts")));
        raw.AddRange(JsonLines(Path.Combine(data, "gsm8k.jsonl")).Select(l => (l.GetProperty("question").GetString()!, false, "gsm8k")));
        foreach (var file in new[] { "mtbench.jsonl", "vicunabench.jsonl" })
        {
            raw.AddRange(JsonLines(Path.Combine(data, file)).SelectMany(l => l.GetProperty("turns").EnumerateArray().Select(t => (t.GetString()!, false, "mtbench"))));
        }

        foreach (var file in Directory.GetFiles(data, "instructionwild-*.jsonl").Order(StringComparer.Ordinal))
        {
            raw.AddRange(JsonLines(file).Select(l => (l.GetProperty("instruction").GetString()!, false, "instructionwild")));
        }

        // Role-play prompts ("I want you to act as ..."), English and Chinese: hard benign, except the one DAN
        // jailbreak both lists carry, which is labelled as what it is.
        var acts = Csv.ReadColumn(Path.Combine(data, "awesome-chatgpt-prompts.csv"), "act").ToList();
        var prompts = Csv.ReadColumn(Path.Combine(data, "awesome-chatgpt-prompts.csv"), "prompt").ToList();
        raw.AddRange(acts.Zip(prompts).Select(p => (p.Second, IsDan(p.First), "awesome-prompts")));
        using (var zh = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "awesome-chatgpt-prompts-zh.json"))))
        {
            raw.AddRange(zh.RootElement.EnumerateArray().Select(e => (e.GetProperty("prompt").GetString()!, IsDan(e.GetProperty("act").GetString()!), "awesome-prompts-zh")));
        }

        // Questions about the assistant itself ("who are you?"): the human turns of FastChat's identity conversations.
        using (var identity = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "fastchat-identity.json"))))
        {
            raw.AddRange(identity.RootElement.EnumerateArray()
                .SelectMany(c => c.GetProperty("conversations").EnumerateArray())
                .Where(t => t.GetProperty("from").GetString() == "human")
                .Select(t => (t.GetProperty("value").GetString()!, false, "fastchat-identity")));
        }

        // Blunt, often harmful requests from HH-RLHF's red-team conversations (first human turn): not injections, which
        // is what the guard's injection check must tell apart (refusing harmful requests is the model's job).
        raw.AddRange(JsonLines(Path.Combine(data, "hh-harmless-test.jsonl"))
            .Select(l => l.GetProperty("chosen").GetString()!)
            .Select(t => t.Split("\n\nHuman: ")[1].Split("\n\nAssistant:")[0])
            .Select(t => (t, false, "hh-rlhf-requests")));

        foreach (var file in Directory.GetFiles(seedDir, "*.jsonl").Order(StringComparer.Ordinal))
        {
            raw.AddRange(JsonLines(file).Select(l => (l.GetProperty("text").GetString()!, l.GetProperty("label").GetInt32() == 1, l.GetProperty("source").GetString()!)));
        }

        // Evaluation-only texts are kept out of training also as near copies (the same opening): InstructionWild was
        // collected from the web, where the role-play prompt lists circulate too.
        var evalKeys = raw.Where(r => EvalOnly.Contains(r.Source)).Select(r => NearKey(r.Text)).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var samples = new List<Sample>();
        foreach (var (text, label, source) in raw)
        {
            if (string.IsNullOrWhiteSpace(text) || !seen.Add(Program.Normalize(text).Trim()))
            {
                continue;
            }

            if (!EvalOnly.Contains(source) && evalKeys.Contains(NearKey(text)))
            {
                NearCopiesDropped++;
                continue;
            }

            var bucket = SHA256.HashData(Encoding.UTF8.GetBytes(text))[0] % 10;
            var split = EvalOnly.Contains(source) ? Split.Test : bucket switch { < 7 => Split.Train, 7 => Split.Validation, _ => Split.Test };
            samples.Add(new Sample(text, label, source, split));
        }

        return samples;
    }

    /// <summary>Training texts dropped because they nearly copy an evaluation-only text (reported on the model card).</summary>
    public static int NearCopiesDropped { get; private set; }

    private static bool IsDan(string act) => act.Contains("DAN", StringComparison.Ordinal);

    /// <summary>The first 40 letters or digits of the normalised, lower-cased text.</summary>
    private static string NearKey(string text)
    {
        var key = new StringBuilder(40);
        foreach (var c in Program.Normalize(text))
        {
            if (char.IsLetterOrDigit(c))
            {
                key.Append(char.ToLowerInvariant(c));
                if (key.Length == 40)
                {
                    break;
                }
            }
        }

        return key.ToString();
    }

    private static IEnumerable<JsonElement> JsonLines(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonElement element;
            try
            {
                using var doc = JsonDocument.Parse(line);
                element = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                // a few upstream lines carry invalid escapes: skipped and counted, never guessed at
                Console.WriteLine($"skipped a malformed line of {Path.GetFileName(path)}");
                continue;
            }

            yield return element;
        }
    }
}

/// <summary>Logistic regression over hashed features with AdaGrad and L2, class-balanced.</summary>
internal static class Trainer
{
    public sealed record Weights(double[] W, double Bias);

    public static Weights Fit(List<Sample> train, int bits, int epochs, int seed)
    {
        var features = train.Select(s =>
        {
            var list = new List<(int Bucket, float Value)>();
            InjectionFeatures.Extract(Program.Normalize(s.Text).AsSpan(0, Math.Min(Program.Normalize(s.Text).Length, 2048)), bits, list);
            return list.ToArray();
        }).ToArray();
        var positives = train.Count(s => s.Label);
        var negatives = train.Count - positives;
        var wPos = train.Count / (2.0 * Math.Max(1, positives));
        var wNeg = train.Count / (2.0 * Math.Max(1, negatives));
        var w = new double[1 << bits];
        var g2 = new double[1 << bits];
        double bias = 0, g2Bias = 0;
        const double Rate = 0.3, L2 = 1e-4;
        var order = Enumerable.Range(0, train.Count).ToArray();
        var random = new Random(seed);
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);
            double loss = 0;
            foreach (var i in order)
            {
                var x = features[i];
                var y = train[i].Label ? 1.0 : 0.0;
                var z = bias;
                foreach (var (b, v) in x)
                {
                    z += w[b] * v;
                }

                var p = 1 / (1 + Math.Exp(-z));
                var weight = train[i].Label ? wPos : wNeg;
                loss -= weight * ((y * Math.Log(p + 1e-12)) + ((1 - y) * Math.Log(1 - p + 1e-12)));
                var g = weight * (p - y);
                foreach (var (b, v) in x)
                {
                    var grad = (g * v) + (L2 * w[b]);
                    g2[b] += grad * grad;
                    w[b] -= Rate * grad / (Math.Sqrt(g2[b]) + 1e-8);
                }

                g2Bias += g * g;
                bias -= Rate * g / (Math.Sqrt(g2Bias) + 1e-8);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch + 1}: loss {loss / train.Count:0.0000}"));
        }

        return new Weights(w, bias);
    }

    public static (float Scale, sbyte[] Quantised) Quantise(double[] w)
    {
        var max = w.Max(Math.Abs);
        var scale = max == 0 ? 1f : (float)(max / 127);
        return (scale, [.. w.Select(v => (sbyte)Math.Clamp(Math.Round(v / scale), -127, 127))]);
    }
}

/// <summary>A minimal RFC 4180 reader for the one CSV source (quoted fields with embedded newlines and doubled quotes).</summary>
internal static class Csv
{
    public static IEnumerable<string> ReadColumn(string path, string column)
    {
        var rows = Parse(File.ReadAllText(path)).ToList();
        var index = rows[0].IndexOf(column);
        return rows.Skip(1).Where(r => r.Count > index).Select(r => r[index]);
    }

    private static IEnumerable<List<string>> Parse(string s)
    {
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < s.Length && s[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                row.Add(field.ToString().TrimEnd('\r'));
                field.Clear();
                yield return row;
                row = [];
            }
            else
            {
                field.Append(c);
            }
        }

        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            yield return row;
        }
    }
}
