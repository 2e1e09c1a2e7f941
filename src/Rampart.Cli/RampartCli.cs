using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text;
using Rampart.Cli.Commands;
using Rampart.Core;
using Rampart.Scanning;

namespace Rampart.Cli;

/// <summary>
/// The command tree and the one place where errors become exit codes: usage errors exit 3 with one line on stderr,
/// anything unexpected exits 70 with a short "internal error" line, never a stack trace.
/// </summary>
internal static class RampartCli
{
    public static RootCommand BuildRoot(CliEnvironment environment)
    {
        var root = new RootCommand("Rampart: scan machine-learning model files for code that would run when they are loaded, without loading them.");
        root.Subcommands.Add(ScanCommand.Create(environment));
        root.Subcommands.Add(RulesCommand.Create(environment));
        root.Subcommands.Add(LedgerCommand.Create(environment));
        root.Subcommands.Add(RecordCommand.Create(environment));
        root.Subcommands.Add(TraceCommand.Create(environment));
        root.Subcommands.Add(BomCommand.Create(environment));
        root.Subcommands.Add(SlsaCommand.Create(environment));
        root.Subcommands.Add(HashCommand.Create(environment));
        root.Subcommands.Add(SignCommand.Create(environment));
        root.Subcommands.Add(VerifyCommand.Create(environment));
        root.Subcommands.Add(KeygenCommand.Create(environment));
        root.Subcommands.Add(ReviewCommand.Create(environment));
        root.Subcommands.Add(AuditCommand.Create(environment));
        root.Subcommands.Add(DbCommand.Create(environment));
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
                var parse = BuildRoot(environment).Parse(args);
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
