using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rampart.Core.IO;

namespace Rampart.RedTeam.Harness;

/// <summary>
/// The resumable state of a run: a JSON Lines file whose first line names the run (kind, target, seed) and whose
/// other lines are one finished step each (<c>{"key": ..., "value": ...}</c>), flushed as they finish. A run started
/// with the same journal skips every step already in it and reuses its answer, so an interrupted exercise continues
/// where it stopped and gives the same report. A journal of a different run is refused, never mixed in.
/// </summary>
public sealed class RunJournal : IDisposable
{
    private const int MaxLineChars = 4 << 20;
    private readonly Dictionary<string, JsonNode?> _done = new(StringComparer.Ordinal);
    private readonly StreamWriter? _writer;
    private readonly Lock _lock = new();

    private RunJournal(StreamWriter? writer) => _writer = writer;

    /// <summary>A journal that keeps nothing (no --journal given).</summary>
    public static RunJournal None() => new(null);

    /// <summary>Opens or creates the journal at <paramref name="path"/> for the run described by <paramref name="header"/>.</summary>
    public static RunJournal Open(string path, JsonObject header)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(header);
        var headerText = header.ToJsonString();
        var entries = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var exists = File.Exists(path) && new FileInfo(path).Length > 0;
        if (exists)
        {
            var first = true;
            foreach (var line in BoundedFile.ReadLines(path, MaxLineChars))
            {
                if (line.Length == 0)
                {
                    continue;
                }

                JsonNode? node;
                try
                {
                    node = JsonNode.Parse(line);
                }
                catch (JsonException)
                {
                    // A line cut short by a crash is the last one; anything before it stands.
                    continue;
                }

                if (first)
                {
                    if (node?["run"]?.ToJsonString() != header.ToJsonString())
                    {
                        throw new InvalidDataException($"{path} is the journal of another run ({node?["run"]?.ToJsonString() ?? "no header"}); use a new journal file or the same options");
                    }

                    first = false;
                    continue;
                }

                if (node?["key"] is JsonValue key && key.TryGetValue<string>(out var k))
                {
                    entries[k] = node["value"]?.DeepClone();
                }
            }
        }

        var writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
        if (!exists)
        {
            writer.WriteLine(new JsonObject { ["run"] = JsonNode.Parse(headerText) }.ToJsonString());
            writer.Flush();
        }

        var journal = new RunJournal(writer);
        foreach (var (k, v) in entries)
        {
            journal._done[k] = v;
        }

        return journal;
    }

    /// <summary>Steps recovered from the file when it was opened.</summary>
    public int Recovered { get; private set; }

    /// <summary>The stored answer of step <paramref name="key"/>, when the journal has it.</summary>
    public bool TryGet(string key, out JsonNode? value)
    {
        lock (_lock)
        {
            if (_done.TryGetValue(key, out var stored))
            {
                Recovered++;
                value = stored?.DeepClone();
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>Records that step <paramref name="key"/> finished with <paramref name="value"/>.</summary>
    public void Record(string key, JsonNode? value)
    {
        lock (_lock)
        {
            _done[key] = value?.DeepClone();
            if (_writer is not null)
            {
                _writer.WriteLine(new JsonObject { ["key"] = key, ["value"] = value?.DeepClone() }.ToJsonString());
                _writer.Flush();
            }
        }
    }

    public void Dispose() => _writer?.Dispose();
}
