using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rampart.Threats.Model;
using Rampart.Threats.Reports;

namespace Rampart.Threats.Assessment;

public enum ChangeKind
{
    Added,
    Removed,
    RiskUp,
    RiskDown,
    StatusChanged,
}

/// <summary>One threat that differs between two reviews; <see cref="Old"/> or <see cref="New"/> is null when it appeared or went away.</summary>
public sealed record ThreatChange(ChangeKind Kind, string Id, string Title, Threat? Old, Threat? New);

/// <summary>What changed in the system and in its risk between two versions of system.yaml.</summary>
public sealed record AssessmentDiff(
    ImmutableArray<string> ComponentsAdded,
    ImmutableArray<string> ComponentsRemoved,
    ImmutableArray<string> ComponentsChanged,
    ImmutableArray<string> FlowsAdded,
    ImmutableArray<string> FlowsRemoved,
    ImmutableArray<ThreatChange> Threats)
{
    /// <summary>Whether the new version has an open high risk that the old one did not have (new, or grown into one).</summary>
    public bool NewOpenHighRisk => Threats.Any(c => c.New is { IsOpenHighRisk: true } && c.Old is not { IsOpenHighRisk: true });

    public static AssessmentDiff Compare(ThreatAssessment old, ThreatAssessment @new)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(@new);
        var oldComponents = old.System.Components.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var newComponents = @new.System.Components.ToDictionary(c => c.Id, StringComparer.Ordinal);
        static string Shape(Component c) => $"{Wire.Name(c.Kind)} {Wire.Name(c.Exposure)} [{string.Join(",", c.DataClasses.Select(Wire.Name))}] [{string.Join(",", c.ModelTypes.Select(Wire.Name))}] tools={c.Tools.Length} retrieval={c.Retrieval} boundary={c.Boundary}";
        var changed = newComponents.Values.Where(c => oldComponents.TryGetValue(c.Id, out var o) && Shape(o) != Shape(c))
            .Select(c => $"{c.Id}: {Shape(oldComponents[c.Id])} -> {Shape(c)}");
        var oldFlows = old.System.Flows.Select(f => $"{f.From} -> {f.To}").ToHashSet(StringComparer.Ordinal);
        var newFlows = @new.System.Flows.Select(f => $"{f.From} -> {f.To}").ToHashSet(StringComparer.Ordinal);

        var oldThreats = old.Threats.ToDictionary(t => t.Id, StringComparer.Ordinal);
        var newThreats = @new.Threats.ToDictionary(t => t.Id, StringComparer.Ordinal);
        var changes = new List<ThreatChange>();
        foreach (var t in @new.Threats)
        {
            if (!oldThreats.TryGetValue(t.Id, out var o))
            {
                changes.Add(new ThreatChange(ChangeKind.Added, t.Id, t.Rule.Title, null, t));
            }
            else if (t.Residual.Score != o.Residual.Score)
            {
                changes.Add(new ThreatChange(t.Residual.Score > o.Residual.Score ? ChangeKind.RiskUp : ChangeKind.RiskDown, t.Id, t.Rule.Title, o, t));
            }
            else if (t.Status != o.Status)
            {
                changes.Add(new ThreatChange(ChangeKind.StatusChanged, t.Id, t.Rule.Title, o, t));
            }
        }

        changes.AddRange(old.Threats.Where(t => !newThreats.ContainsKey(t.Id)).Select(t => new ThreatChange(ChangeKind.Removed, t.Id, t.Rule.Title, t, null)));
        return new AssessmentDiff(
            [.. newComponents.Keys.Where(k => !oldComponents.ContainsKey(k))],
            [.. oldComponents.Keys.Where(k => !newComponents.ContainsKey(k))],
            [.. changed],
            [.. newFlows.Where(f => !oldFlows.Contains(f)).Order(StringComparer.Ordinal)],
            [.. oldFlows.Where(f => !newFlows.Contains(f)).Order(StringComparer.Ordinal)],
            [.. changes.OrderBy(c => c.Kind).ThenBy(c => c.Id, StringComparer.Ordinal)]);
    }

    public string ToMarkdown()
    {
        var md = new StringBuilder("# Threat model changes\n\n");
        void List(string title, ImmutableArray<string> items)
        {
            if (!items.IsEmpty)
            {
                md.Append(CultureInfo.InvariantCulture, $"{title}:\n\n");
                foreach (var i in items)
                {
                    md.Append(CultureInfo.InvariantCulture, $"- `{i}`\n");
                }

                md.Append('\n');
            }
        }

        List("Components added", ComponentsAdded);
        List("Components removed", ComponentsRemoved);
        List("Components changed", ComponentsChanged);
        List("Flows added", FlowsAdded);
        List("Flows removed", FlowsRemoved);
        if (Threats.IsEmpty)
        {
            md.Append("No threat changed its status or residual risk.\n");
            return md.ToString();
        }

        md.Append("| change | threat | title | residual risk before | now | status before | now |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var c in Threats)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {Wire.Name(c.Kind)} | {c.Id} | {c.Title} | {(c.Old is { } o ? MarkdownReport.RiskText(o.Residual) : "-")} | {(c.New is { } n ? MarkdownReport.RiskText(n.Residual) : "-")} | {(c.Old is { } o2 ? Wire.Name(o2.Status) : "-")} | {(c.New is { } n2 ? Wire.Name(n2.Status) : "-")} |\n");
        }

        md.Append(CultureInfo.InvariantCulture, $"\n{Threats.Count(c => c.Kind == ChangeKind.Added)} new, {Threats.Count(c => c.Kind == ChangeKind.Removed)} gone, {Threats.Count(c => c.Kind == ChangeKind.RiskUp)} riskier, {Threats.Count(c => c.Kind == ChangeKind.RiskDown)} less risky.{(NewOpenHighRisk ? " **The new version has open high risks the old one did not.**" : "")}\n");
        return md.ToString();
    }

    public void WriteJson(Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        foreach (var (name, items) in new[] { ("componentsAdded", ComponentsAdded), ("componentsRemoved", ComponentsRemoved), ("componentsChanged", ComponentsChanged), ("flowsAdded", FlowsAdded), ("flowsRemoved", FlowsRemoved) })
        {
            w.WriteStartArray(name);
            foreach (var i in items)
            {
                w.WriteStringValue(i);
            }

            w.WriteEndArray();
        }

        w.WriteStartArray("threats");
        foreach (var c in Threats)
        {
            w.WriteStartObject();
            w.WriteString("change", Wire.Name(c.Kind));
            w.WriteString("id", c.Id);
            w.WriteString("title", c.Title);
            foreach (var (name, t) in new[] { ("before", c.Old), ("after", c.New) })
            {
                if (t is not null)
                {
                    w.WriteStartObject(name);
                    w.WriteString("status", Wire.Name(t.Status));
                    w.WriteNumber("score", t.Residual.Score);
                    w.WriteString("level", Wire.Name(t.Residual.Level));
                    w.WriteEndObject();
                }
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteBoolean("newOpenHighRisk", NewOpenHighRisk);
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }
}
