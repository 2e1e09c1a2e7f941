using System.CommandLine;
using System.Security.Cryptography;
using Rampart.Integrity.Hashing;
using Rampart.Integrity.Signing;

namespace Rampart.Cli.Commands;

/// <summary>
/// rampart sign key|certificate ... MODEL_PATH: writes an OpenSSF Model Signing signature (Sigstore bundle v0.3,
/// DSSE, in-toto statement) the reference can verify (docs/commands/sign.md). Nothing from the key is ever printed.
/// </summary>
internal static class SignCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("sign", "Sign a model (OpenSSF Model Signing format) with an ECDSA key or a key and certificate.");
        command.Subcommands.Add(Method(environment, certificate: false));
        command.Subcommands.Add(Method(environment, certificate: true));
        return command;
    }

    private static Command Method(CliEnvironment environment, bool certificate)
    {
        var common = new IntegrityOptions();
        var signature = new Option<string>("--signature") { Description = "Where to write the signature (default model.sig).", DefaultValueFactory = _ => "model.sig", HelpName = "SIGNATURE_PATH" };
        var privateKey = IntegrityOptions.WithUnderscore(new Option<string>("--private-key") { Description = "PEM ECDSA private key (P-256, P-384 or P-521).", Required = true, HelpName = "PRIVATE_KEY" });
        var password = new Option<string?>("--password") { Description = "Password of an encrypted private key.", HelpName = "PASSWORD" };
        var serialization = new Option<string?>("--serialization") { Description = "files (default, as the reference CLI) or shards.", HelpName = "METHOD" };
        var shardSize = IntegrityOptions.WithUnderscore(new Option<string?>("--shard-size") { Description = "Shard size in bytes for shards (default 1000000000).", HelpName = "BYTES" });
        var signingCertificate = IntegrityOptions.WithUnderscore(new Option<string>("--signing-certificate") { Description = "PEM certificate of the signing key.", Required = true, HelpName = "CERTIFICATE_PATH" });
        var chain = IntegrityOptions.WithUnderscore(new Option<string[]>("--certificate-chain") { Description = "PEM certificates of the chain (repeatable), stored in the signature.", HelpName = "CERTIFICATE_PATH", Arity = ArgumentArity.ZeroOrMore });
        var command = new Command(certificate ? "certificate" : "key", certificate
            ? "Sign with a private key and its certificate chain."
            : "Sign with an ECDSA private key (verify with its public key).");
        common.AddTo(command);
        command.Options.Add(signature);
        command.Options.Add(privateKey);
        command.Options.Add(password);
        command.Options.Add(serialization);
        command.Options.Add(shardSize);
        if (certificate)
        {
            command.Options.Add(signingCertificate);
            command.Options.Add(chain);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var model = IntegrityOptions.Model(parse, common.ModelPath);
            var signaturePath = Path.GetFullPath(parse.GetValue(signature)!, environment.CurrentDirectory);
            var options = new HashingOptions
            {
                Method = IntegrityOptions.ParseSerialization(parse.GetValue(serialization)),
                ShardSize = IntegrityOptions.ParseShardSize(parse.GetValue(shardSize)),
                IgnorePaths = [.. common.ModelRelativeIgnores(parse, model, environment.CurrentDirectory, [signaturePath])],
                IgnoreGitPaths = common.GitPaths(parse),
                AllowSymlinks = parse.GetValue(common.AllowSymlinks),
                IsRegularFile = IntegrityOptions.RegularFile,
            };
            SigstoreBundle bundle;
            ModelManifest manifest;
            try
            {
                using ECDsa key = KeyMaterial.LoadPrivateKey(Path.GetFullPath(parse.GetValue(privateKey)!, environment.CurrentDirectory), parse.GetValue(password));
                manifest = await ModelHasher.HashAsync(model, options, cancellationToken).ConfigureAwait(false);
                if (certificate)
                {
                    var leaf = KeyMaterial.LoadCertificates([Path.GetFullPath(parse.GetValue(signingCertificate)!, environment.CurrentDirectory)])[0];
                    var rest = KeyMaterial.LoadCertificates([.. (parse.GetValue(chain) ?? []).Select(p => Path.GetFullPath(p, environment.CurrentDirectory))]);
                    bundle = ModelSigner.SignWithCertificate(manifest, key, leaf, rest);
                }
                else
                {
                    bundle = ModelSigner.SignWithKey(manifest, key);
                }

                ModelSigner.Write(bundle, signaturePath);
            }
            catch (IntegrityException e)
            {
                throw new UsageException($"signing failed: {e.Message}");
            }

            var stdout = parse.InvocationConfiguration.Output;
            await stdout.WriteLineAsync(
                $"Signing succeeded: {signaturePath} ({manifest.Resources.Length} {manifest.Serialization.MethodName}, subject '{manifest.ModelName}' sha256:{manifest.RootDigestHex})").ConfigureAwait(false);
            return Core.ExitCodes.Clean;
        });
        return command;
    }
}
