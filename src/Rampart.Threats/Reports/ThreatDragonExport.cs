using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rampart.Threats.Assessment;
using Rampart.Threats.Model;

namespace Rampart.Threats.Reports;

/// <summary>
/// Export to OWASP Threat Dragon's v2 model format (td.vue/src/assets/schema/threat-dragon-v2.schema.json), so a team
/// can keep drawing in Threat Dragon: one diagram with a cell per component (stores for data and models, processes for
/// code, actors), a flow per data flow, a trust-boundary box per boundary, and each threat on its component's or
/// flow's cell. Ids are UUIDs derived from the system and element names, so re-exporting gives the same file.
/// </summary>
public static class ThreatDragonExport
{
    public const string Version = "2.3.0";

    public static void Write(ThreatAssessment assessment, Stream output)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        var s = assessment.System;
        var positions = Diagram.Positions(s);
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("version", Version);
        w.WriteStartObject("summary");
        w.WriteString("title", s.Name);
        w.WriteString("owner", s.Review.Owners.Security);
        w.WriteString("description", s.Description ?? "");
        w.WriteNumber("id", 0);
        w.WriteEndObject();
        w.WriteStartObject("detail");
        w.WriteStartArray("contributors");
        foreach (var name in new[] { s.Review.Owners.Security, s.Review.Owners.DataScience }.Distinct(StringComparer.Ordinal))
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("diagrams");
        w.WriteStartObject();
        w.WriteNumber("id", 0);
        w.WriteString("title", $"{s.Name} data flows");
        w.WriteString("diagramType", "Generic");
        w.WriteString("placeholder", "Exported by rampart threats");
        w.WriteString("thumbnail", "./public/content/images/thumbnail.jpg");
        w.WriteString("version", Version);
        w.WriteStartArray("cells");
        var z = 0;
        var number = 0;
        foreach (var b in s.Boundaries)
        {
            var members = s.Components.Where(c => c.Boundary == b.Id).Select(c => positions[c.Id]).ToList();
            if (members.Count == 0)
            {
                continue;
            }

            var (x0, y0) = (members.Min(p => p.X) - 15, members.Min(p => p.Y) - 25);
            var (x1, y1) = (members.Max(p => p.X) + Diagram.BoxWidth + 15, members.Max(p => p.Y) + Diagram.BoxHeight + 15);
            w.WriteStartObject();
            Position(w, x0, y0, x1 - x0, y1 - y0);
            w.WriteStartObject("attrs");
            w.WriteStartObject("label");
            w.WriteString("text", b.Name);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteBoolean("visible", true);
            w.WriteString("shape", "trust-boundary-box");
            w.WriteString("id", Uuid(s, "boundary", b.Id));
            w.WriteNumber("zIndex", -1);
            w.WriteStartObject("data");
            w.WriteString("type", "tm.BoundaryBox");
            w.WriteString("name", b.Name);
            w.WriteString("description", "");
            w.WriteBoolean("isTrustBoundary", true);
            w.WriteBoolean("hasOpenThreats", false);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        foreach (var c in s.Components)
        {
            var threats = assessment.Threats.Where(t => t.Rule.Target == Rules.RuleTarget.Component && t.SubjectId == c.Id).ToList();
            var (shape, type) = c.Kind switch
            {
                ComponentKind.Actor => ("actor", "tm.Actor"),
                ComponentKind.DataSource or ComponentKind.FeatureStore or ComponentKind.ModelRegistry or ComponentKind.ModelArtifact => ("store", "tm.Store"),
                _ => ("process", "tm.Process"),
            };
            var (x, y) = positions[c.Id];
            w.WriteStartObject();
            Position(w, x, y, Diagram.BoxWidth, Diagram.BoxHeight);
            w.WriteStartObject("attrs");
            w.WriteStartObject("text");
            w.WriteString("text", c.Name);
            w.WriteEndObject();
            w.WriteStartObject("body");
            w.WriteString("stroke", threats.Any(t => t.Status != ThreatStatus.Mitigated) ? "#ff0000" : "#333333");
            w.WriteNumber("strokeWidth", 1.5);
            w.WriteString("strokeDasharray", "");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteBoolean("visible", true);
            w.WriteString("shape", shape);
            w.WriteString("id", Uuid(s, "component", c.Id));
            w.WriteNumber("zIndex", ++z);
            w.WriteStartObject("data");
            w.WriteString("type", type);
            w.WriteString("name", c.Name);
            w.WriteString("description", $"{Wire.Name(c.Kind)}, {Wire.Name(c.Exposure)} exposure{(c.DataClasses.IsEmpty ? "" : ", data: " + string.Join(", ", c.DataClasses.Select(Wire.Name)))}{(c.ModelTypes.IsEmpty ? "" : ", model: " + string.Join(", ", c.ModelTypes.Select(Wire.Name)))} (system.yaml id '{c.Id}')");
            w.WriteBoolean("outOfScope", false);
            w.WriteString("reasonOutOfScope", "");
            w.WriteBoolean("hasOpenThreats", threats.Any(t => t.Status != ThreatStatus.Mitigated));
            if (shape == "actor")
            {
                w.WriteBoolean("providesAuthentication", false);
            }
            else if (shape == "store")
            {
                w.WriteBoolean("isALog", false);
                w.WriteBoolean("isEncrypted", false);
                w.WriteBoolean("isSigned", assessment.Evidence.For(c.Id).Any(e => e.Check == Evidence.EvidenceChecks.ModelSignature && e.Status == Evidence.EvidenceStatus.Passed));
                w.WriteBoolean("storesCredentials", c.DataClasses.Contains(DataClass.Personal));
                w.WriteBoolean("storesInventory", false);
            }
            else
            {
                w.WriteBoolean("handlesCardPayment", false);
                w.WriteBoolean("handlesGoodsOrServices", false);
                w.WriteBoolean("isWebApplication", c.Kind is ComponentKind.ServingEndpoint or ComponentKind.LlmApp);
                w.WriteString("privilegeLevel", "");
            }

            Threats(w, threats, ref number);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        foreach (var f in s.Flows)
        {
            var threats = assessment.Threats.Where(t => t.Rule.Target == Rules.RuleTarget.Flow && t.SubjectId == f.Id).ToList();
            var name = f.Label ?? string.Join(", ", f.DataClasses.Select(Wire.Name));
            w.WriteStartObject();
            w.WriteString("shape", "flow");
            w.WriteStartObject("attrs");
            w.WriteStartObject("line");
            w.WriteString("stroke", threats.Any(t => t.Status != ThreatStatus.Mitigated) ? "#ff0000" : "#333333");
            w.WriteNumber("strokeWidth", 1.5);
            w.WriteStartObject("targetMarker");
            w.WriteString("name", "block");
            w.WriteEndObject();
            w.WriteStartObject("sourceMarker");
            w.WriteString("name", "");
            w.WriteEndObject();
            w.WriteString("strokeDasharray", "");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteNumber("width", 200);
            w.WriteNumber("height", 100);
            w.WriteNumber("zIndex", ++z);
            w.WriteString("connector", "smooth");
            w.WriteStartObject("data");
            w.WriteString("type", "tm.Flow");
            w.WriteString("name", name.Length > 0 ? name : f.Id);
            w.WriteString("description", $"system.yaml flow '{f.Id}'");
            w.WriteBoolean("outOfScope", false);
            w.WriteString("reasonOutOfScope", "");
            w.WriteBoolean("hasOpenThreats", threats.Any(t => t.Status != ThreatStatus.Mitigated));
            w.WriteBoolean("isBidirectional", false);
            w.WriteBoolean("isEncrypted", false);
            w.WriteBoolean("isPublicNetwork", s.CrossesBoundary(f) && (s.Get(f.From).Exposure == Exposure.Public || s.Get(f.To).Exposure == Exposure.Public));
            w.WriteString("protocol", "");
            Threats(w, threats, ref number);
            w.WriteEndObject();
            w.WriteString("id", Uuid(s, "flow", f.Id));
            w.WriteStartObject("source");
            w.WriteString("cell", Uuid(s, "component", f.From));
            w.WriteEndObject();
            w.WriteStartObject("target");
            w.WriteString("cell", Uuid(s, "component", f.To));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteNumber("diagramTop", 1);
        w.WriteString("reviewer", s.Review.Owners.DataScience);
        w.WriteNumber("threatTop", number);
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void Threats(Utf8JsonWriter w, List<Threat> threats, ref int number)
    {
        w.WriteStartArray("threats");
        foreach (var t in threats)
        {
            w.WriteStartObject();
            w.WriteString("threatId", Uuid(null, "threat", t.Id));
            w.WriteNumber("number", ++number);
            w.WriteString("title", $"{t.Id}: {t.Rule.Title}");
            w.WriteString("description", $"{t.Rule.Summary} ATLAS: {string.Join(", ", t.Techniques.Select(a => $"{a.Id} {a.Name}"))}.{(t.Owasp.IsEmpty ? "" : " OWASP: " + string.Join(", ", t.Owasp.Select(o => o.Label)) + ".")}");
            w.WriteString("mitigation", $"{t.Rule.Fix} Key mitigations: {string.Join("; ", t.KeyMitigations.Select(m => $"{m.Mitigation.Id} {m.Mitigation.Name} ({MarkdownReport.Outcome(m.Outcome)})"))}.");
            w.WriteString("modelType", "Generic");
            w.WriteString("type", "Generic");
            w.WriteString("severity", t.Residual.Level switch { RiskLevel.Critical or RiskLevel.High => "High", RiskLevel.Medium => "Medium", _ => "Low" });
            w.WriteString("score", t.Residual.Score.ToString(CultureInfo.InvariantCulture));
            w.WriteString("status", t.Status == ThreatStatus.Mitigated ? "Mitigated" : t.Decision switch
            {
                RiskDecision.Accept => "Accepted",
                RiskDecision.Transfer => "Transferred",
                RiskDecision.Avoid => "Avoided",
                _ => "Open",
            });
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void Position(Utf8JsonWriter w, int x, int y, int width, int height)
    {
        w.WriteStartObject("position");
        w.WriteNumber("x", x);
        w.WriteNumber("y", y);
        w.WriteEndObject();
        w.WriteStartObject("size");
        w.WriteNumber("width", width);
        w.WriteNumber("height", height);
        w.WriteEndObject();
    }

    /// <summary>A name-based UUID (RFC 9562 version 8 layout over SHA-256): stable across exports of the same system.</summary>
    private static string Uuid(SystemModel? system, string kind, string id)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"rampart-threats\n{system?.Name}\n{kind}\n{id}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}
