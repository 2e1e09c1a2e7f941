using System.CommandLine;

namespace Rampart.Cli.Commands;

/// <summary>rampart pull: downloads a released version, checking its digest before the file appears.</summary>
internal static class PullCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var shared = new RegistryClient.Options();
        var output = new Option<string>("--output", "-o") { Description = "Where to write the file.", Required = true, HelpName = "FILE" };
        var command = new Command("pull", "Download a released version from a Rampart server (digest checked).") { output };
        shared.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await RegistryVerbs.RunAsync(parse, async () =>
        {
            using var client = RegistryClient.Create(parse.GetValue(shared.Server));
            var target = Path.GetFullPath(parse.GetValue(output)!, environment.CurrentDirectory);
            var digest = await client.PullAsync(shared.VersionPath(parse), target, cancellationToken).ConfigureAwait(false);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"{target} {digest}").ConfigureAwait(false);
            return Core.ExitCodes.Clean;
        }).ConfigureAwait(false));
        return command;
    }
}
