using System.CommandLine;
using Rampart.Cli.Reporting;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.Review;

namespace Rampart.Cli.Commands;

/// <summary>
/// rampart review [RANGE]: security review of a git change (docs/commands/review.md). The logic lives in
/// <see cref="CodeReview"/> and <see cref="ReviewChecklist"/>; this only parses options and writes the output.
/// </summary>
internal static class ReviewCommand
{
    public static readonly string[] Formats = ["markdown", "json", "sarif", "html"];

    public static Command Create(CliEnvironment environment)
    {
        var range = new Argument<string?>("RANGE")
        {
            Description = "BASE..HEAD (or BASE...HEAD, or one revision against the working tree). Default: the working tree against HEAD.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var format = new Option<string>("--format", "-f")
        {
            Description = "Output format: markdown (a checklist for a pull-request comment), json, sarif or html.",
            DefaultValueFactory = _ => "markdown",
            HelpName = "FORMAT",
        };
        format.AcceptOnlyFromAmong(Formats);
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of standard output.", HelpName = "FILE" };
        var policy = new Option<string?>("--policy", "-p") { Description = "Policy file (rampart.yaml): fail-on, suppressions, approved AI providers.", HelpName = "FILE" };
        var failOn = new Option<string?>("--fail-on") { Description = "Exit 1 when a finding on an added line has at least this severity.", HelpName = "SEVERITY" };
        var repo = new Option<string?>("--repo", "-C") { Description = "The git repository (default: the current folder).", HelpName = "DIR" };
        var linkBase = new Option<string?>("--link-base") { Description = "URL prefix for file links in the Markdown (e.g. https://host/org/repo/blob/<sha>).", HelpName = "URL" };
        var command = new Command("review", "Review a git change for ML security issues: findings on added lines, and the questions to ask, as a Markdown checklist.")
        {
            range, format, output, policy, failOn, repo, linkBase,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(range), parse.GetValue(format) ?? "markdown", parse.GetValue(output), parse.GetValue(policy), parse.GetValue(failOn),
            parse.GetValue(repo), parse.GetValue(linkBase), environment, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? range, string format, string? output, string? policyFile, string? failOn, string? repo, string? linkBase,
        CliEnvironment environment, CancellationToken cancellationToken)
    {
        var policy = await ScanCommand.LoadPolicyAsync(policyFile, environment.CurrentDirectory, cancellationToken).ConfigureAwait(false);
        if (failOn is not null)
        {
            if (!SeverityNames.TryParse(failOn, out var severity))
            {
                throw new UsageException($"--fail-on must be one of info, low, medium, high, critical (got '{failOn}')");
            }

            policy = policy with { FailOn = severity };
        }

        var directory = Path.GetFullPath(repo ?? environment.CurrentDirectory, environment.CurrentDirectory);
        if (!Directory.Exists(directory))
        {
            throw new UsageException($"'{repo}' is not a folder");
        }

        if (output is not null && Path.GetDirectoryName(Path.GetFullPath(output, environment.CurrentDirectory)) is { } folder && !Directory.Exists(folder))
        {
            throw new UsageException($"cannot write to '{output}': the folder '{folder}' does not exist");
        }

        ReviewResult review;
        try
        {
            var scanner = environment.ScannerFactory?.Invoke() ?? Scanner.CreateDefault(environment.Time);
            review = await CodeReview.ReviewAsync(directory, range, policy, scanner, environment.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (ReviewException e)
        {
            throw new UsageException(e.Message);
        }

        var target = output is null ? environment.Out : new FileStream(Path.GetFullPath(output, environment.CurrentDirectory), FileMode.Create, FileAccess.Write, FileShare.Read);
        try
        {
            if (format == "markdown")
            {
                await new ReviewChecklist(review, linkBase).WriteAsync(target, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var reporter = ReporterRegistry.Create(format, new ReporterOptions(false, false, ConsoleReporter.UnlimitedWidth, directory));
                await reporter.WriteAsync(review.Report, target, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException e)
        {
            throw new UsageException($"cannot write to '{output}': {e.Message}");
        }
        finally
        {
            if (output is not null)
            {
                await target.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (output is not null)
        {
            await environment.Error.WriteLineAsync(
                $"rampart: review of {review.Range} written to {output}: {review.Report.Findings.Length} finding(s) in {review.Reviewed.Count} reviewed file(s), exit {review.Report.ExitCode}").ConfigureAwait(false);
        }

        return review.Report.ExitCode;
    }
}
