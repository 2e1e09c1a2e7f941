using System.CommandLine;
using Rampart.Cli.Reporting;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Scanning;
using Rampart.Scanning.Engine;
using Rampart.Core.IO;

namespace Rampart.Cli.Commands;

/// <summary>
/// rampart scan PATH...: parses the options, loads the policy, runs <see cref="Scanner"/> and renders the report.
/// No scanning logic lives here (docs/commands/scan.md).
/// </summary>
internal static class ScanCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var options = new ScanOptionSet(
            "Files or folders to scan. Folders are scanned recursively.",
            "Policy file (rampart.yaml). Without this option no policy file is read, not even ./rampart.yaml.");
        var command = new Command("scan", "Scan model files without loading them; the exit code says whether they are safe to load.");
        options.AddTo(command);
        var upload = new ScanUpload();
        upload.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var scan = options.Read(parse);
            var request = upload.Read(parse, scan.Paths, environment.CurrentDirectory);
            var report = await ScanAsync(scan, environment, null, null, cancellationToken).ConfigureAwait(false);
            return request is null ? report.ExitCode : await ScanUpload.RunAsync(request, report, environment, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal sealed record ScanOptions(
        IReadOnlyList<string> Paths,
        string Format,
        string? Output,
        string? FailOn,
        string? PolicyFile,
        bool Verbose,
        bool NoProgress,
        string? DocsBaseUrl = null,
        IReadOnlyList<string>? Also = null);

    internal static Task<int> RunAsync(ScanOptions options, CliEnvironment environment, CancellationToken cancellationToken) =>
        RunAsync(options, environment, null, null, cancellationToken);

    // adjustPolicy lets another command (audit) apply its own options to the loaded policy; createScanner gives the
    // scanner to use when the environment names none (audit: the dependency scanner).
    internal static async Task<int> RunAsync(ScanOptions options, CliEnvironment environment,
        Func<ScanPolicy, ScanPolicy>? adjustPolicy, Func<Scanner>? createScanner, CancellationToken cancellationToken) =>
        (await ScanAsync(options, environment, adjustPolicy, createScanner, cancellationToken).ConfigureAwait(false)).ExitCode;

    /// <summary>Scans and writes the report; the report is returned for what comes after (scan --upload).</summary>
    private static async Task<Core.Reporting.ScanReport> ScanAsync(ScanOptions options, CliEnvironment environment,
        Func<ScanPolicy, ScanPolicy>? adjustPolicy, Func<Scanner>? createScanner, CancellationToken cancellationToken)
    {
        var policy = await LoadPolicyAsync(options.PolicyFile, environment.CurrentDirectory, cancellationToken).ConfigureAwait(false);
        policy = adjustPolicy?.Invoke(policy) ?? policy;
        if (options.FailOn is not null)
        {
            if (!SeverityNames.TryParse(options.FailOn, out var failOn))
            {
                throw new UsageException($"--fail-on must be one of info, low, medium, high, critical (got '{options.FailOn}')");
            }

            policy = policy with { FailOn = failOn };
        }

        // Paths on the command line are relative to the environment's working folder, not the process's. Every report
        // file is checked before the scan, so a typo costs nothing.
        var outputPath = options.Output is null ? null : ReportFile(options.Output, environment.CurrentDirectory);
        var also = (options.Also ?? []).Select(a => Also(a, environment.CurrentDirectory)).ToList();
        var targets = also.Select(a => a.Path).Append(outputPath).OfType<string>().ToList();
        if (targets.Distinct(StringComparer.Ordinal).Count() != targets.Count)
        {
            throw new UsageException("--output and --also name the same file twice; give each report its own file");
        }

        Uri? docsBase = null;
        if (options.DocsBaseUrl is not null)
        {
            try
            {
                docsBase = RampartTool.ResolveDocsBase(options.DocsBaseUrl, environment.CurrentDirectory);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--docs-base-url: {e.Message}");
            }
        }

        var toFile = options.Output is not null;
        var reporter = ReporterRegistry.Create(options.Format, new ReporterOptions(
            Color: !toFile && environment.OutIsTerminal && !environment.NoColor,
            Verbose: options.Verbose,
            Width: !toFile && environment.OutIsTerminal ? environment.TerminalWidth : ConsoleReporter.UnlimitedWidth,
            BaseDirectory: environment.CurrentDirectory));

        var scanner = environment.ScannerFactory?.Invoke() ?? createScanner?.Invoke() ?? Scanner.CreateDefault(environment.Time);
        Core.Reporting.ScanReport report;
        using (var progress = !options.NoProgress && environment.ErrorIsTerminal ? new ProgressDisplay(environment.Error, environment.Time) : null)
        {
            try
            {
                report = await scanner.ScanAsync(options.Paths, environment.CurrentDirectory, policy, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (ScanTargetException e)
            {
                throw new UsageException(e.Message);
            }
        }

        if (docsBase is not null)
        {
            report = report with { Tool = report.Tool with { RuleDocsBaseUri = docsBase } };
        }

        if (outputPath is null)
        {
            await reporter.WriteAsync(report, environment.Out, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await WriteFileAsync(reporter, report, outputPath, options.Output!, environment, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (format, path, spelled) in also)
        {
            var extra = ReporterRegistry.Create(format, new ReporterOptions(false, options.Verbose, ConsoleReporter.UnlimitedWidth, environment.CurrentDirectory));
            await WriteFileAsync(extra, report, path, spelled, environment, cancellationToken).ConfigureAwait(false);
        }

        return report;
    }

    /// <summary>A report file named on the command line, resolved against the working folder; its folder must exist.</summary>
    private static string ReportFile(string spelled, string currentDirectory)
    {
        var path = Path.GetFullPath(spelled, currentDirectory);
        var folder = Path.GetDirectoryName(path);
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new UsageException($"cannot write the report to '{spelled}': the folder '{folder}' does not exist");
        }

        if (Directory.Exists(path))
        {
            throw new UsageException($"cannot write the report to '{spelled}': it is a folder");
        }

        return path;
    }

    /// <summary>One --also FORMAT=FILE.</summary>
    private static (string Format, string Path, string Spelled) Also(string value, string currentDirectory)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        var format = equals > 0 ? value[..equals] : "";
        var file = equals > 0 ? value[(equals + 1)..] : "";
        if (file.Length == 0 || !ReporterRegistry.Formats.Contains(format, StringComparer.Ordinal))
        {
            throw new UsageException($"--also takes FORMAT=FILE with FORMAT one of {string.Join(", ", ReporterRegistry.Formats)} (got '{value}')");
        }

        return (format, ReportFile(file, currentDirectory), file);
    }

    private static async Task WriteFileAsync(IReporter reporter, Core.Reporting.ScanReport report, string path, string spelled, CliEnvironment environment, CancellationToken cancellationToken)
    {
        try
        {
            var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                await reporter.WriteAsync(report, file, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write the report to '{spelled}': {e.Message}");
        }

        await environment.Error.WriteLineAsync(
            $"rampart: {reporter.Format} report written to {spelled}; verdict {report.Verdict.ToWire()}, exit {report.ExitCode}").ConfigureAwait(false);
    }

    /// <summary>Reads the policy named by --policy, or the built-in defaults. Never looks for ./rampart.yaml on its own.</summary>
    internal static async Task<ScanPolicy> LoadPolicyAsync(string? path, string currentDirectory, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            return ScanPolicy.Default;
        }

        string text;
        try
        {
            text = await BoundedFile.ReadAllTextAsync(Path.GetFullPath(path, currentDirectory), BoundedFile.DefaultLimit, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the policy file '{path}': {e.Message}");
        }

        try
        {
            return PolicyParser.Parse(text, path);
        }
        catch (PolicyException e)
        {
            throw new UsageException($"invalid policy: {e.Message}");
        }
    }
}
