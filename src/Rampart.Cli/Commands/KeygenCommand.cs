using System.CommandLine;
using Rampart.Integrity.Hashing;
using Rampart.Integrity.Signing;

namespace Rampart.Cli.Commands;

/// <summary>rampart keygen --curve p256 --out PREFIX: PREFIX.pem (private, 0600) and PREFIX.pub (docs/commands/keygen.md).</summary>
internal static class KeygenCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var curve = new Option<string>("--curve") { Description = "p256 (default), p384 or p521.", DefaultValueFactory = _ => "p256", HelpName = "CURVE" };
        curve.AcceptOnlyFromAmong("p256", "p384", "p521");
        var output = new Option<string>("--out", "-o") { Description = "Prefix: writes PREFIX.pem (private key, owner-only) and PREFIX.pub.", Required = true, HelpName = "PREFIX" };
        var command = new Command("keygen", "Create an ECDSA key pair for 'rampart sign key'.") { curve, output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var chosen = parse.GetValue(curve) switch
            {
                "p384" => SigningCurve.P384,
                "p521" => SigningCurve.P521,
                _ => SigningCurve.P256,
            };
            var prefix = Path.GetFullPath(parse.GetValue(output)!, environment.CurrentDirectory);
            (string PrivatePath, string PublicPath) written;
            try
            {
                written = KeyMaterial.GenerateKeyPair(chosen, prefix);
            }
            catch (IntegrityException e)
            {
                throw new UsageException(e.Message);
            }

            var stdout = parse.InvocationConfiguration.Output;
            await stdout.WriteLineAsync($"private key: {written.PrivatePath} (owner read/write only; keep it secret)").ConfigureAwait(false);
            await stdout.WriteLineAsync($"public key:  {written.PublicPath}").ConfigureAwait(false);
            return Core.ExitCodes.Clean;
        });
        return command;
    }
}
