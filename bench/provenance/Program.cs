using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Rampart.Provenance;
using Rampart.Provenance.Merkle;
using Rampart.Provenance.Records;
using Rampart.Provenance.Signing;

namespace Rampart.Provenance.Bench;

/// <summary>
/// The provenance ledger benchmark (bench/provenance/README.md): appends N signed records to a SQLite ledger and, in
/// the same run, inserts the same rows into a plain SQLite table (no Merkle log, same one-transaction-per-row
/// discipline); at 1k, 10k and 100k entries it produces and checks an inclusion proof for every entry so far and
/// reports the time and node reads per proof. Prints a Markdown report.
/// </summary>
public static class Program
{
    private static readonly int[] ProofSizes = [1_000, 10_000, 100_000];

    public static async Task<int> Main(string[] args)
    {
        var total = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var checkpoints = ProofSizes.Where(c => c <= total).ToArray();
        var folder = Directory.CreateTempSubdirectory("rampart-prov-bench-").FullName;
        try
        {
            return await RunAsync(folder, total, checkpoints);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<int> RunAsync(string folder, int total, int[] proofSizes)
    {
        var report = new StringBuilder();
        using var signer = LedgerSigner.Generate("bench");
        var records = Enumerable.Range(0, total).Select(Record).ToArray();

        // 1. The ledger: sign, number, insert entry + Merkle nodes, one transaction per append.
        await using var ledger = await Ledger.InitializeAsync(Path.Combine(folder, "ledger.db"), "bench/ledger", signer);
        var appendClock = Stopwatch.StartNew();
        var proofRows = new List<string>();
        var next = 0;
        foreach (var size in proofSizes.Append(total).Distinct())
        {
            appendClock.Start();
            for (; next < size; next++)
            {
                await ledger.AppendAsync(records[next]);
            }

            appendClock.Stop();
            if (!proofSizes.Contains(size))
            {
                continue;
            }

            if (size == proofSizes[0])
            {
                // Untimed warm-up pass so the first timed size does not pay for JIT compilation.
                for (var i = 0; i < size; i++)
                {
                    await ledger.ProveInclusionAsync(i, size);
                }
            }

            var proofClock = Stopwatch.StartNew();
            var proofs = new InclusionProof[size];
            for (var i = 0; i < size; i++)
            {
                proofs[i] = await ledger.ProveInclusionAsync(i, size);
            }

            proofClock.Stop();
            var failed = proofs.Count(p => !p.Verify());

            // The machine is shared and noisy: also time 5 rounds of the same 1,000 sampled proofs and keep the median round.
            var random = new Random(size);
            var sample = Enumerable.Range(0, 1_000).Select(_ => (long)random.Next(size)).ToArray();
            var rounds = new List<double>();
            for (var round = 0; round < 5; round++)
            {
                var roundClock = Stopwatch.StartNew();
                foreach (var i in sample)
                {
                    await ledger.ProveInclusionAsync(i, size);
                }

                rounds.Add(roundClock.Elapsed.TotalMicroseconds / sample.Length);
            }

            rounds.Sort();
            var nodes = Enumerable.Range(0, size).Average(i => MerkleProofs.NodesForInclusion(i, size).Count);
            proofRows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {size:N0} | {proofClock.Elapsed.TotalMicroseconds / size:F1} | {rounds[2]:F1} | {nodes:F1} | {Math.Log2(size):F1} | {proofs.Average(p => p.Path.Count):F1} | {failed} |"));
        }

        var appendSeconds = appendClock.Elapsed.TotalSeconds;

        // 2. The reference: the same rows (record text, signature, leaf hash) into a plain table, one transaction per row.
        var rows = new List<LedgerEntry>(total);
        await foreach (var (entry, _) in ledger.ReadAsync(CancellationToken.None))
        {
            rows.Add(entry);
        }

        var plainSeconds = PlainInsert(Path.Combine(folder, "plain.db"), rows);

        // 3. Signing alone, to show what share of an append is the ECDSA signature.
        var signClock = Stopwatch.StartNew();
        for (var i = 0; i < Math.Min(total, 10_000); i++)
        {
            _ = LedgerEntry.Create(i, records[i], signer, DateTimeOffset.UnixEpoch);
        }

        signClock.Stop();
        var signMicros = signClock.Elapsed.TotalMicroseconds / Math.Min(total, 10_000);

        var verifyClock = Stopwatch.StartNew();
        var verification = await ledger.VerifyAsync();
        verifyClock.Stop();

        report.AppendLine(CultureInfo.InvariantCulture, $"## Appends: {total:N0} signed records, SQLite (one transaction per row in both)");
        report.AppendLine();
        report.AppendLine("| what | total s | µs per row | ratio to plain insert |");
        report.AppendLine("|---|---|---|---|");
        report.AppendLine(CultureInfo.InvariantCulture, $"| plain SQLite insert of the same rows (reference) | {plainSeconds:F2} | {plainSeconds * 1e6 / total:F1} | 1.00 |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| ledger append (sign + entry + Merkle nodes) | {appendSeconds:F2} | {appendSeconds * 1e6 / total:F1} | {appendSeconds / plainSeconds:F2} |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| of which ECDSA P-256 signing alone (10k sample) | | {signMicros:F1} | |");
        report.AppendLine();
        report.AppendLine("## Inclusion proofs for every entry, from the stored nodes");
        report.AppendLine();
        report.AppendLine("| log size | µs per proof, all entries once | µs per proof, median of 5 rounds of 1,000 sampled | stored nodes read per proof (mean) | log2(size) | proof length (mean) | proofs failing verification |");
        report.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var row in proofRows)
        {
            report.AppendLine(row);
        }

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"`ledger verify` over the {total:N0} entries (every signature, leaf, node and root recomputed): {verifyClock.Elapsed.TotalSeconds:F2} s, ok = {verification.Ok}.");
        Console.Write(report.ToString());
        return verification.Ok && proofRows.All(r => r.EndsWith("| 0 |", StringComparison.Ordinal)) ? 0 : 1;
    }

    private static double PlainInsert(string path, List<LedgerEntry> rows)
    {
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE plain (seq BIGINT PRIMARY KEY, record TEXT NOT NULL, signature BLOB NOT NULL, leaf_hash BLOB NOT NULL)";
            setup.ExecuteNonQuery();
        }

        var clock = Stopwatch.StartNew();
        foreach (var row in rows)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO plain (seq, record, signature, leaf_hash) VALUES (@s, @r, @g, @h)";
            insert.Parameters.AddWithValue("@s", row.Sequence);
            insert.Parameters.AddWithValue("@r", row.RecordJson);
            insert.Parameters.AddWithValue("@g", row.Signature);
            insert.Parameters.AddWithValue("@h", row.LeafHash);
            insert.ExecuteNonQuery();
            transaction.Commit();
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static ProvenanceRecord Record(int i) => ProvenanceRecord.Create(RecordKinds.Scan)
        .Set("artifact", ArtifactDigest.Of(BitConverter.GetBytes(i)))
        .Set("verdict", "clean")
        .Set("tool", "rampart bench")
        .Build();
}
