using System.CommandLine;
using System.Text;
using System.Text.Json;
using Rampart.Integrity.Hashing;

namespace Rampart.Cli.Commands;

/// <summary>
/// rampart hash MODEL_PATH: the model's root digest exactly as OpenSSF Model Signing computes it (the signature's
/// subject), like the reference's "digest" command; --format json also lists every resource (docs/commands/hash.md).
/// </summary>
internal static class HashCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var common = new IntegrityOptions();
        var serialization = new Option<string?>("--serialization") { Description = "files (one digest per file, the default) or shards.", HelpName = "METHOD" };
        var shardSize = IntegrityOptions.WithUnderscore(new Option<string?>("--shard-size") { Description = "Shard size in bytes for --serialization shards (default 1000000000).", HelpName = "BYTES" });
        var format = new Option<string>("--format", "-f") { Description = "text (sha256:DIGEST) or json (digest and every resource).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("hash", "Compute a model's OpenSSF Model Signing digest (the subject a signature would carry).");
        common.AddTo(command);
        command.Options.Add(serialization);
        command.Options.Add(shardSize);
        command.Options.Add(format);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var model = IntegrityOptions.Model(parse, common.ModelPath);
            var options = new HashingOptions
            {
                Method = IntegrityOptions.ParseSerialization(parse.GetValue(serialization)),
                ShardSize = IntegrityOptions.ParseShardSize(parse.GetValue(shardSize)),
                IgnorePaths = [.. common.ModelRelativeIgnores(parse, model, environment.CurrentDirectory)],
                IgnoreGitPaths = common.GitPaths(parse),
                AllowSymlinks = parse.GetValue(common.AllowSymlinks),
                IsRegularFile = IntegrityOptions.RegularFile,
            };
            ModelManifest manifest;
            try
            {
                manifest = await ModelHasher.HashAsync(model, options, cancellationToken).ConfigureAwait(false);
            }
            catch (IntegrityException e)
            {
                throw new UsageException($"cannot hash '{model}': {e.Message}");
            }

            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(format) == "json")
            {
                await output.WriteLineAsync(Json(manifest)).ConfigureAwait(false);
            }
            else
            {
                await output.WriteLineAsync($"sha256:{manifest.RootDigestHex}").ConfigureAwait(false);
            }

            return Core.ExitCodes.Clean;
        });
        return command;
    }

    private static string Json(ModelManifest manifest)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("name", manifest.ModelName);
            w.WriteString("digest", "sha256:" + manifest.RootDigestHex);
            w.WriteString("serialization", manifest.Serialization.MethodName);
            if (manifest.Serialization.ShardSize is { } size)
            {
                w.WriteNumber("shardSize", size);
            }

            w.WriteStartArray("ignorePaths");
            foreach (var p in manifest.Serialization.IgnorePaths)
            {
                w.WriteStringValue(p);
            }

            w.WriteEndArray();
            w.WriteStartArray("resources");
            foreach (var r in manifest.Resources)
            {
                w.WriteStartObject();
                w.WriteString("name", r.Name);
                w.WriteString("algorithm", r.Algorithm);
                w.WriteString("digest", r.DigestHex);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
