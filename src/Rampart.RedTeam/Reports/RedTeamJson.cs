using System.Globalization;
using System.Text.Json;
using Rampart.Core;

namespace Rampart.RedTeam.Reports;

/// <summary>Writes a red-team report as JSON (schema: docs/redteam-report.schema.json, version <see cref="RedTeamReport.SchemaVersion"/>).</summary>
public static class RedTeamJson
{
    public static async ValueTask WriteAsync(RedTeamReport report, Severity failOn, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        await using (writer.ConfigureAwait(false))
        {
            Write(writer, report, failOn);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        await output.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
    }

    private static void Write(Utf8JsonWriter w, RedTeamReport report, Severity failOn)
    {
        var rules = Probes.ProbeCatalog.Shipped.Rules;
        w.WriteStartObject();
        w.WriteString("schemaVersion", RedTeamReport.SchemaVersion);
        w.WriteStartObject("tool");
        w.WriteString("name", report.Tool.Name);
        w.WriteString("version", report.Tool.Version);
        w.WriteEndObject();
        w.WriteString("kind", report.Kind);
        w.WriteString("startedAt", report.StartedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        w.WriteNumber("seed", report.Seed);
        w.WriteString("failOn", failOn.ToWire());
        w.WriteNumber("exitCode", report.ExitCode(failOn));
        w.WriteStartArray("runs");
        foreach (var run in report.Runs)
        {
            w.WriteStartObject();
            w.WriteString("label", run.Label);
            w.WriteString("target", run.Target);
            w.WriteNumber("requests", run.Requests);
            w.WriteNumber("durationSeconds", Math.Round(run.Duration.TotalSeconds, 3));
            w.WriteBoolean("partial", run.Partial);
            w.WriteStartArray("probes");
            foreach (var p in run.Probes)
            {
                w.WriteStartObject();
                w.WriteString("id", p.Id);
                w.WriteString("family", p.Family);
                w.WriteString("ruleId", p.RuleId);
                w.WriteString("title", p.Title);
                w.WriteString("status", Wire(p.Status));
                w.WriteNumber("attempts", p.Attempts);
                w.WriteNumber("failures", p.Failures);
                w.WriteNumber("refusals", p.Refusals);
                w.WriteNumber("errors", p.Errors);
                w.WriteNumber("notRun", p.NotRun);
                if (p.Evidence is not null)
                {
                    w.WriteString("evidence", p.Evidence);
                }

                if (p.Means is not null)
                {
                    w.WriteStartObject("means");
                    foreach (var (k, v) in p.Means.OrderBy(m => m.Key, StringComparer.Ordinal))
                    {
                        w.WriteNumber(k, Math.Round(v, 4));
                    }

                    w.WriteEndObject();
                    w.WriteNumber("disparity", Math.Round(p.Disparity ?? 0, 4));
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("attacks");
            foreach (var a in run.Attacks)
            {
                w.WriteStartObject();
                w.WriteString("id", a.Id);
                w.WriteString("ruleId", a.RuleId);
                w.WriteString("title", a.Title);
                w.WriteString("status", Wire(a.Status));
                w.WriteString("summary", a.Summary);
                w.WriteNumber("queries", a.Queries);
                if (a.StoppedBy is not null)
                {
                    w.WriteString("stoppedBy", a.StoppedBy);
                }

                w.WriteStartObject("metrics");
                foreach (var (k, v) in a.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    w.WriteNumber(k, Math.Round(v, 4));
                }

                w.WriteEndObject();
                w.WriteStartArray("curves");
                foreach (var c in a.Curves)
                {
                    w.WriteStartObject();
                    w.WriteString("name", c.Name);
                    w.WriteString("x", c.XLabel);
                    w.WriteString("y", c.YLabel);
                    w.WriteStartArray("points");
                    foreach (var point in c.Points)
                    {
                        w.WriteStartArray();
                        w.WriteNumberValue(Math.Round(point.X, 4));
                        w.WriteNumberValue(Math.Round(point.Y, 4));
                        w.WriteEndArray();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("findings");
            foreach (var f in run.Findings)
            {
                var rule = rules[f.RuleId];
                w.WriteStartObject();
                w.WriteString("ruleId", f.RuleId);
                w.WriteString("severity", f.Severity.ToWire());
                w.WriteString("message", f.Message);
                w.WriteString("subject", f.Subject);
                if (f.Evidence is not null)
                {
                    w.WriteString("evidence", f.Evidence);
                }

                w.WriteString("why", rule.Summary);
                w.WriteString("fix", rule.Fix);
                w.WriteStartArray("atlas");
                foreach (var r in rule.References.Where(r => r.Id.StartsWith("AML.", StringComparison.Ordinal)))
                {
                    w.WriteStringValue(r.Id);
                }

                w.WriteEndArray();
                w.WriteStartArray("owasp");
                foreach (var r in rule.References.Where(r => r.Id.StartsWith("OWASP ", StringComparison.Ordinal)))
                {
                    w.WriteStringValue(r.Id[6..]);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("errors");
            foreach (var e in run.Errors)
            {
                w.WriteStringValue(e);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static string Wire(OutcomeStatus status) => status switch
    {
        OutcomeStatus.Passed => "passed",
        OutcomeStatus.Failed => "failed",
        _ => "inconclusive",
    };

    internal static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
