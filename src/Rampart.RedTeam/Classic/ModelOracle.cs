using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Rampart.RedTeam.Harness;
using Rampart.RedTeam.Targets;

namespace Rampart.RedTeam.Classic;

/// <summary>
/// The attacks' only way to the model: rows go out in batches through the request gate, every answer is journaled by
/// the row's digest, and a row the journal already has is answered from it (a resumed run re-asks nothing). Counts
/// the rows it actually sent, which is the attacker's query cost.
/// </summary>
public sealed class ModelOracle(ModelTarget target, RequestGate gate, RunJournal journal, int batchSize = 50)
{
    private long _sent;

    public ModelTarget Target { get; } = target;

    /// <summary>Rows sent to the target by this oracle (answers from the journal excluded).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>HTTP requests sent.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    private long _requests;

    public async Task<IReadOnlyList<ModelAnswer>> AskAsync(IReadOnlyList<double[]> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var answers = new ModelAnswer?[rows.Count];
        var missing = new List<int>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (journal.TryGet(Key(rows[i]), out var stored) && stored is JsonObject o)
            {
                answers[i] = new ModelAnswer(o["l"]!.GetValue<int>(), o["s"] is JsonArray s ? [.. s.Select(x => x!.GetValue<double>())] : null);
            }
            else
            {
                missing.Add(i);
            }
        }

        var batches = missing.Chunk(batchSize).ToList();
        await Task.WhenAll(batches.Select(async batch =>
        {
            var got = await gate.RunAsync(ct =>
            {
                Interlocked.Increment(ref _requests);
                Interlocked.Add(ref _sent, batch.Length);
                return Target.PredictAsync([.. batch.Select(i => rows[i])], ct);
            }, cancellationToken).ConfigureAwait(false);
            for (var j = 0; j < batch.Length; j++)
            {
                answers[batch[j]] = got[j];
                journal.Record(Key(rows[batch[j]]), new JsonObject
                {
                    ["l"] = got[j].Label,
                    ["s"] = got[j].Scores is { } s ? new JsonArray([.. s.Select(x => (JsonNode?)JsonValue.Create(x))]) : null,
                });
            }
        })).ConfigureAwait(false);
        return [.. answers.Select(a => a!)];
    }

    private static string Key(double[] row)
    {
        var bytes = new byte[row.Length * sizeof(double)];
        Buffer.BlockCopy(row, 0, bytes, 0, bytes.Length);
        return "q:" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..32];
    }
}
