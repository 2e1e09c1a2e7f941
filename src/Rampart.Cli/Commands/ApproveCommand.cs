using System.CommandLine;
using System.Text.Json.Nodes;

namespace Rampart.Cli.Commands;

/// <summary>rampart approve [--reject]: a security reviewer's decision on a version (never the uploader's own).</summary>
internal static class ApproveCommand
{
    public static Command Create(CliEnvironment environment)
    {
        _ = environment;
        var shared = new RegistryClient.Options();
        var note = new Option<string?>("--note") { Description = "Why (kept with the decision and in the ledger)." };
        var reject = new Option<bool>("--reject") { Description = "Reject instead of approve." };
        var command = new Command("approve", "Approve (release) or reject a quarantined version on a Rampart server.") { note, reject };
        shared.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await RegistryVerbs.RunAsync(parse, async () =>
        {
            using var client = RegistryClient.Create(parse.GetValue(shared.Server));
            var verb = parse.GetValue(reject) ? "reject" : "approve";
            var version = await client.SendAsync(HttpMethod.Post, $"{shared.VersionPath(parse)}/{verb}", RegistryClient.Body(new JsonObject { ["note"] = parse.GetValue(note) }), cancellationToken).ConfigureAwait(false);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"{version["artifact"]}@{version["version"]}: {version["state"]}").ConfigureAwait(false);
            return Core.ExitCodes.Clean;
        }).ConfigureAwait(false));
        return command;
    }
}
