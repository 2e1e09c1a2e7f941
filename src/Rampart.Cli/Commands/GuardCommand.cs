using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Rampart.Core.IO;
using Rampart.Guard;
using Rampart.Guard.Checks;
using Rampart.Guard.Detectors.Injection;
using Rampart.Guard.Pipeline;
using Rampart.Text;
using Rampart.Text.Detection;
using Rampart.Text.Injection;

namespace Rampart.Cli.Commands;

/// <summary>
/// rampart guard check|eval: the runtime guard's checks run offline over JSON Lines (docs/commands/guard.md). The same
/// <see cref="GuardPipeline"/> as the gateway: prompt injection plus secret and personal-data detection.
/// </summary>
internal static class GuardCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("guard", "Run the runtime guard's checks offline: test prompts in CI and measure detectors.");
        command.Subcommands.Add(Check(environment));
        command.Subcommands.Add(Eval(environment));
        return command;
    }

    private static Command Check(CliEnvironment environment)
    {
        var file = new Argument<string>("FILE") { Description = "JSON Lines: one {\"text\": ...} or {\"messages\": [{\"role\", \"content\"}]} per line." };
        var output = new Option<bool>("--output") { Description = "Check the texts as model outputs instead of inputs." };
        var format = Format();
        var command = new Command("check", "Check prompts (or, with --output, model outputs); exit 1 when any line is blocked.") { file, output, format };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var isOutput = parse.GetValue(output);
            var pipeline = GuardPipelines.Offline();
            var results = new List<LineResult>();
            foreach (var line in GuardLines.Read(Resolve(environment, parse.GetValue(file)!), labelled: false))
            {
                results.Add(new LineResult(line.Number, await GuardPipelines.RunAsync(pipeline, line, isOutput, environment.Time, cancellationToken).ConfigureAwait(false)));
            }

            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(format) == "json")
            {
                await writer.WriteLineAsync(CheckJson(results)).ConfigureAwait(false);
            }
            else
            {
                foreach (var r in results)
                {
                    await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"line {r.Line}: {r.Outcome.Action.ToString().ToUpperInvariant()} score {Score(r.Outcome):0.000}{(r.Outcome.Signals.IsEmpty ? "" : " " + string.Join(',', r.Outcome.RuleIds))}")).ConfigureAwait(false);
                    foreach (var s in r.Outcome.Signals)
                    {
                        await writer.WriteLineAsync($"  {s.RuleId} ({s.CheckId}): {s.Reason}").ConfigureAwait(false);
                    }
                }

                var blocked = results.Count(r => r.Outcome.Blocked);
                await writer.WriteLineAsync($"{results.Count} lines, {blocked} blocked").ConfigureAwait(false);
            }

            return results.Any(r => r.Outcome.Blocked) ? Core.ExitCodes.Findings : Core.ExitCodes.Clean;
        });
        return command;
    }

    private static Command Eval(CliEnvironment environment)
    {
        var file = new Argument<string>("LABELLED") { Description = "JSON Lines with \"text\" or \"messages\", \"label\" (1/0, true/false, \"injection\"/\"benign\") and an optional \"source\"." };
        var format = Format();
        var command = new Command("eval", "Measure the guard on labelled prompts: precision, recall, F1 and false-positive rate, overall and per source.") { file, format };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var pipeline = GuardPipelines.Offline();
            var outcomes = new List<(string Source, bool Label, bool Predicted)>();
            foreach (var line in GuardLines.Read(Resolve(environment, parse.GetValue(file)!), labelled: true))
            {
                var outcome = await GuardPipelines.RunAsync(pipeline, line, false, environment.Time, cancellationToken).ConfigureAwait(false);
                outcomes.Add((line.Source, line.Label!.Value, outcome.Blocked));
            }

            var metrics = DetectionMetrics.Compute(outcomes);
            var writer = parse.InvocationConfiguration.Output;
            await writer.WriteLineAsync(parse.GetValue(format) == "json" ? EvalJson(metrics) : EvalTable(metrics)).ConfigureAwait(false);
            return Core.ExitCodes.Clean;
        });
        return command;
    }

    private static Option<string> Format()
    {
        var format = new Option<string>("--format", "-f") { Description = "console or json.", DefaultValueFactory = _ => "console" };
        format.AcceptOnlyFromAmong("console", "json");
        return format;
    }

    private static string Resolve(CliEnvironment environment, string path) => Path.GetFullPath(path, environment.CurrentDirectory);

    private static double Score(GuardOutcome outcome) => outcome.Signals.IsEmpty ? 0 : outcome.Signals.Max(s => s.Score);

    internal static string EvalTable(ImmutableArray<DetectionMetrics> metrics)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| source | n | positives | precision | recall | F1 | FPR |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var m in metrics)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {m.Source} | {m.Total} | {m.Positives} | {F(m.Precision)} | {F(m.Recall)} | {F(m.F1)} | {F(m.FalsePositiveRate)} |");
        }

        return sb.ToString().TrimEnd();
    }

    private static string F(double d) => double.IsNaN(d) ? "-" : d.ToString("0.000", CultureInfo.InvariantCulture);

    private static string EvalJson(ImmutableArray<DetectionMetrics> metrics)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var m in metrics)
            {
                w.WriteStartObject();
                w.WriteString("source", m.Source);
                w.WriteNumber("total", m.Total);
                w.WriteNumber("truePositives", m.TruePositives);
                w.WriteNumber("falsePositives", m.FalsePositives);
                w.WriteNumber("trueNegatives", m.TrueNegatives);
                w.WriteNumber("falseNegatives", m.FalseNegatives);
                Number(w, "precision", m.Precision);
                Number(w, "recall", m.Recall);
                Number(w, "f1", m.F1);
                Number(w, "falsePositiveRate", m.FalsePositiveRate);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsNaN(value))
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteNumber(name, Math.Round(value, 4));
        }
    }

    private static string CheckJson(List<LineResult> results)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("lines", results.Count);
            w.WriteNumber("blocked", results.Count(r => r.Outcome.Blocked));
            w.WriteStartArray("results");
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteNumber("line", r.Line);
                w.WriteString("action", r.Outcome.Action.ToString().ToUpperInvariant() switch { var a => a.ToLowerInvariant() });
                w.WriteNumber("score", Math.Round(Score(r.Outcome), 4));
                w.WriteStartArray("rules");
                foreach (var id in r.Outcome.RuleIds)
                {
                    w.WriteStringValue(id);
                }

                w.WriteEndArray();
                w.WriteStartArray("signals");
                foreach (var s in r.Outcome.Signals)
                {
                    w.WriteStartObject();
                    w.WriteString("rule", s.RuleId);
                    w.WriteString("check", s.CheckId);
                    w.WriteNumber("score", Math.Round(s.Score, 4));
                    w.WriteString("reason", s.Reason);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private sealed record LineResult(int Line, GuardOutcome Outcome);
}

/// <summary>One line of a guard input file: a payload (text or messages), and for eval files its label and source.</summary>
internal sealed record GuardLine(int Number, string? Text, ImmutableArray<ChatMessage> Messages, bool? Label, string Source);

/// <summary>Reads guard JSON Lines strictly: a malformed line is a usage error naming the line.</summary>
internal static class GuardLines
{
    public static IEnumerable<GuardLine> Read(string path, bool labelled)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"cannot read '{path}': no such file");
        }

        var number = 0;
        foreach (var raw in BoundedFile.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }

            yield return Parse(raw, number, path, labelled);
        }
    }

    private static GuardLine Parse(string raw, int number, string path, bool labelled)
    {
        var where = $"{Path.GetFileName(path)} line {number.ToString(CultureInfo.InvariantCulture)}";
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(raw, new JsonDocumentOptions { MaxDepth = 16 });
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new UsageException($"{where}: not valid JSON ({e.Message})");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new UsageException($"{where}: expected an object with \"text\" or \"messages\"");
        }

        string? text = null;
        var messages = ImmutableArray<ChatMessage>.Empty;
        if (root.TryGetProperty("text", out var t))
        {
            text = t.ValueKind == JsonValueKind.String ? t.GetString() : throw new UsageException($"{where}: \"text\" must be a string");
        }
        else if (root.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Array)
        {
            var list = ImmutableArray.CreateBuilder<ChatMessage>();
            foreach (var message in m.EnumerateArray())
            {
                if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.String)
                {
                    throw new UsageException($"{where}: every message needs a string \"content\"");
                }

                var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "user";
                list.Add(new ChatMessage(role, c.GetString()!));
            }

            messages = list.ToImmutable();
        }
        else
        {
            throw new UsageException($"{where}: expected \"text\" (a string) or \"messages\" (an array)");
        }

        bool? label = null;
        if (labelled)
        {
            label = root.TryGetProperty("label", out var l) ? l.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number when l.TryGetInt32(out var i) && i is 0 or 1 => i == 1,
                JsonValueKind.String when l.GetString() is "injection" or "jailbreak" or "malicious" => true,
                JsonValueKind.String when l.GetString() is "benign" or "safe" => false,
                _ => throw new UsageException($"{where}: \"label\" must be 0/1, true/false, \"injection\" or \"benign\""),
            } : throw new UsageException($"{where}: missing \"label\"");
        }

        var source = root.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "unspecified";
        return new GuardLine(number, text, messages, label, source);
    }
}

/// <summary>
/// The offline pipeline: prompt injection, then secrets (redacted) and personal data (annotated) through the Guard's own
/// <see cref="SensitiveTextCheck"/>, the check the gateway runs, so an offline run raises the same rule ids
/// (RAMP-GUARD-001/002) as the gateway's audit log; the reason names the pattern and its RAMP-SECRET/RAMP-PII rule.
/// </summary>
internal static class GuardPipelines
{
    public static GuardPipeline Offline()
    {
        static bool NotSystem(TextSource source) => source is not TextSource.SystemPrompt;
        var checks = new ITextCheck[]
        {
            new InjectionTextCheck(),
            new SensitiveTextCheck(TextHitKind.Secret, GuardAction.Redact, TextPatterns.Default, NotSystem),
            new SensitiveTextCheck(TextHitKind.PersonalData, GuardAction.Annotate, TextPatterns.Default, NotSystem),
        };
        return new GuardPipeline(checks.Select(c => new TextCheckAdapter(c)), checks.Select(c => new TextCheckAdapter(c)));
    }

    public static async ValueTask<GuardOutcome> RunAsync(GuardPipeline pipeline, GuardLine line, bool isOutput, TimeProvider time, CancellationToken cancellationToken)
    {
        GuardPayload payload = line.Text is { } text
            ? new TextPayload([text], isOutput ? TextSource.ModelOutput : TextSource.UserInput)
            : new ChatPayload(line.Messages, IsResponse: isOutput);
        var request = new GuardRequest($"line-{line.Number.ToString(CultureInfo.InvariantCulture)}", GuardPrincipal.Offline, "offline", null, isOutput ? "output" : "input", GuardProtocol.Opaque, payload, time.GetUtcNow());
        var context = new GuardContext(time);
        return isOutput
            ? await pipeline.CheckOutputAsync(request, new GuardResponse(200, payload), context, cancellationToken).ConfigureAwait(false)
            : await pipeline.CheckInputAsync(request, context, cancellationToken).ConfigureAwait(false);
    }
}
