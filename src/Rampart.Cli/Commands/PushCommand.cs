using System.CommandLine;

namespace Rampart.Cli.Commands;

/// <summary>rampart push FILE: uploads a model or dataset version to a server (token from RAMPART_TOKEN); --wait reports the gate.</summary>
internal static class PushCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var shared = new RegistryClient.Options();
        var file = new Argument<string>("file") { Description = "The model or dataset file." };
        var kind = new Option<string>("--kind") { Description = "model or dataset.", DefaultValueFactory = _ => "model" };
        var signature = new Option<string?>("--signature") { Description = "OpenSSF Model Signing bundle of the file (rampart sign).", HelpName = "FILE" };
        var requirements = new Option<string?>("--requirements") { Description = "requirements.txt the model needs (audited by the server).", HelpName = "FILE" };
        var wait = new Option<bool>("--wait") { Description = "Wait for the quarantine gate; exit 1 when the version stays quarantined." };
        var command = new Command("push", "Upload a version to a Rampart server; it is quarantined and scanned before anyone can approve it.") { file, kind, signature, requirements, wait };
        shared.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await RegistryVerbs.RunAsync(parse, async () =>
        {
            var path = Path.GetFullPath(parse.GetValue(file)!, environment.CurrentDirectory);
            if (!File.Exists(path))
            {
                throw new UsageException($"no such file: {path}");
            }

            string? Optional(Option<string?> option) => parse.GetValue(option) is { } p ? Path.GetFullPath(p, environment.CurrentDirectory) : null;
            using var client = RegistryClient.Create(parse.GetValue(shared.Server));
            var version = await client.PushAsync(parse.GetValue(shared.Project)!, parse.GetValue(shared.Artifact)!, parse.GetValue(shared.Version)!, parse.GetValue(kind)!, path, Optional(signature), Optional(requirements), null, cancellationToken).ConfigureAwait(false);
            var stdout = parse.InvocationConfiguration.Output;
            await stdout.WriteLineAsync($"pushed {version["artifact"]}@{version["version"]} {version["digest"]}: {version["state"]}").ConfigureAwait(false);
            if (!parse.GetValue(wait))
            {
                return Core.ExitCodes.Clean;
            }

            var detail = await client.WaitForGateAsync(shared.VersionPath(parse), cancellationToken).ConfigureAwait(false);
            var state = detail["version"]!["state"]!.GetValue<string>();
            await stdout.WriteLineAsync($"gate: {state} (scan {detail["scan"]}, signature {detail["signature"]}, audit {detail["audit"]})").ConfigureAwait(false);
            foreach (var finding in detail["findings"]!.AsArray())
            {
                await stdout.WriteLineAsync($"  {finding!["severity"]} {finding["rule"]} {finding["path"]}: {finding["message"]}").ConfigureAwait(false);
            }

            return state == "quarantined" ? Core.ExitCodes.Findings : Core.ExitCodes.Clean;
        }).ConfigureAwait(false));
        return command;
    }
}
