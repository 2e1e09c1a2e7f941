using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text;
using Rampart.Cli.Commands;
using Rampart.Core;
using Rampart.Core.IO;
using Rampart.Scanning;

namespace Rampart.Cli;

/// <summary>
/// The command tree and the one place where errors become exit codes: usage errors exit 3 with one line on stderr,
/// anything unexpected exits 70 with a short "internal error" line, never a stack trace.
/// </summary>
internal static class RampartCli
{
    /// <summary>Every command, by the verb that selects it: one line each.</summary>
    internal static readonly (string Verb, Func<CliEnvironment, Command> Create)[] Commands =
    [
        ("scan", ScanCommand.Create),
        ("rules", RulesCommand.Create),
        ("hash", HashCommand.Create),
        ("sign", SignCommand.Create),
        ("verify", VerifyCommand.Create),
        ("keygen", KeygenCommand.Create),
        ("audit", AuditCommand.Create),
        ("db", DbCommand.Create),
        ("ledger", LedgerCommand.Create),
        ("record", RecordCommand.Create),
        ("trace", TraceCommand.Create),
        ("bom", BomCommand.Create),
        ("slsa", SlsaCommand.Create),
        ("review", ReviewCommand.Create),
        ("guard", GuardCommand.Create),
        ("profile", ProfileCommand.Create),
#if RAMPART_AOT
        // Not in the NativeAOT variant: ASP.NET Core hosts, and threats reads the gateway's configuration (docs/install.md).
        ("gateway", NotInThisBuild.For("gateway", "Run the runtime gateway in front of model endpoints.")),
#else
        ("gateway", GatewayCommand.Create),
#endif
        ("redteam", RedTeamCommand.Create),
#if RAMPART_AOT
        ("threats", NotInThisBuild.For("threats", "Threat modelling as code.")),
        ("server", NotInThisBuild.For("server", "Run the shared platform: model and dataset registry.")),
#else
        ("threats", ThreatsCommand.Create),
        ("server", ServerCommand.Create),
#endif
        ("push", PushCommand.Create),
        ("pull", PullCommand.Create),
        ("approve", ApproveCommand.Create),
        ("revoke", RevokeCommand.Create),
        ("data", DataCommand.Create),
    ];

    /// <summary>
    /// The command tree. With <paramref name="onlyVerb"/> only that command is built (none for an empty string): a run
    /// of one command does not pay for constructing the others (start-up is most of a small `rampart hash`).
    /// </summary>
    public static RootCommand BuildRoot(CliEnvironment environment, string? onlyVerb = null)
    {
        var root = new RootCommand("Rampart: secure machine-learning models, data and pipelines: scan model files without loading them, sign and verify models, audit Python dependencies, keep a provenance ledger, review ML code.");
        foreach (var (verb, create) in Commands)
        {
            if (onlyVerb is null || verb == onlyVerb)
            {
                root.Subcommands.Add(create(environment));
            }
        }

        foreach (var option in root.Options.OfType<VersionOption>())
        {
            // The default prints the entry assembly's version, which under a test host is the host's.
            option.Action = new PrintVersion();
        }

        return root;
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(RampartTool.Info.Version);
            return ExitCodes.Clean;
        }
    }

    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        var stdout = new StreamWriter(environment.Out, new UTF8Encoding(false), bufferSize: 4096, leaveOpen: true) { AutoFlush = true };
        await using (stdout.ConfigureAwait(false))
        {
            try
            {
                // One verb builds only its command; `--version` alone builds none (its start-up is all it costs).
                var verb = args.Length > 0 && Commands.Any(c => c.Verb == args[0]) ? args[0] : args is ["--version"] ? string.Empty : null;
                var parse = BuildRoot(environment, verb).Parse(args);
                if (parse.Errors.Count > 0)
                {
                    return Usage(environment, string.Join(" ", parse.Errors.Select(e => e.Message).Distinct(StringComparer.Ordinal)));
                }

                var configuration = new InvocationConfiguration
                {
                    Output = stdout,
                    Error = environment.Error,
                    EnableDefaultExceptionHandler = false,
                };
                return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
            }
            catch (UsageException e)
            {
                return Usage(environment, e.Message);
            }
            catch (FileTooLargeException e)
            {
                // An input file over its reader's limit is the user's input, not a bug in Rampart.
                return Usage(environment, e.Message);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: System.CommandLine cancels its own token, not the caller's, so no filter here.
                await environment.Error.WriteLineAsync("rampart: cancelled; no report was written").ConfigureAwait(false);
                return ExitCodes.Inconclusive;
            }
#pragma warning disable CA1031 // The top level turns every unexpected failure into exit 70 instead of a stack trace.
            catch (Exception e)
#pragma warning restore CA1031
            {
                await environment.Error.WriteLineAsync(
                    $"rampart: internal error ({e.GetType().Name}: {OneLine(e.Message)}). This is a bug in Rampart; please report it.").ConfigureAwait(false);
                return ExitCodes.InternalError;
            }
        }
    }

    private static int Usage(CliEnvironment environment, string message)
    {
        var text = OneLine(message);
        environment.Error.WriteLine(text.Contains("(see '", StringComparison.Ordinal) ? $"rampart: {text}" : $"rampart: {text} (see 'rampart --help')");
        return ExitCodes.UsageError;
    }

    private static string OneLine(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim();
}
