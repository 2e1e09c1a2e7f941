using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using Rampart.Core;
using Rampart.Core.Reporting.Sarif;
using Rampart.Provenance;
using Rampart.RedTeam;
using Rampart.RedTeam.Classic;
using Rampart.RedTeam.Probes;
using Rampart.RedTeam.Reports;
using Rampart.RedTeam.Targets;
using Rampart.Scanning;

namespace Rampart.Cli.Commands;

/// <summary>
/// rampart redteam llm|model: probes an LLM endpoint or attacks a classic model endpoint, optionally the same
/// target again through the Rampart gateway (--through), and writes the report (docs/redteam.md). Bad targets give a
/// one-line error or a partial report with exit 2, never a stack trace or a hang.
/// </summary>
internal static class RedTeamCommand
{
    public static readonly string[] Formats = ["text", "json", "sarif", "html"];

    private sealed record Common(
        Option<string> Target, Option<string?> Through, Option<string?> ApiKey, Option<string?> ThroughApiKey, Option<int> Seed, Option<int> Concurrency,
        Option<double> Rate, Option<double> Timeout, Option<int> MaxBytes, Option<string?> Journal, Option<string> Format, Option<string?> Output,
        Option<string> FailOn, Option<string?> Ledger, Option<string?> Key, Option<string?> Signer, Option<string?> ModelDigest);

    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("redteam", "Red-team a model endpoint: LLM probes (injection, leakage, jailbreaks, bias, ...) or black-box attacks on a classic model (extraction, membership inference, evasion), with ATLAS-mapped findings.");
        command.Subcommands.Add(LlmCommand(environment));
        command.Subcommands.Add(ModelCommand(environment));
        command.Subcommands.Add(ProbesCommand(environment));
        return command;
    }

    private static Common CommonOptions(Command command)
    {
        var common = new Common(
            new Option<string>("--target", "-t") { Description = "The endpoint to attack (base URL or the full operation URL).", Required = true, HelpName = "URL" },
            new Option<string?>("--through") { Description = "Also run everything through this URL (e.g. the Rampart gateway in front of the target) and show both side by side.", HelpName = "URL" },
            new Option<string?>("--api-key") { Description = "Bearer token for --target (default: $RAMPART_REDTEAM_API_KEY).", HelpName = "KEY" },
            new Option<string?>("--through-api-key") { Description = "Bearer token for --through.", HelpName = "KEY" },
            new Option<int>("--seed") { Description = "Seed of every nonce, canary and attack query: the same seed gives the same run.", DefaultValueFactory = _ => 1 },
            new Option<int>("--concurrency") { Description = "Requests in flight at most.", DefaultValueFactory = _ => 4 },
            new Option<double>("--rate") { Description = "Requests per second at most (0: unlimited).", DefaultValueFactory = _ => 0 },
            new Option<double>("--timeout") { Description = "Seconds one request may take, answer included.", DefaultValueFactory = _ => 30 },
            new Option<int>("--max-response-bytes") { Description = "Largest answer accepted (bytes).", DefaultValueFactory = _ => 1 << 20 },
            new Option<string?>("--journal") { Description = "Resumable run state (JSON Lines); a second run with the same options continues where the first stopped.", HelpName = "FILE" },
            new Option<string>("--format", "-f") { Description = "text, json, sarif or html (self-contained, with charts).", DefaultValueFactory = _ => "text", HelpName = "FORMAT" },
            new Option<string?>("--output", "-o") { Description = "Write the report to this file instead of standard output.", HelpName = "FILE" },
            new Option<string>("--fail-on") { Description = "Exit 1 when the target (first run) has a finding of at least this severity.", DefaultValueFactory = _ => "high", HelpName = "SEVERITY" },
            LedgerCli.DbOption("--ledger"),
            LedgerCli.KeyOption(),
            LedgerCli.SignerOption(),
            new Option<string?>("--model-digest") { Description = "Record the run in the ledger (--ledger) as an evaluation of this model: a file (hashed) or sha256:<hex>.", HelpName = "FILE|DIGEST" });
        common.Format.AcceptOnlyFromAmong(Formats);
        foreach (var option in new Option[] { common.Target, common.Through, common.ApiKey, common.ThroughApiKey, common.Seed, common.Concurrency, common.Rate, common.Timeout, common.MaxBytes, common.Journal, common.Format, common.Output, common.FailOn, common.Ledger, common.Key, common.Signer, common.ModelDigest })
        {
            command.Options.Add(option);
        }

        return common;
    }

    private static Command LlmCommand(CliEnvironment environment)
    {
        var command = new Command("llm", "Probe an OpenAI-compatible chat endpoint (docs/redteam.md lists the probe families).");
        var common = CommonOptions(command);
        var model = new Option<string>("--model", "-m") { Description = "Model name sent in each request.", DefaultValueFactory = _ => "default" };
        var stream = new Option<bool>("--stream") { Description = "Ask for streamed answers (server-sent events)." };
        var family = new Option<string[]>("--family") { Description = "Probe families to run (repeatable; default: all).", Arity = ArgumentArity.ZeroOrMore, HelpName = "FAMILY" };
        var repeats = new Option<int>("--repeats") { Description = "Times each prompt is sent.", DefaultValueFactory = _ => 1 };
        var canary = new Option<string[]>("--canary") { Description = "A token planted in the target's own system prompt (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var secret = new Option<string[]>("--secret") { Description = "A value planted where the model can see it, which must never come out (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        foreach (var o in new Option[] { model, stream, family, repeats, canary, secret })
        {
            command.Options.Add(o);
        }

        command.SetAction((parse, ct) => RunAsync(environment, parse, common, async (targets, harness, tool, token) =>
        {
            var options = new LlmRunOptions(parse.GetValue(common.Seed), Positive(parse.GetValue(repeats), "--repeats"), parse.GetValue(canary) ?? [], parse.GetValue(secret) ?? []);
            return await RedTeamRunner.RunLlmAsync(targets, parse.GetValue(model)!, parse.GetValue(stream), parse.GetValue(family) ?? [], options, harness, tool, environment.Time, token).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static Command ModelCommand(CliEnvironment environment)
    {
        var command = new Command("model", "Attack a classic model endpoint (v2, TF Serving, MLflow): extraction, membership inference, evasion, attribute inference.");
        var common = CommonOptions(command);
        var protocol = new Option<string>("--protocol") { Description = "v2, tfserving or mlflow.", Required = true };
        protocol.AcceptOnlyFromAmong("v2", "tfserving", "mlflow");
        var data = new Option<string>("--data") { Description = "The attacker's sample: CSV with feature columns, optional 'label' and 'member' (1 training, 0 not).", Required = true, HelpName = "CSV" };
        var model = new Option<string>("--model", "-m") { Description = "Model name in the URL path (v2, TF Serving).", DefaultValueFactory = _ => "model" };
        var budget = new Option<int>("--budget") { Description = "Extraction query budget (rows).", DefaultValueFactory = _ => 1000 };
        var attack = new Option<string[]>("--attack") { Description = $"Attacks to run (repeatable; default: all): {string.Join(", ", ClassicAttackRunner.AllAttacks)}.", Arity = ArgumentArity.ZeroOrMore };
        var sensitive = new Option<string?>("--sensitive") { Description = "Feature for attribute inference.", HelpName = "COLUMN" };
        var samples = new Option<int>("--evasion-samples") { Description = "Rows the evasion attacks try to flip.", DefaultValueFactory = _ => 20 };
        foreach (var o in new Option[] { protocol, data, model, budget, attack, sensitive, samples })
        {
            command.Options.Add(o);
        }

        command.SetAction((parse, ct) => RunAsync(environment, parse, common, async (targets, harness, tool, token) =>
        {
            SampleData sample;
            try
            {
                sample = SampleData.Read(Path.GetFullPath(parse.GetValue(data)!, environment.CurrentDirectory));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--data: {e.Message}");
            }

            var options = new ModelAttackOptions(parse.GetValue(common.Seed), Positive(parse.GetValue(budget), "--budget"), parse.GetValue(attack) ?? [], Positive(parse.GetValue(samples), "--evasion-samples"), parse.GetValue(sensitive));
            return await RedTeamRunner.RunModelAsync(targets, ModelTarget.ParseProtocol(parse.GetValue(protocol)!), parse.GetValue(model)!, sample, options, harness, tool, environment.Time, token).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static Command ProbesCommand(CliEnvironment environment)
    {
        var command = new Command("probes", "List the shipped LLM probes: family, id, rule and title.");
        command.SetAction(async (parse, ct) =>
        {
            var text = new StringBuilder();
            foreach (var p in ProbeCatalog.Shipped.Probes)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{p.Family,-26} {p.Id,-24} {p.RuleId}  {p.Title}\n");
            }

            await environment.Out.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), ct).ConfigureAwait(false);
            return ExitCodes.Clean;
        });
        return command;
    }

    private static Uri Url(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : throw new UsageException($"'{text}' is not an http(s) URL");

    private static int Positive(int value, string name) => value > 0 ? value : throw new UsageException($"{name} must be a positive number (got {value})");

    private static async Task<int> RunAsync(
        CliEnvironment environment, ParseResult parse, Common common,
        Func<IReadOnlyList<RunTarget>, HarnessOptions, Core.Reporting.ToolInfo, CancellationToken, Task<RedTeamReport>> run, CancellationToken cancellationToken)
    {
        if (!SeverityNames.TryParse(parse.GetValue(common.FailOn), out var failOn))
        {
            throw new UsageException($"--fail-on must be one of info, low, medium, high, critical (got '{parse.GetValue(common.FailOn)}')");
        }

        var target = Url(parse.GetValue(common.Target)!);
        var through = parse.GetValue(common.Through) is { } t ? Url(t) : null;

        var timeout = parse.GetValue(common.Timeout);
        if (timeout <= 0 || parse.GetValue(common.MaxBytes) <= 0 || parse.GetValue(common.Concurrency) <= 0 || parse.GetValue(common.Rate) < 0)
        {
            throw new UsageException("--timeout, --max-response-bytes and --concurrency must be positive and --rate not negative");
        }

        var ledger = parse.GetValue(common.Ledger);
        var modelDigest = parse.GetValue(common.ModelDigest);
        if ((ledger is null) != (modelDigest is null))
        {
            throw new UsageException("recording the run needs both --ledger and --model-digest");
        }

        var output = parse.GetValue(common.Output);
        if (output is not null && Path.GetDirectoryName(Path.GetFullPath(output, environment.CurrentDirectory)) is { } folder && !Directory.Exists(folder))
        {
            throw new UsageException($"cannot write to '{output}': the folder '{folder}' does not exist");
        }

        var targets = new List<RunTarget> { new("direct", target, parse.GetValue(common.ApiKey) ?? Environment.GetEnvironmentVariable("RAMPART_REDTEAM_API_KEY")) };
        if (through is not null)
        {
            targets.Add(new RunTarget("through gateway", through, parse.GetValue(common.ThroughApiKey)));
        }

        var journal = parse.GetValue(common.Journal) is { } j ? Path.GetFullPath(j, environment.CurrentDirectory) : null;
        var harness = new HarnessOptions(new TargetLimits(TimeSpan.FromSeconds(timeout), parse.GetValue(common.MaxBytes), 10_000), parse.GetValue(common.Concurrency), parse.GetValue(common.Rate), journal);
        RedTeamReport report;
        try
        {
            report = await run(targets, harness, RampartTool.Info, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            throw new UsageException(e.Message);
        }

        using var json = new MemoryStream();
        await RedTeamJson.WriteAsync(report, failOn, json, cancellationToken).ConfigureAwait(false);
        var format = parse.GetValue(common.Format);
        var bytes = format switch
        {
            "json" => json.ToArray(),
            "html" => Encoding.UTF8.GetBytes(RedTeamHtml.Render(report, failOn)),
            "sarif" => await SarifAsync(report, failOn, cancellationToken).ConfigureAwait(false),
            _ => Encoding.UTF8.GetBytes(RedTeamText.Render(report, failOn)),
        };
        if (output is null)
        {
            await environment.Out.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            try
            {
                await File.WriteAllBytesAsync(Path.GetFullPath(output, environment.CurrentDirectory), bytes, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new UsageException($"cannot write to '{output}': {e.Message}");
            }
        }

        if (ledger is not null)
        {
            await RecordAsync(environment, parse, common, report, json.ToArray(), cancellationToken).ConfigureAwait(false);
        }

        return report.ExitCode(failOn);
    }

    private static async Task<byte[]> SarifAsync(RedTeamReport report, Severity failOn, CancellationToken cancellationToken)
    {
        using var sarif = new MemoryStream();
        await new SarifReporter().WriteAsync(RedTeamSarif.ToScanReport(report, failOn), sarif, cancellationToken).ConfigureAwait(false);
        return sarif.ToArray();
    }

    private static Task<int> RecordAsync(CliEnvironment environment, ParseResult parse, Common common, RedTeamReport report, byte[] json, CancellationToken cancellationToken) =>
        LedgerCli.RunAsync(environment, async () =>
        {
            var model = await LedgerCli.DigestAsync(environment, parse.GetValue(common.ModelDigest)!, cancellationToken).ConfigureAwait(false);
            var record = EvaluationRecord.Build(report, model, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(json)));
            using var writer = LedgerCli.Signer(environment, parse.GetValue(common.Key), parse.GetValue(common.Signer), required: true)!;
            await using var ledger = await Ledger.OpenAsync(LedgerCli.Location(environment, parse.GetValue(common.Ledger)), writer, environment.Time, cancellationToken).ConfigureAwait(false);
            var entry = await ledger.AppendAsync(record, cancellationToken).ConfigureAwait(false);
            await environment.Error.WriteLineAsync($"rampart: recorded the run as evaluation entry {entry.Sequence} in {ledger.Store.Description}").ConfigureAwait(false);
            return ExitCodes.Clean;
        });
}
