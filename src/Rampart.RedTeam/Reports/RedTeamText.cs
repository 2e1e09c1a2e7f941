using System.Globalization;
using System.Text;
using Rampart.Core;

namespace Rampart.RedTeam.Reports;

/// <summary>The console summary: one line per probe or attack per run, then the findings, then the verdict line.</summary>
public static class RedTeamText
{
    public static string Render(RedTeamReport report, Severity failOn)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = new StringBuilder();
        foreach (var run in report.Runs)
        {
            s.Append(CultureInfo.InvariantCulture, $"== {run.Label}: {run.Target} ({run.Requests} requests, {run.Duration.TotalSeconds:0.0} s{(run.Partial ? ", PARTIAL" : "")})\n");
            foreach (var p in run.Probes)
            {
                var detail = p.Disparity is { } d ? $"disparity {RedTeamJson.Number(d)}" : $"{p.Failures}/{p.Attempts} succeeded";
                s.Append(CultureInfo.InvariantCulture, $"  {Mark(p.Status)} {p.Id,-26} {p.RuleId}  {detail}{(p.Refusals > 0 ? $", {p.Refusals} refused" : "")}{(p.Errors + p.NotRun > 0 ? $", {p.Errors + p.NotRun} not judged" : "")}\n");
            }

            foreach (var a in run.Attacks)
            {
                s.Append(CultureInfo.InvariantCulture, $"  {Mark(a.Status)} {a.Id,-26} {a.RuleId}  {a.Summary}\n");
            }

            foreach (var e in run.Errors.Take(5))
            {
                s.Append(CultureInfo.InvariantCulture, $"  ! {e}\n");
            }
        }

        var findings = report.AllFindings.ToList();
        s.Append(CultureInfo.InvariantCulture, $"{findings.Count} finding(s); exit code {report.ExitCode(failOn)} (fail on {failOn.ToWire()})\n");
        return s.ToString();
    }

    private static string Mark(OutcomeStatus status) => status switch
    {
        OutcomeStatus.Failed => "FAIL",
        OutcomeStatus.Passed => "pass",
        _ => "????",
    };
}
