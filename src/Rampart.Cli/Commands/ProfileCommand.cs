using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Rampart.Guard.Detectors.Drift;

namespace Rampart.Cli.Commands;

/// <summary>rampart profile build|compare: reference profiles of training data and drift against them (docs/commands/profile.md).</summary>
internal static class ProfileCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("profile", "Build a reference profile of data (quantile sketches, top values, missing rates) and compare new data with it.");
        command.Subcommands.Add(Build(environment));
        command.Subcommands.Add(Compare(environment));
        return command;
    }

    private static Command Build(CliEnvironment environment)
    {
        var data = new Argument<string>("DATA") { Description = "CSV with a header row, or JSON Lines (.jsonl) of flat objects." };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the profile (default: DATA.profile.json)." };
        var prediction = new Option<string?>("--prediction") { Description = "The column holding the model's predictions, profiled as the prediction distribution." };
        var command = new Command("build", "Build a reference profile of DATA.") { data, output, prediction };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = Path.GetFullPath(parse.GetValue(data)!, environment.CurrentDirectory);
            var profile = Read(path, parse.GetValue(prediction));
            var target = Path.GetFullPath(parse.GetValue(output) ?? path + ".profile.json", environment.CurrentDirectory);
            await using (var stream = File.Create(target))
            {
                profile.Write(stream);
            }

            await parse.InvocationConfiguration.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"profiled {profile.Rows} rows, {profile.Features.Length} columns ({profile.Features.Count(f => f.IsNumeric)} numeric) -> {target}")).ConfigureAwait(false);
            return Core.ExitCodes.Clean;
        });
        return command;
    }

    private static Command Compare(CliEnvironment environment)
    {
        var profileArg = new Argument<string>("PROFILE") { Description = "A profile written by `rampart profile build`." };
        var data = new Argument<string>("DATA") { Description = "Current data: CSV or JSON Lines." };
        var format = new Option<string>("--format", "-f") { Description = "console or json.", DefaultValueFactory = _ => "console" };
        format.AcceptOnlyFromAmong("console", "json");
        var command = new Command("compare", "Report PSI, Kolmogorov-Smirnov and Jensen-Shannon per column; exit 1 when any column drifted.") { profileArg, data, format };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var profilePath = Path.GetFullPath(parse.GetValue(profileArg)!, environment.CurrentDirectory);
            DataProfile reference;
            try
            {
                await using var stream = File.OpenRead(profilePath);
                reference = DataProfile.Read(stream);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                throw new UsageException($"cannot read profile '{profilePath}': {e.Message}");
            }

            var predictionColumn = reference.Features.FirstOrDefault(f => f.IsPrediction)?.Name;
            var current = Read(Path.GetFullPath(parse.GetValue(data)!, environment.CurrentDirectory), predictionColumn);
            var drift = DriftComparer.Compare(reference, current);
            var writer = parse.InvocationConfiguration.Output;
            await writer.WriteLineAsync(parse.GetValue(format) == "json" ? Json(drift) : Table(drift)).ConfigureAwait(false);
            return drift.Any(d => d.Drifted) ? Core.ExitCodes.Findings : Core.ExitCodes.Clean;
        });
        return command;
    }

    private static DataProfile Read(string path, string? prediction)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"cannot read '{path}': no such file");
        }

        try
        {
            return DataProfile.Build(TableReader.Read(path), prediction);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static string Table(ImmutableArray<FeatureDrift> drift)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| column | PSI | KS | JS | missing change | drift |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | --- |");
        foreach (var d in drift)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {d.Name}{(d.IsPrediction ? " (prediction)" : "")} | {F(d.Psi)} | {F(d.KolmogorovSmirnov)} | {F(d.JensenShannon)} | {F(d.MissingRateChange)} | {(d.Drifted ? "DRIFT: " + d.Reason : "-")} |");
        }

        sb.Append(CultureInfo.InvariantCulture, $"{drift.Count(d => d.Drifted)} of {drift.Length} columns drifted");
        return sb.ToString();
    }

    private static string F(double d) => double.IsNaN(d) ? "-" : d.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Json(ImmutableArray<FeatureDrift> drift)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var d in drift)
            {
                w.WriteStartObject();
                w.WriteString("column", d.Name);
                w.WriteBoolean("prediction", d.IsPrediction);
                foreach (var (name, value) in new[] { ("psi", d.Psi), ("ks", d.KolmogorovSmirnov), ("js", d.JensenShannon), ("missingRateChange", d.MissingRateChange) })
                {
                    if (double.IsNaN(value))
                    {
                        w.WriteNull(name);
                    }
                    else
                    {
                        w.WriteNumber(name, Math.Round(value, 5));
                    }
                }

                w.WriteBoolean("drifted", d.Drifted);
                w.WriteString("reason", d.Reason);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
