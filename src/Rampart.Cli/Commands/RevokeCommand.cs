using System.CommandLine;
using System.Text.Json.Nodes;

namespace Rampart.Cli.Commands;

/// <summary>rampart revoke: takes a version out of service everywhere (gateways polling the revocation list refuse it).</summary>
internal static class RevokeCommand
{
    public static Command Create(CliEnvironment environment)
    {
        _ = environment;
        var shared = new RegistryClient.Options();
        var reason = new Option<string>("--reason") { Description = "Why (required; recorded in the ledger).", Required = true };
        var command = new Command("revoke", "Revoke a version on a Rampart server.") { reason };
        shared.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await RegistryVerbs.RunAsync(parse, async () =>
        {
            using var client = RegistryClient.Create(parse.GetValue(shared.Server));
            var version = await client.SendAsync(HttpMethod.Post, $"{shared.VersionPath(parse)}/revoke", RegistryClient.Body(new JsonObject { ["reason"] = parse.GetValue(reason) }), cancellationToken).ConfigureAwait(false);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"{version["artifact"]}@{version["version"]}: {version["state"]}").ConfigureAwait(false);
            return Core.ExitCodes.Clean;
        }).ConfigureAwait(false));
        return command;
    }
}

/// <summary>One error path for the registry verbs: a refusal or an unreachable server is one line on stderr and exit 4.</summary>
internal static class RegistryVerbs
{
    public static async Task<int> RunAsync(ParseResult parse, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (RegistryException e)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"rampart: {e.Message}").ConfigureAwait(false);
            return Core.ExitCodes.VerificationFailed;
        }
    }
}
