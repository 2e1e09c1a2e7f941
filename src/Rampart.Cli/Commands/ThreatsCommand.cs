using System.CommandLine;
using System.Globalization;
using System.Text;
using Rampart.Core;
using Rampart.Threats.Assessment;
using Rampart.Threats.Atlas;
using Rampart.Threats.Evidence;
using Rampart.Threats.Init;
using Rampart.Threats.Model;
using Rampart.Threats.Reports;
using Rampart.Threats.Rules;

namespace Rampart.Cli.Commands;

/// <summary>rampart threats init|validate|report|diff|atlas refresh: threat models as code (docs/threats.md).</summary>
internal static class ThreatsCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("threats", "Threat modelling as code: describe the ML system in system.yaml, get ATLAS-mapped threats with mitigations checked against Rampart's evidence, a risk register and reports.");
        command.Subcommands.Add(Init(environment));
        command.Subcommands.Add(Validate(environment));
        command.Subcommands.Add(Report(environment));
        command.Subcommands.Add(Diff(environment));
        var atlas = new Command("atlas", "The MITRE ATLAS data the threats are mapped to.");
        atlas.Subcommands.Add(Refresh(environment));
        command.Subcommands.Add(atlas);
        return command;
    }

    private static Command Init(CliEnvironment environment)
    {
        var repo = new Argument<string?>("REPO") { Description = "The repository to draft from (default: the current folder).", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the draft (default: REPO/system.yaml; '-' for standard output)." };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing file." };
        var command = new Command("init", "Draft a system.yaml from what a repository holds: model files, manifests, notebooks, serving and LLM code, datasets, gateway.yaml.") { repo, output, force };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var root = Path.GetFullPath(parse.GetValue(repo) ?? ".", environment.CurrentDirectory);
            if (!Directory.Exists(root))
            {
                throw new UsageException($"'{parse.GetValue(repo)}' is not a folder");
            }

            var target = parse.GetValue(output) ?? Path.Combine(root, "system.yaml");
            var found = await SystemDrafter.ExploreAsync(root, cancellationToken).ConfigureAwait(false);
            var today = DateOnly.FromDateTime(environment.Time.GetUtcNow().UtcDateTime);
            var yaml = SystemDrafter.Draft(Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)), found, today);
            var writer = parse.InvocationConfiguration.Output;
            if (target == "-")
            {
                await writer.WriteAsync(yaml).ConfigureAwait(false);
                return ExitCodes.Clean;
            }

            var full = Path.GetFullPath(target, environment.CurrentDirectory);
            if (File.Exists(full) && !parse.GetValue(force))
            {
                throw new UsageException($"'{target}' exists; use --force to overwrite it, or -o to write elsewhere");
            }

            await File.WriteAllTextAsync(full, yaml, cancellationToken).ConfigureAwait(false);
            await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"drafted {full}: {found.ModelFolders.Count} model folder(s), {found.DataFolders.Count} data folder(s), {found.Notebooks.Count} notebook(s), {found.Manifests.Count} manifest(s), {found.ServingCode.Count} serving and {found.LlmCode.Count} LLM source file(s){(found.Gateway is null ? "" : ", " + found.Gateway)}; fill in the TODOs")).ConfigureAwait(false);
            return ExitCodes.Clean;
        });
        return command;
    }

    private static Command Validate(CliEnvironment environment)
    {
        var system = SystemArgument();
        var command = new Command("validate", "Check a system.yaml: syntax, kinds, references, cycles, risk entries. Exit 0 when valid, 3 with every problem listed.") { system };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = Path.GetFullPath(parse.GetValue(system)!, environment.CurrentDirectory);
            try
            {
                var model = SystemParser.Load(path);
                var assessment = ThreatAssessor.Assess(model, EvidenceSet.Empty, ThreatRuleCatalog.Default, environment.Time.GetUtcNow());
                await parse.InvocationConfiguration.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{parse.GetValue(system)}: valid: {model.Components.Length} components, {model.Flows.Length} flows, {model.Boundaries.Length} trust boundaries, {assessment.Threats.Length} threats")).ConfigureAwait(false);
                return ExitCodes.Clean;
            }
            catch (SystemModelException e)
            {
                return await Problems(environment, e).ConfigureAwait(false);
            }
        });
        return command;
    }

    private static Command Report(CliEnvironment environment)
    {
        var system = SystemArgument();
        var format = new Option<string>("--format", "-f") { Description = "markdown, html, json, sarif (open high risks only) or threat-dragon.", DefaultValueFactory = _ => "markdown" };
        format.AcceptOnlyFromAmong("markdown", "html", "json", "sarif", "threat-dragon");
        var output = new Option<string?>("--output", "-o") { Description = "Write the report to this file instead of standard output." };
        var asOf = new Option<string?>("--as-of") { Description = "Judge evidence freshness as of this date (YYYY-MM-DD) instead of today, for reproducible reports." };
        var command = new Command("report", "Generate the threats of a system.yaml, check their mitigations against the evidence it names, score the risks and write the report. Exit 1 when an open high or critical risk remains.") { system, format, output, asOf };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var time = Clock(environment, parse.GetValue(asOf));
            ThreatAssessment assessment;
            try
            {
                assessment = await ThreatAssessor.AssessFileAsync(Path.GetFullPath(parse.GetValue(system)!, environment.CurrentDirectory), time, cancellationToken).ConfigureAwait(false);
            }
            catch (SystemModelException e)
            {
                return await Problems(environment, e).ConfigureAwait(false);
            }

            var bytes = await RenderAsync(assessment, parse.GetValue(format)!, cancellationToken).ConfigureAwait(false);
            await Emit(environment, parse.GetValue(output), bytes, parse.InvocationConfiguration.Output, cancellationToken).ConfigureAwait(false);
            var open = assessment.OpenHighRisks.Count();
            if (parse.GetValue(output) is not null)
            {
                await parse.InvocationConfiguration.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{assessment.Threats.Length} threats, {open} open high or critical risk(s) -> {parse.GetValue(output)}")).ConfigureAwait(false);
            }

            return open > 0 ? ExitCodes.Findings : ExitCodes.Clean;
        });
        return command;
    }

    /// <summary>The bytes of a report in one of the formats of `threats report`.</summary>
    internal static async Task<byte[]> RenderAsync(ThreatAssessment assessment, string format, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream();
        switch (format)
        {
            case "markdown":
                stream.Write(Encoding.UTF8.GetBytes(MarkdownReport.Write(assessment)));
                break;
            case "html":
                stream.Write(Encoding.UTF8.GetBytes(HtmlReport.Write(assessment)));
                break;
            case "json":
                JsonReport.Write(assessment, stream);
                break;
            case "sarif":
                await SarifExport.WriteAsync(assessment, stream, cancellationToken).ConfigureAwait(false);
                break;
            default:
                ThreatDragonExport.Write(assessment, stream);
                break;
        }

        return stream.ToArray();
    }

    private static Command Diff(CliEnvironment environment)
    {
        var old = new Argument<string>("OLD") { Description = "The system.yaml of the last review." };
        var @new = new Argument<string>("NEW") { Description = "The system.yaml now." };
        var format = new Option<string>("--format", "-f") { Description = "markdown or json.", DefaultValueFactory = _ => "markdown" };
        format.AcceptOnlyFromAmong("markdown", "json");
        var asOf = new Option<string?>("--as-of") { Description = "Judge evidence freshness as of this date (YYYY-MM-DD)." };
        var command = new Command("diff", "What changed in risk between two versions of a system.yaml: components and flows added or removed, threats new, gone, riskier or less risky. Exit 1 when the new version has an open high risk the old one did not.") { old, @new, format, asOf };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var time = Clock(environment, parse.GetValue(asOf));
            AssessmentDiff diff;
            try
            {
                var before = await ThreatAssessor.AssessFileAsync(Path.GetFullPath(parse.GetValue(old)!, environment.CurrentDirectory), time, cancellationToken).ConfigureAwait(false);
                var after = await ThreatAssessor.AssessFileAsync(Path.GetFullPath(parse.GetValue(@new)!, environment.CurrentDirectory), time, cancellationToken).ConfigureAwait(false);
                diff = AssessmentDiff.Compare(before, after);
            }
            catch (SystemModelException e)
            {
                return await Problems(environment, e).ConfigureAwait(false);
            }

            if (parse.GetValue(format) == "json")
            {
                using var stream = new MemoryStream();
                diff.WriteJson(stream);
                await parse.InvocationConfiguration.Output.WriteAsync(Encoding.UTF8.GetString(stream.ToArray())).ConfigureAwait(false);
            }
            else
            {
                await parse.InvocationConfiguration.Output.WriteAsync(diff.ToMarkdown()).ConfigureAwait(false);
            }

            return diff.NewOpenHighRisk ? ExitCodes.Findings : ExitCodes.Clean;
        });
        return command;
    }

    private static Command Refresh(CliEnvironment environment)
    {
        var from = new Option<string>("--from") { Description = "ATLAS.yaml as published by mitre-atlas/atlas-data (dist/ATLAS.yaml).", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the compact JSON (default: rules/atlas/atlas.json).", DefaultValueFactory = _ => Path.Combine("rules", "atlas", "atlas.json") };
        var command = new Command("refresh", "Re-import MITRE ATLAS from its published YAML into the compact JSON Rampart embeds; then rebuild.") { from, output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            AtlasCatalog catalog;
            try
            {
                catalog = AtlasImporter.ImportFile(Path.GetFullPath(parse.GetValue(from)!, environment.CurrentDirectory));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or Core.IO.FileTooLargeException)
            {
                throw new UsageException(e.Message);
            }

            var target = Path.GetFullPath(parse.GetValue(output)!, environment.CurrentDirectory);
            if (Path.GetDirectoryName(target) is { } folder && !Directory.Exists(folder))
            {
                throw new UsageException($"cannot write to '{parse.GetValue(output)}': the folder '{folder}' does not exist");
            }

            await using (var stream = File.Create(target))
            {
                catalog.Write(stream);
            }

            await parse.InvocationConfiguration.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"ATLAS {catalog.Version}: {catalog.Tactics.Length} tactics, {catalog.Techniques.Length} techniques, {catalog.Mitigations.Length} mitigations -> {target}")).ConfigureAwait(false);
            return ExitCodes.Clean;
        });
        return command;
    }

    private static Argument<string> SystemArgument() => new("SYSTEM") { Description = "The system description (system.yaml)." };

    private static async Task<int> Problems(CliEnvironment environment, SystemModelException e)
    {
        foreach (var error in e.Errors)
        {
            await environment.Error.WriteLineAsync($"rampart: {error}").ConfigureAwait(false);
        }

        return ExitCodes.UsageError;
    }

    private static async Task Emit(CliEnvironment environment, string? output, byte[] bytes, TextWriter stdout, CancellationToken cancellationToken)
    {
        if (output is null)
        {
            await stdout.WriteAsync(Encoding.UTF8.GetString(bytes)).ConfigureAwait(false);
            return;
        }

        var target = Path.GetFullPath(output, environment.CurrentDirectory);
        if (Path.GetDirectoryName(target) is { } folder && !Directory.Exists(folder))
        {
            throw new UsageException($"cannot write to '{output}': the folder '{folder}' does not exist");
        }

        await File.WriteAllBytesAsync(target, bytes, cancellationToken).ConfigureAwait(false);
    }

    private static TimeProvider Clock(CliEnvironment environment, string? asOf)
    {
        if (asOf is null)
        {
            return environment.Time;
        }

        return DateOnly.TryParseExact(asOf, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? new FixedClock(new DateTimeOffset(date.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero))
            : throw new UsageException($"--as-of '{asOf}' is not a date (YYYY-MM-DD)");
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
