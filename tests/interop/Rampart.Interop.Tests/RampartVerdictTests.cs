using System.Text;
using Rampart.Core;
using Xunit.Abstractions;

namespace Rampart.Interop.Tests;

/// <summary>
/// Scans the proved corpus with Rampart in-process and checks every verdict: malicious files Malicious, plain weights
/// and data Clean, files that import code (sklearn, whole modules, pandas) NeedsReview, nothing benign Inconclusive.
/// </summary>
[Collection(CorpusGroup.Name)]
public sealed class RampartVerdictTests(CorpusFixture fixture, ITestOutputHelper output)
{
    [CorpusFact(NeedsAnalyzers = true)]
    public async Task MaliciousFiles_Scanned_AreMalicious()
    {
        var failures = await CheckAsync(e => e.Malicious);
        Problems.AssertNone(failures, "malicious files (their payload fired in the real loader) that Rampart did not call Malicious");
    }

    [CorpusFact(NeedsAnalyzers = true)]
    public async Task BenignFiles_Scanned_HaveExpectedVerdict()
    {
        var failures = await CheckAsync(e => !e.Malicious);
        Problems.AssertNone(failures, "benign files without the expected verdict (Clean, or NeedsReview where they import code; never Inconclusive or Malicious)");
    }

    private async Task<List<string>> CheckAsync(Func<CorpusEntry, bool> which)
    {
        var corpus = await fixture.GetCorpusAsync();
        var report = await fixture.GetScanAsync();
        var table = new StringBuilder();
        var failures = new List<string>();
        foreach (var entry in corpus.Entries.Where(which))
        {
            var path = corpus.DisplayPath(entry);
            var verdict = ReportReading.VerdictOf(report, path);
            var said = verdict is { } v ? ReportReading.Wire(v) : "missing";
            var ok = verdict is { } actual && entry.Expect.Contains(ReportReading.Wire(actual)) && actual != Verdict.Inconclusive;
            var why = verdict is { } worst
                ? string.Join(" ", ReportReading.FindingsUnder(report, path).Where(f => f.Verdict == worst)
                    .Select(f => $"{f.RuleId}@{(f.ArtifactPath.Length == path.Length ? "(file)" : f.ArtifactPath[path.Length..])}").Distinct())
                : "";
            table.AppendLine($"{(ok ? "ok  " : "FAIL")} {said,-12} {entry.Path} [{entry.Kind}] {why}");
            if (!ok)
            {
                failures.Add(ReportReading.Explain(report, path, entry.Path, entry.Kind, string.Join(" or ", entry.Expect), entry.Note));
            }
        }

        output.WriteLine(table.ToString());
        return failures;
    }
}
