using System.CommandLine;
using Rampart.Cli.Reporting;
using Rampart.Core;
using Rampart.Core.Reporting;

namespace Rampart.Cli.Commands;

/// <summary>
/// `rampart scan FILE --upload`: after the local scan, pushes the file and its JSON scan report to a server
/// (docs/server.md). The server quarantines and scans the file again whatever the client says; the client's report
/// is kept as evidence. The token comes from RAMPART_TOKEN, the server from --server or RAMPART_SERVER.
/// Exit code: the local scan's when it is not clean, else 1 when --wait sees the version quarantined, else 0;
/// a refusal or an unreachable server is one line on stderr and exit 4 whatever the scan said.
/// </summary>
internal sealed class ScanUpload
{
    // No short aliases: scan already uses -p for --policy and -f, -o, -v for its report.
    public Option<bool> Upload { get; } = new("--upload") { Description = "After scanning, push the file and the scan report to a Rampart server ($RAMPART_TOKEN)." };

    public Option<string?> Server { get; } = new("--server") { Description = $"Server URL for --upload (default: ${RegistryClient.ServerVariable}).", HelpName = "URL" };

    public Option<string?> Project { get; } = new("--project") { Description = "Project to upload to (with --upload)." };

    public Option<string?> Artifact { get; } = new("--artifact") { Description = "Model or dataset name (with --upload)." };

    public Option<string?> Version { get; } = new("--version") { Description = "Version label (with --upload)." };

    public Option<string> Kind { get; } = new("--kind") { Description = "model or dataset (with --upload).", DefaultValueFactory = _ => "model" };

    public Option<string?> Signature { get; } = new("--signature") { Description = "OpenSSF Model Signing bundle of the file (with --upload).", HelpName = "FILE" };

    public Option<string?> Requirements { get; } = new("--requirements") { Description = "requirements.txt the model needs (with --upload).", HelpName = "FILE" };

    public Option<bool> Wait { get; } = new("--wait") { Description = "With --upload: wait for the server's gate; exit 1 when the version stays quarantined." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Upload, Server, Project, Artifact, Version, Kind, Signature, Requirements, Wait })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>What --upload needs, checked before the scan starts so a CI job fails fast on a typo.</summary>
    public sealed record Request(string File, string? Server, string Project, string Artifact, string Version, string Kind, string? Signature, string? Requirements, bool Wait);

    /// <summary>The upload request, or null without --upload; a usage error when an option is missing or misplaced.</summary>
    public Request? Read(ParseResult parse, IReadOnlyList<string> paths, string currentDirectory)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (!parse.GetValue(Upload))
        {
            var stray = new Option[] { Server, Project, Artifact, Version, Signature, Requirements, Wait }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false });
            return stray is null ? null : throw new UsageException($"{stray.Name} only goes with --upload");
        }

        if (paths.Count != 1 || !File.Exists(Path.GetFullPath(paths[0], currentDirectory)))
        {
            throw new UsageException("--upload takes exactly one file to scan and upload");
        }

        string Required(Option<string?> option) => parse.GetValue(option) is { Length: > 0 } value ? value : throw new UsageException($"--upload needs {option.Name}");
        string? Optional(Option<string?> option) => parse.GetValue(option) is { } p ? Path.GetFullPath(p, currentDirectory) : null;
        return new Request(Path.GetFullPath(paths[0], currentDirectory), parse.GetValue(Server), Required(Project), Required(Artifact), Required(Version),
            parse.GetValue(Kind)!, Optional(Signature), Optional(Requirements), parse.GetValue(Wait));
    }

    /// <summary>Pushes the file with the report in JSON; returns the exit code for the whole command.</summary>
    public static async Task<int> RunAsync(Request request, ScanReport report, CliEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(environment);
        using var json = new MemoryStream();
        var reporter = ReporterRegistry.Create("json", new ReporterOptions(Color: false, Verbose: true, Width: ConsoleReporter.UnlimitedWidth, BaseDirectory: environment.CurrentDirectory));
        await reporter.WriteAsync(report, json, cancellationToken).ConfigureAwait(false);
        try
        {
            using var client = RegistryClient.Create(request.Server);
            var version = await client.PushAsync(request.Project, request.Artifact, request.Version, request.Kind, request.File, request.Signature, request.Requirements, json.ToArray(), cancellationToken).ConfigureAwait(false);
            await environment.Error.WriteLineAsync($"rampart: uploaded {version["artifact"]}@{version["version"]} {version["digest"]} with the scan report (local verdict {report.Verdict.ToWire()}): {version["state"]}").ConfigureAwait(false);
            var gateExit = ExitCodes.Clean;
            if (request.Wait)
            {
                var path = $"/api/v1/projects/{Uri.EscapeDataString(request.Project)}/artifacts/{Uri.EscapeDataString(request.Artifact)}/versions/{Uri.EscapeDataString(request.Version)}";
                var detail = await client.WaitForGateAsync(path, cancellationToken).ConfigureAwait(false);
                var state = detail["version"]!["state"]!.GetValue<string>();
                await environment.Error.WriteLineAsync($"rampart: server gate: {state} (scan {detail["scan"]}, signature {detail["signature"]}, audit {detail["audit"]})").ConfigureAwait(false);
                gateExit = state == "quarantined" ? ExitCodes.Findings : ExitCodes.Clean;
            }

            return report.ExitCode != ExitCodes.Clean ? report.ExitCode : gateExit;
        }
        catch (RegistryException e)
        {
            await environment.Error.WriteLineAsync($"rampart: upload failed: {e.Message}").ConfigureAwait(false);
            return ExitCodes.VerificationFailed;
        }
    }
}
