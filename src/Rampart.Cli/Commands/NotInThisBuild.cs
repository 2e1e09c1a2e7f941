using System.CommandLine;
using Rampart.Core;

namespace Rampart.Cli.Commands;

/// <summary>
/// A verb the NativeAOT build leaves out because it hosts ASP.NET Core (gateway, server) or reads the gateway's
/// configuration types (threats). It is still listed by `rampart --help`, so a user of the native binary learns that the
/// verb exists and where to get it; any use of it prints one line and exits 2 (could not be done here), whatever
/// arguments follow.
/// </summary>
internal static class NotInThisBuild
{
    public static Func<CliEnvironment, Command> For(string verb, string description) => environment =>
    {
        var command = new Command(verb, $"{description} (not in the NativeAOT build)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(_ =>
        {
            environment.Error.WriteLine(Message(verb));
            return ExitCodes.Inconclusive;
        });
        return command;
    };

    internal static string Message(string verb) =>
        $"rampart: '{verb}' is not in this build (the NativeAOT binary leaves out the verbs that need ASP.NET Core); use the dotnet tool or the ReadyToRun build (docs/install.md)";
}
