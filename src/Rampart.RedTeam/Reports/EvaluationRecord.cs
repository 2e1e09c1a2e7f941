using System.Globalization;
using Rampart.Provenance.Records;

namespace Rampart.RedTeam.Reports;

/// <summary>
/// A red-team run as a provenance evaluation record: the model it was about, the digest of the JSON report, the suite
/// ("rampart-redteam-llm" or "rampart-redteam-model") and the headline metrics of the first run (failed probes, attack
/// metrics), so the ledger shows which model was tested when, and how it fared.
/// </summary>
public static class EvaluationRecord
{
    public static ProvenanceRecord Build(RedTeamReport report, string modelDigest, string reportDigest)
    {
        ArgumentNullException.ThrowIfNull(report);
        var builder = ProvenanceRecord.Create(RecordKinds.Evaluation)
            .Set("model", modelDigest)
            .Set("report", reportDigest)
            .Set("suite", $"rampart-redteam-{report.Kind}");
        foreach (var (name, value) in Metrics(report))
        {
            builder.Pair("metrics", name, value.ToString("R", CultureInfo.InvariantCulture));
        }

        return builder.Build();
    }

    public static IEnumerable<(string Name, double Value)> Metrics(RedTeamReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var run = report.Runs.Count > 0 ? report.Runs[0] : null;
        if (run is null)
        {
            yield break;
        }

        yield return ("findings", run.Findings.Count);
        if (run.Probes.Count > 0)
        {
            yield return ("probes", run.Probes.Count);
            yield return ("probes-failed", run.Probes.Count(p => p.Status == OutcomeStatus.Failed));
        }

        foreach (var attack in run.Attacks)
        {
            foreach (var (name, value) in attack.Metrics.Where(m => m.Key is "agreement" or "auc" or "tpr_at_1pct_fpr" or "success" or "advantage"))
            {
                yield return ($"{attack.Id}.{name}", Math.Round(value, 4));
            }
        }
    }
}
