using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Rampart.Provenance.Records;

namespace Rampart.Provenance.Lineage;

/// <summary>A node of the lineage graph: an artifact (by digest) or a ledger entry.</summary>
/// <param name="Id">"sha256:..." for artifacts, "entry:N" for records.</param>
/// <param name="Type">"artifact" or the record kind.</param>
/// <param name="Label">A short human name.</param>
/// <param name="Entry">The entry number, for records.</param>
/// <param name="Revoked">For artifacts: the reason of a revocation record, if any.</param>
public sealed record LineageNode(string Id, string Type, string Label, long? Entry, string? Revoked);

/// <summary>An edge: artifact → record (input, subject) or record → artifact (output).</summary>
public sealed record LineageEdge(string From, string To, string Relation);

/// <summary>The lineage of one artifact: everything upstream of it and everything downstream.</summary>
public sealed record LineageGraph(string Root, IReadOnlyList<LineageNode> Nodes, IReadOnlyList<LineageEdge> Edges)
{
    /// <summary>The node called <paramref name="id"/>.</summary>
    public LineageNode Node(string id) => Nodes.First(n => string.Equals(n.Id, id, StringComparison.Ordinal));

    /// <summary>Builds the graph of every entry in <paramref name="entries"/> and keeps what is connected to <paramref name="root"/> in either direction.</summary>
    public static LineageGraph Build(IEnumerable<(LedgerEntry Entry, EntryContents Contents)> entries, string root)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var nodes = new Dictionary<string, LineageNode>(StringComparer.Ordinal);
        var edges = new List<LineageEdge>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var revoked = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (entry, contents) in entries)
        {
            var record = contents.Record;
            var id = $"entry:{entry.Sequence.ToString(CultureInfo.InvariantCulture)}";
            nodes[id] = new LineageNode(id, record.Kind.Name, RecordLabel(entry.Sequence, contents), entry.Sequence, null);
            foreach (var (digest, role, _) in record.References())
            {
                nodes.TryAdd(digest, new LineageNode(digest, "artifact", Short(digest), null, null));
                switch (role)
                {
                    case FieldRole.Output:
                        edges.Add(new LineageEdge(id, digest, "output"));
                        names.TryAdd(digest, record.Kind.Name switch
                        {
                            RecordKinds.Dataset => $"dataset {record.Text("name")}",
                            RecordKinds.TrainingRun => $"model of run {record.Text("run-id")}",
                            _ => $"{record.Kind.Name} output",
                        });
                        break;
                    case FieldRole.Input:
                        edges.Add(new LineageEdge(digest, id, "input"));
                        break;
                    default:
                        edges.Add(new LineageEdge(digest, id, "subject"));
                        break;
                }

                if (record.Kind.Name == RecordKinds.Revocation)
                {
                    revoked[digest] = record.Text("reason") ?? "revoked";
                }
            }
        }

        foreach (var (digest, name) in names)
        {
            nodes[digest] = nodes[digest] with { Label = $"{name} ({Short(digest)})" };
        }

        foreach (var (digest, reason) in revoked)
        {
            nodes[digest] = nodes[digest] with { Revoked = reason };
        }

        if (!nodes.ContainsKey(root))
        {
            return new LineageGraph(root, [], []);
        }

        var keep = new HashSet<string>(StringComparer.Ordinal) { root };
        Walk(root, edges, forward: true, keep);
        Walk(root, edges, forward: false, keep);

        // Records about a kept artifact are shown too (an approval of an upstream dataset, a revocation).
        foreach (var e in edges.Where(e => e.Relation == "subject" && keep.Contains(e.From)).ToList())
        {
            keep.Add(e.To);
        }

        return new LineageGraph(
            root,
            [.. nodes.Values.Where(n => keep.Contains(n.Id)).OrderBy(n => n.Entry ?? -1).ThenBy(n => n.Id, StringComparer.Ordinal)],
            [.. edges.Where(e => keep.Contains(e.From) && keep.Contains(e.To)).Distinct()]);
    }

    private static void Walk(string start, List<LineageEdge> edges, bool forward, HashSet<string> keep)
    {
        var queue = new Queue<string>([start]);
        var seen = new HashSet<string>(StringComparer.Ordinal) { start };
        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            foreach (var e in edges)
            {
                var (from, to) = forward ? (e.From, e.To) : (e.To, e.From);
                if (string.Equals(from, current, StringComparison.Ordinal) && seen.Add(to))
                {
                    keep.Add(to);
                    queue.Enqueue(to);
                }
            }
        }
    }

    private static string RecordLabel(long sequence, EntryContents contents)
    {
        var r = contents.Record;
        var detail = r.Kind.Name switch
        {
            RecordKinds.Dataset => r.Text("name"),
            RecordKinds.TrainingRun => r.Text("run-id"),
            RecordKinds.Scan => r.Text("verdict"),
            RecordKinds.Approval => r.Text("decision"),
            RecordKinds.Deployment => r.Text("environment"),
            RecordKinds.Incident => r.Text("summary"),
            RecordKinds.Revocation => r.Text("reason"),
            RecordKinds.Evaluation => r.Text("suite") ?? string.Join(", ", r.Pairs("metrics").Select(p => $"{p.Key}={p.Value}")),
            _ => null,
        };
        return $"#{sequence.ToString(CultureInfo.InvariantCulture)} {r.Kind.Name}{(string.IsNullOrEmpty(detail) ? string.Empty : " " + detail)} by {contents.Signer.Name}";
    }

    private static string Short(string digest) => digest.Length > 19 ? digest[..19] + "…" : digest;

    /// <summary>A console tree: the artifact, then what it came from, then what came of it.</summary>
    public string ToTree()
    {
        var text = new StringBuilder();
        if (Nodes.Count == 0)
        {
            return $"{Root}: not in the ledger\n";
        }

        var root = Node(Root);
        text.Append(Describe(root)).Append('\n');
        text.Append("upstream (where it came from):\n");
        TreeLines(Root, forward: false, "  ", new HashSet<string>(StringComparer.Ordinal) { Root }, text);
        text.Append("downstream (what came of it):\n");
        TreeLines(Root, forward: true, "  ", new HashSet<string>(StringComparer.Ordinal) { Root }, text);
        return text.ToString();
    }

    private void TreeLines(string id, bool forward, string indent, HashSet<string> seen, StringBuilder text)
    {
        var next = Edges.Where(e => string.Equals(forward ? e.From : e.To, id, StringComparison.Ordinal)).ToList();
        for (var i = 0; i < next.Count; i++)
        {
            var e = next[i];
            var other = forward ? e.To : e.From;
            var last = i == next.Count - 1;
            var first = seen.Add(other);
            text.Append(indent).Append(last ? "└─ " : "├─ ").Append('[').Append(e.Relation).Append("] ").Append(Describe(Node(other)));
            text.Append(first ? "\n" : " (see above)\n");
            if (first)
            {
                TreeLines(other, forward, indent + (last ? "   " : "│  "), seen, text);
            }
        }
    }

    private static string Describe(LineageNode node) =>
        node.Revoked is null ? node.Label : $"{node.Label} [REVOKED: {node.Revoked}]";

    /// <summary>The graph as JSON: root, nodes, edges.</summary>
    public string ToJson()
    {
        var json = new JsonObject
        {
            ["root"] = Root,
            ["nodes"] = new JsonArray([.. Nodes.Select(n => (JsonNode)new JsonObject
            {
                ["id"] = n.Id,
                ["type"] = n.Type,
                ["label"] = n.Label,
                ["entry"] = n.Entry,
                ["revoked"] = n.Revoked,
            })]),
            ["edges"] = new JsonArray([.. Edges.Select(e => (JsonNode)new JsonObject { ["from"] = e.From, ["to"] = e.To, ["relation"] = e.Relation })]),
        };
        return json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Graphviz DOT.</summary>
    public string ToDot()
    {
        var ids = Ids();
        var text = new StringBuilder("digraph lineage {\n  rankdir=LR;\n");
        foreach (var n in Nodes)
        {
            var shape = n.Type == "artifact" ? "ellipse" : "box";
            var color = n.Revoked is not null ? ", color=red, fontcolor=red" : string.Equals(n.Id, Root, StringComparison.Ordinal) ? ", style=bold" : string.Empty;
            text.Append(CultureInfo.InvariantCulture, $"  {ids[n.Id]} [label=\"{Escape(Describe(n))}\", shape={shape}{color}];\n");
        }

        foreach (var e in Edges)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {ids[e.From]} -> {ids[e.To]} [label=\"{e.Relation}\"];\n");
        }

        return text.Append("}\n").ToString();
    }

    /// <summary>A Mermaid flowchart.</summary>
    public string ToMermaid()
    {
        var ids = Ids();
        var text = new StringBuilder("flowchart LR\n");
        foreach (var n in Nodes)
        {
            var label = Describe(n).Replace("\"", "'", StringComparison.Ordinal);
            if (n.Type == "artifact")
            {
                text.Append(CultureInfo.InvariantCulture, $"  {ids[n.Id]}([\"{label}\"])\n");
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"  {ids[n.Id]}[\"{label}\"]\n");
            }
        }

        foreach (var e in Edges)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {ids[e.From]} -->|{e.Relation}| {ids[e.To]}\n");
        }

        foreach (var n in Nodes.Where(n => n.Revoked is not null))
        {
            text.Append(CultureInfo.InvariantCulture, $"  style {ids[n.Id]} stroke:#d00,color:#d00\n");
        }

        return text.ToString();
    }

    private Dictionary<string, string> Ids() =>
        Nodes.Select((n, i) => (n.Id, Name: "n" + i.ToString(CultureInfo.InvariantCulture))).ToDictionary(p => p.Id, p => p.Name, StringComparer.Ordinal);

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
