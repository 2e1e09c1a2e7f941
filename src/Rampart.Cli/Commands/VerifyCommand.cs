using System.Collections.Immutable;
using System.CommandLine;
using Rampart.Cli.Reporting;
using Rampart.Core;
using Rampart.Core.Reporting;
using Rampart.Integrity.Signing;
using Rampart.Scanning;
using Rampart.Scanning.Analyzers.Signatures;

namespace Rampart.Cli.Commands;

/// <summary>
/// rampart verify key|certificate --signature S ... MODEL_PATH: runs every check in order and reports failures as
/// RAMP-SIG findings through the usual reporters; exit 0 when it verifies, 4 when not (docs/commands/verify.md).
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("verify", "Verify a model against its OpenSSF Model Signing signature; every changed, missing or extra file is named.");
        command.Subcommands.Add(Method(environment, certificate: false));
        command.Subcommands.Add(Method(environment, certificate: true));
        return command;
    }

    private static Command Method(CliEnvironment environment, bool certificate)
    {
        var common = new IntegrityOptions();
        var signature = new Option<string>("--signature") { Description = "The signature to verify.", Required = true, HelpName = "SIGNATURE_PATH" };
        var publicKey = IntegrityOptions.WithUnderscore(new Option<string>("--public-key") { Description = "PEM public key paired with the signing key.", Required = true, HelpName = "PUBLIC_KEY" });
        var chain = IntegrityOptions.WithUnderscore(new Option<string[]>("--certificate-chain") { Description = "PEM trust roots (repeatable): the CA certificates the signing certificate must chain to.", HelpName = "CERTIFICATE_PATH", Arity = ArgumentArity.OneOrMore, Required = true });
        var ignoreUnsigned = IntegrityOptions.WithUnderscore(new Option<bool>("--ignore-unsigned-files") { Description = "Compare only the files the signature lists; extra files are not an error." });
        var format = new Option<string>("--format", "-f") { Description = $"Report format: {string.Join(", ", ReporterRegistry.Formats)}.", DefaultValueFactory = _ => ReporterRegistry.DefaultFormat, HelpName = "FORMAT" };
        format.AcceptOnlyFromAmong([.. ReporterRegistry.Formats]);
        var command = new Command(certificate ? "certificate" : "key", certificate
            ? "Verify a signature made with a certificate, against the given trust roots."
            : "Verify a signature made with a private key, against its public key.");
        common.AddTo(command);
        command.Options.Add(signature);
        command.Options.Add(certificate ? chain : publicKey);
        command.Options.Add(ignoreUnsigned);
        command.Options.Add(format);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var started = environment.Time.GetUtcNow();
            var model = IntegrityOptions.Model(parse, common.ModelPath);
            var signaturePath = Path.GetFullPath(parse.GetValue(signature)!, environment.CurrentDirectory);
            VerificationTrust trust = certificate
                ? new VerificationTrust.Certificates([.. (parse.GetValue(chain) ?? []).Select(p => Path.GetFullPath(p, environment.CurrentDirectory))])
                : new VerificationTrust.PublicKey(Path.GetFullPath(parse.GetValue(publicKey)!, environment.CurrentDirectory));
            var options = new VerificationOptions
            {
                IgnorePaths = [.. common.ModelRelativeIgnores(parse, model, environment.CurrentDirectory)],
                IgnoreGitPaths = common.GitPaths(parse),
                AllowSymlinks = parse.GetValue(common.AllowSymlinks),
                IgnoreUnsignedFiles = parse.GetValue(ignoreUnsigned),
                IsRegularFile = IntegrityOptions.RegularFile,
            };
            var result = await ModelVerifier.VerifyAsync(model, signaturePath, trust, options, cancellationToken).ConfigureAwait(false);
            var report = ToReport(result, model, started, environment.Time.GetUtcNow() - started);
            var formatName = parse.GetValue(format) ?? ReporterRegistry.DefaultFormat;
            var stdout = parse.InvocationConfiguration.Output;
            if (string.Equals(formatName, "console", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var check in result.Checks)
                {
                    await stdout.WriteLineAsync($"{(check.Passed ? "ok    " : "FAILED")}  {check.Name}: {check.Detail}").ConfigureAwait(false);
                }

                foreach (var warning in result.Warnings)
                {
                    await stdout.WriteLineAsync($"warning  {warning}").ConfigureAwait(false);
                }

                await stdout.WriteLineAsync(result.Succeeded ? "Verification succeeded" : $"Verification failed: {result.Problems.Length} problem(s)").ConfigureAwait(false);
                await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (result.Succeeded)
                {
                    return ExitCodes.Clean;
                }
            }

            var reporter = ReporterRegistry.Create(formatName, new ReporterOptions(
                Color: environment.OutIsTerminal && !environment.NoColor,
                Verbose: false,
                Width: environment.OutIsTerminal ? environment.TerminalWidth : ConsoleReporter.UnlimitedWidth,
                BaseDirectory: environment.CurrentDirectory));
            await reporter.WriteAsync(report, environment.Out, cancellationToken).ConfigureAwait(false);
            return result.Succeeded ? ExitCodes.Clean : ExitCodes.VerificationFailed;
        });
        return command;
    }

    /// <summary>The verification as a scan report: one artifact (the model), one RAMP-SIG finding per problem.</summary>
    internal static ScanReport ToReport(VerificationResult result, string model, DateTimeOffset started, TimeSpan duration)
    {
        var rules = AnalyzerRegistry.Rules;
        var findings = result.Problems.Select(p =>
        {
            var rule = rules[SignatureFindings.RuleFor(p.Kind)];
            var properties = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            properties["name"] = p.Resource ?? "signature";
            if (p.Expected is not null)
            {
                properties["expected"] = p.Expected;
            }

            if (p.Actual is not null)
            {
                properties["actual"] = p.Actual;
            }

            return new Finding(rule.Id, rule.Severity, rule.Verdict, p.Message, model, new FindingLocation(Detail: p.Resource), properties.ToImmutable());
        }).ToImmutableArray();
        var facts = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var check in result.Checks)
        {
            facts[$"signatures.check.{check.Name.Replace(' ', '-')}"] = (check.Passed ? "ok: " : "FAILED: ") + check.Detail;
        }

        if (result.SignedManifest is { } signed)
        {
            facts["signatures.subject"] = $"{signed.ModelName} sha256:{signed.RootDigestHex}";
            facts["signatures.serialization"] = signed.Serialization.MethodName;
        }

        var verdict = findings.Aggregate(Verdict.Clean, (v, f) => v.Worst(f.Verdict));
        var artifact = new ArtifactReport(model, null, ["signatures"], null, ArtifactStatus.Scanned, verdict, null, facts.ToImmutable());
        return new ScanReport(RampartTool.Info, started, duration, [model], Severity.Medium, [artifact], findings, [], [.. result.Warnings], rules);
    }
}
