using System.Collections.Frozen;
using System.Text.Json;

namespace Rampart.Server.Incidents;

public sealed record PlaybookStep(string Id, string Text, string? Action);

/// <summary>A checklist for one incident type, from rules/playbooks/*.json (embedded).</summary>
public sealed record Playbook(string Type, string Title, string Severity, IReadOnlyList<string> Alarms, IReadOnlyList<PlaybookStep> Steps);

/// <summary>The shipped playbooks, by incident type; alarm kinds map to the playbook that lists them.</summary>
public static class Playbooks
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Actions a step may offer.</summary>
    public static readonly FrozenSet<string> Actions = new[] { "quarantine", "revoke", "rotate-keys" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Loaded after <see cref="Actions"/> (static fields initialise in order).</summary>
    public static FrozenDictionary<string, Playbook> All { get; } = Load();

    public static Playbook? ForAlarm(string kind) => All.Values.FirstOrDefault(p => p.Alarms.Contains(kind, StringComparer.Ordinal));

    private static FrozenDictionary<string, Playbook> Load()
    {
        var assembly = typeof(Playbooks).Assembly;
        var books = new Dictionary<string, Playbook>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("playbooks/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            var book = JsonSerializer.Deserialize<Playbook>(stream, Json) ?? throw new InvalidDataException($"{name} is empty");
            if (book.Steps.Count == 0 || book.Steps.Any(s => s.Action is not null && !Actions.Contains(s.Action)))
            {
                throw new InvalidDataException($"{name}: a playbook needs steps, and step actions are {string.Join(", ", Actions)}");
            }

            books.Add(book.Type, book);
        }

        return books.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
