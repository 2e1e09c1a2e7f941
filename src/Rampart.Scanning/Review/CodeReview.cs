using System.Collections.Immutable;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Scanning.Engine;
using Rampart.Core.IO;

namespace Rampart.Scanning.Review;

/// <summary>A problem with the repository or the range that the user must fix (not a finding).</summary>
public sealed class ReviewException(string message) : Exception(message);

/// <summary>One file a change touches: its path in the repository and the line ranges the change adds.</summary>
public sealed record ChangedFile(string Path, IReadOnlyList<(int Start, int Count)> Added, bool IsNew)
{
    public bool AddsLine(int line) => Added.Any(r => line >= r.Start && line < (long)r.Start + r.Count);
}

/// <summary>The result of a review: the report restricted to added lines, and what was looked at.</summary>
public sealed record ReviewResult(ScanReport Report, string Range, IReadOnlyList<ChangedFile> Reviewed, IReadOnlyList<ChangedFile> Changed);

/// <summary>
/// rampart review: runs git (a child process with fixed arguments, never a shell) to get the change, parses the
/// unified diff (--unified=0 hunk headers), scans the changed Python and notebook files as they are after the change,
/// and keeps the findings on lines the change adds.
/// </summary>
public static partial class CodeReview
{
    /// <summary>Longest time one git command may take.</summary>
    public static readonly TimeSpan GitTimeout = TimeSpan.FromMinutes(2);

    /// <summary>git's error output is kept for the error message only: its first million characters are plenty.</summary>
    private const int MaxGitErrorChars = 1 << 20;

    [GeneratedRegex(@"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", RegexOptions.CultureInvariant)]
    private static partial Regex HunkHeader();

    [GeneratedRegex(@"^[A-Za-z0-9_./~^@{}-]+(?:\.\.\.?[A-Za-z0-9_./~^@{}-]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex RangeSyntax();

    public static bool IsReviewable(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.EndsWith(".py", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pyw", StringComparison.OrdinalIgnoreCase)
            || path.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reviews <paramref name="range"/> ("BASE..HEAD", "BASE...HEAD", "BASE" against the working tree, or null: working tree against HEAD).</summary>
    public static async Task<ReviewResult> ReviewAsync(string repository, string? range, ScanPolicy policy, Scanner scanner, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(scanner);
        time ??= TimeProvider.System;
        var started = time.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        if (range is not null && (range.StartsWith('-') || !RangeSyntax().IsMatch(range)))
        {
            throw new ReviewException($"'{range}' is not a revision range (use BASE..HEAD, BASE...HEAD or one revision)");
        }

        var root = (await GitAsync(repository, ["rev-parse", "--show-toplevel"], cancellationToken).ConfigureAwait(false)).Trim();
        string? rightRevision = null;
        List<string> diffArgs = ["-c", "core.quotepath=off", "diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-renames", "--diff-filter=AMR"];
        if (range is null)
        {
            diffArgs.Add("HEAD");
        }
        else if (range.Contains("..", StringComparison.Ordinal))
        {
            diffArgs.Add(range);
            rightRevision = range[(range.LastIndexOf("..", StringComparison.Ordinal) + 2)..].TrimStart('.');
            if (rightRevision.Length == 0)
            {
                rightRevision = "HEAD";
            }
        }
        else
        {
            diffArgs.Add(range);
        }

        diffArgs.Add("--");
        var diff = await GitAsync(root, diffArgs, cancellationToken).ConfigureAwait(false);
        var changed = ParseUnifiedDiff(diff).ToList();
        if (rightRevision is null)
        {
            // New files the working tree has but git does not know yet are all added lines.
            var untracked = await GitAsync(root, ["-c", "core.quotepath=off", "ls-files", "--others", "--exclude-standard", "-z"], cancellationToken).ConfigureAwait(false);
            foreach (var path in untracked.Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                if (changed.All(c => c.Path != path))
                {
                    changed.Add(new ChangedFile(path, [(1, int.MaxValue)], IsNew: true));
                }
            }
        }

        var reviewed = changed.Where(c => IsReviewable(c.Path)).OrderBy(c => c.Path, StringComparer.Ordinal).ToList();
        var artifacts = new List<ArtifactReport>();
        var findings = new List<Finding>();
        var suppressed = new List<SuppressedFinding>();
        var warnings = new List<string>();
        foreach (var file in reviewed)
        {
            cancellationToken.ThrowIfCancellationRequested();
            byte[] content;
            if (rightRevision is null)
            {
                var full = Path.Combine(root, file.Path);
                if (!File.Exists(full))
                {
                    continue;
                }

                content = await BoundedFile.ReadAllBytesAsync(full, BoundedFile.DefaultLimit, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                content = await GitBytesAsync(root, ["show", $"{rightRevision}:{file.Path}"], cancellationToken).ConfigureAwait(false);
            }

            var artifact = ArtifactFactory.FromBytes(file.Path, null, 0, content);
            var report = await scanner.ScanArtifactAsync(artifact, policy, cancellationToken).ConfigureAwait(false);
            var kept = report.Findings.Where(f => f.Location.Line is not { } line || file.AddsLine(line)).ToList();
            findings.AddRange(kept);
            suppressed.AddRange(report.Suppressed.Where(s => s.Finding.Location.Line is not { } line || file.AddsLine(line)));
            warnings.AddRange(report.Warnings);
            foreach (var a in report.Artifacts)
            {
                var verdict = kept.Where(f => f.ArtifactPath == a.Path).Aggregate(Verdict.Clean, (v, f) => v.Worst(f.Verdict));
                artifacts.Add(a with { Verdict = verdict });
            }
        }

        stopwatch.Stop();
        var label = range ?? "working tree against HEAD";
        var result = new ScanReport(scanner.Tool, started, stopwatch.Elapsed, [label], policy.FailOn, [.. artifacts],
            [.. findings], [.. suppressed], [.. warnings.Distinct(StringComparer.Ordinal)], scanner.Rules);
        return new ReviewResult(result, label, reviewed, changed);
    }

    /// <summary>Files and added line ranges of a unified diff made with --unified=0.</summary>
    public static IEnumerable<ChangedFile> ParseUnifiedDiff(string diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        string? path = null;
        var added = new List<(int, int)>();
        var isNew = false;
        foreach (var raw in diff.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("diff --git ", StringComparison.Ordinal))
            {
                if (path is not null)
                {
                    yield return new ChangedFile(path, added, isNew);
                }

                path = null;
                added = [];
                isNew = false;
            }
            else if (line.StartsWith("new file mode", StringComparison.Ordinal))
            {
                isNew = true;
            }
            else if (line.StartsWith("+++ ", StringComparison.Ordinal))
            {
                var target = line[4..];
                if (target.StartsWith('"') && target.EndsWith('"'))
                {
                    target = target[1..^1];
                }

                path = target == "/dev/null" ? null : target.StartsWith("b/", StringComparison.Ordinal) ? target[2..] : target;
            }
            else if (path is not null && HunkHeader().Match(line) is { Success: true } m)
            {
                var start = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                var count = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 1;
                if (count > 0)
                {
                    added.Add((start, count));
                }
            }
        }

        if (path is not null)
        {
            yield return new ChangedFile(path, added, isNew);
        }
    }

    private static async Task<string> GitAsync(string directory, IReadOnlyList<string> args, CancellationToken cancellationToken) =>
        Encoding.UTF8.GetString(await GitBytesAsync(directory, args, cancellationToken).ConfigureAwait(false));

    private static async Task<byte[]> GitBytesAsync(string directory, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["GIT_PAGER"] = "cat";
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new ReviewException("git could not be started");
        }
        catch (Win32Exception e)
        {
            throw new ReviewException($"git could not be run ({e.Message}); rampart review needs git on PATH");
        }
        catch (InvalidOperationException e)
        {
            throw new ReviewException($"git could not be run ({e.Message})");
        }

        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(GitTimeout);
            using var output = new MemoryStream();
            var copy = process.StandardOutput.BaseStream.CopyToAsync(output, timeout.Token);
            var error = BoundedFile.ReadToEndAsync(process.StandardError, "git's error output", MaxGitErrorChars, timeout.Token);
            try
            {
                await copy.ConfigureAwait(false);
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                cancellationToken.ThrowIfCancellationRequested();
                throw new ReviewException($"git {string.Join(' ', args)} took longer than {GitTimeout.TotalSeconds:0} s");
            }

            var stderr = await error.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                var first = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? $"exit code {process.ExitCode}";
                throw new ReviewException($"git {args.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('=', StringComparison.Ordinal)) ?? "command"} failed: {first}");
            }

            return output.ToArray();
        }
    }
}
