using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rampart.Threats.Assessment;
using Rampart.Threats.Evidence;
using Rampart.Threats.Model;

namespace Rampart.Threats.Reports;

/// <summary>The JSON report (schema described in docs/threats.md); also the input of `rampart threats diff`.</summary>
public static class JsonReport
{
    public const string SchemaVersion = "1.0.0";

    public static void Write(ThreatAssessment assessment, Stream output)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        var s = assessment.System;
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("schemaVersion", SchemaVersion);
        w.WriteString("generator", "rampart threats");
        w.WriteString("system", s.Name);
        if (s.Description is { } d)
        {
            w.WriteString("description", d);
        }

        w.WriteString("source", Path.GetFileName(s.Source));
        w.WriteString("asOf", assessment.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteString("atlasVersion", assessment.AtlasVersion);
        w.WriteStartObject("review");
        w.WriteString("date", Date(s.Review.Date));
        w.WriteString("security", s.Review.Owners.Security);
        w.WriteString("dataScience", s.Review.Owners.DataScience);
        w.WriteEndObject();

        var t = assessment.Threats;
        w.WriteStartObject("summary");
        w.WriteNumber("threats", t.Length);
        foreach (var status in Enum.GetValues<ThreatStatus>())
        {
            w.WriteNumber(Wire.Name(status), t.Count(x => x.Status == status));
        }

        w.WriteNumber("openHighRisks", assessment.OpenHighRisks.Count());
        w.WriteStartObject("residualByLevel");
        foreach (var level in Enum.GetValues<RiskLevel>())
        {
            w.WriteNumber(Wire.Name(level), t.Count(x => x.Residual.Level == level));
        }

        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteStartArray("components");
        foreach (var c in s.Components)
        {
            w.WriteStartObject();
            w.WriteString("id", c.Id);
            w.WriteString("name", c.Name);
            w.WriteString("kind", Wire.Name(c.Kind));
            w.WriteString("exposure", Wire.Name(c.Exposure));
            Strings(w, "dataClasses", c.DataClasses.Select(Wire.Name));
            Strings(w, "modelType", c.ModelTypes.Select(Wire.Name));
            if (c.Boundary is { } b)
            {
                w.WriteString("boundary", b);
            }

            w.WriteNumber("line", c.Line.Line);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("flows");
        foreach (var f in s.Flows)
        {
            w.WriteStartObject();
            w.WriteString("id", f.Id);
            w.WriteString("from", f.From);
            w.WriteString("to", f.To);
            Strings(w, "dataClasses", f.DataClasses.Select(Wire.Name));
            w.WriteBoolean("crossesBoundary", s.CrossesBoundary(f));
            w.WriteEndObject();
        }

        w.WriteEndArray();

        w.WriteStartArray("evidence");
        foreach (var (where, items) in assessment.Evidence.ByComponent.OrderBy(p => s.Components.IndexOf(s.Get(p.Key))).Select(p => (p.Key, p.Value)).Append(("*", assessment.Evidence.SystemWide)))
        {
            foreach (var e in items)
            {
                w.WriteStartObject();
                w.WriteString("for", where);
                Evidence(w, e);
                w.WriteEndObject();
            }
        }

        w.WriteEndArray();

        w.WriteStartArray("threats");
        foreach (var x in t)
        {
            WriteThreat(w, x);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteThreat(Utf8JsonWriter w, Threat x)
    {
        w.WriteStartObject();
        w.WriteString("id", x.Id);
        w.WriteString("rule", x.Rule.Id);
        w.WriteString("title", x.Rule.Title);
        w.WriteString("target", Wire.Name(x.Rule.Target));
        w.WriteString("subject", x.SubjectId);
        w.WriteString("subjectName", x.SubjectName);
        w.WriteNumber("line", x.Line.Line);
        w.WriteString("status", Wire.Name(x.Status));
        w.WriteStartArray("atlas");
        foreach (var a in x.Techniques)
        {
            w.WriteStartObject();
            w.WriteString("id", a.Id);
            w.WriteString("name", a.Name);
            w.WriteString("url", a.Url.AbsoluteUri);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("owasp");
        foreach (var o in x.Owasp)
        {
            w.WriteStartObject();
            w.WriteString("id", o.Id);
            w.WriteString("title", o.Title);
            w.WriteString("edition", o.Edition);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("keyMitigations");
        foreach (var m in x.KeyMitigations)
        {
            w.WriteStartObject();
            w.WriteString("id", m.Mitigation.Id);
            w.WriteString("name", m.Mitigation.Name);
            w.WriteString("outcome", MarkdownReport.Outcome(m.Outcome));
            if (m.Use is { } use)
            {
                w.WriteString("atlasUse", use);
            }

            w.WriteStartArray("evidence");
            foreach (var e in m.Evidence)
            {
                w.WriteStartObject();
                Evidence(w, e);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("attestations");
            foreach (var a in m.Attestations)
            {
                w.WriteStartObject();
                w.WriteString("by", a.By);
                w.WriteString("statement", a.Statement);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        Strings(w, "otherMitigations", x.OtherMitigations.Select(m => m.Id));
        Risk(w, "inherent", x.Inherent);
        Risk(w, "residual", x.Residual);
        if (x.Override is { } o2)
        {
            w.WriteStartObject("override");
            w.WriteString("justification", o2.Justification);
            w.WriteNumber("line", o2.Line.Line);
            w.WriteEndObject();
        }

        w.WriteStartObject("owners");
        w.WriteString("security", x.Owners.Security);
        w.WriteString("dataScience", x.Owners.DataScience);
        if (x.ComponentOwner is { } co)
        {
            w.WriteString("component", co);
        }

        w.WriteEndObject();
        w.WriteString("due", Date(x.Due));
        w.WriteString("decision", Wire.Name(x.Decision));
        w.WriteBoolean("openHighRisk", x.IsOpenHighRisk);
        w.WriteEndObject();
    }

    private static void Evidence(Utf8JsonWriter w, EvidenceItem e)
    {
        w.WriteString("check", e.Check);
        w.WriteString("status", Wire.Name(e.Status));
        w.WriteString("detail", e.Detail);
        w.WriteString("source", e.Source);
    }

    private static void Risk(Utf8JsonWriter w, string name, Risk r)
    {
        w.WriteStartObject(name);
        w.WriteNumber("likelihood", r.Likelihood);
        w.WriteNumber("impact", r.Impact);
        w.WriteNumber("score", r.Score);
        w.WriteString("level", Wire.Name(r.Level));
        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
