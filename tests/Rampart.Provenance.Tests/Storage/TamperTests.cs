using Rampart.Provenance.Checkpoints;
using Rampart.Provenance.Signing;
using Rampart.TestKit;

namespace Rampart.Provenance.Tests.Storage;

/// <summary>
/// A ledger edited behind Rampart's back with plain SQL is caught by verify, which names the first bad entry. The same
/// cases run against SQLite and PostgreSQL.
/// </summary>
public abstract class TamperTests : IAsyncLifetime
{
    private LedgerSigner _signer = null!;

    protected const int Entries = 10;

    protected abstract string Location { get; }

    protected abstract Task SqlAsync(string sql);

    protected abstract SqlDialect Dialect { get; }

    protected Ledger Ledger { get; private set; } = null!;

    protected LedgerSigner Signer => _signer;

    public virtual async Task InitializeAsync()
    {
        _signer = LedgerSigner.Generate("writer");
        Ledger = await Provenance.Ledger.InitializeAsync(Location, "test.example/ledger", _signer, new LedgerTestKit.FixedTime(LedgerTestKit.Now));
        for (var i = 0; i < Entries; i++)
        {
            await Ledger.AppendAsync(LedgerTestKit.Dataset(i));
        }
    }

    public virtual async Task DisposeAsync()
    {
        await Ledger.DisposeAsync();
        _signer.Dispose();
    }

    protected async Task Verify_Untouched_IsOkScenario()
    {
        await Ledger.CreateCheckpointAsync();
        var result = await Ledger.VerifyAsync();
        result.Problems.Should().BeEmpty();
        result.Size.Should().Be(Entries);
        result.CheckpointsChecked.Should().Be(1);
        result.Root.Should().Equal(await Ledger.GetRootAsync(Entries));
    }

    protected async Task Verify_EditedRow_NamesItScenario()
    {
        await SqlAsync("UPDATE ledger_entries SET record = REPLACE(record, 'CC-BY-4.0', 'MIT') WHERE seq = 3");
        var result = await Ledger.VerifyAsync();
        result.Ok.Should().BeFalse();
        result.FirstBadEntry.Should().Be(3);
        result.Problems[0].Should().Contain("entry 3").And.Contain("signature");
    }

    protected async Task Verify_DeletedRow_NamesItScenario()
    {
        await SqlAsync("DELETE FROM ledger_entries WHERE seq = 4");
        var result = await Ledger.VerifyAsync();
        result.FirstBadEntry.Should().Be(4);
        result.Problems[0].Should().Contain("entry 4 is missing");
    }

    protected async Task Verify_DeletedLastRowsAndNodes_CaughtByTheStoredCheckpointScenario()
    {
        await Ledger.CreateCheckpointAsync();
        await SqlAsync($"DELETE FROM ledger_entries WHERE seq >= {Entries - 2}");
        await SqlAsync($"DELETE FROM ledger_nodes WHERE idx >= {Entries - 2} AND level = 0");
        await SqlAsync("DELETE FROM ledger_nodes WHERE level = 1 AND idx = 4");
        var result = await Ledger.VerifyAsync();
        result.Ok.Should().BeFalse();
        result.Problems.Should().Contain(p => p.Contains("larger than the log", StringComparison.Ordinal));
        result.FirstBadEntry.Should().Be(Entries - 2);
    }

    protected async Task Verify_ReorderedRows_NamesTheFirstScenario()
    {
        await SqlAsync("UPDATE ledger_entries SET seq = 100 WHERE seq = 2");
        await SqlAsync("UPDATE ledger_entries SET seq = 2 WHERE seq = 6");
        await SqlAsync("UPDATE ledger_entries SET seq = 6 WHERE seq = 100");
        var result = await Ledger.VerifyAsync();
        result.FirstBadEntry.Should().Be(2);
        result.Problems[0].Should().Contain("entry 2").And.Contain("says it is entry 6");
    }

    protected async Task Verify_InsertedRow_IsCaughtScenario()
    {
        var copy = await Ledger.Store.GetEntryAsync(3, CancellationToken.None);
        await SqlAsync($"INSERT INTO ledger_entries (seq, record, signature, leaf_hash) SELECT {Entries}, record, signature, leaf_hash FROM ledger_entries WHERE seq = 3");
        copy.Should().NotBeNull();
        var result = await Ledger.VerifyAsync();
        result.FirstBadEntry.Should().Be(Entries);
        result.Problems[0].Should().Contain($"entry {Entries}").And.Contain("says it is entry 3");
    }

    protected async Task Verify_EntryAppendedWithAnotherKey_FailsWhenKeysAreTrustedScenario()
    {
        using var intruder = LedgerSigner.Generate("intruder");
        await using (var other = await Provenance.Ledger.OpenAsync(Location, intruder))
        {
            await other.AppendAsync(LedgerTestKit.Dataset(99));
        }

        (await Ledger.VerifyAsync()).Ok.Should().BeTrue("an append through the API is well-formed");
        var result = await Ledger.VerifyAsync(new VerifyOptions(TrustedKeyIds: new HashSet<string> { Signer.KeyId }));
        result.FirstBadEntry.Should().Be(Entries);
        result.Problems[0].Should().Contain("not a trusted key");
    }

    protected async Task Verify_HistoryRewrittenAndResigned_FailsOnlyAgainstTheOldCheckpointScenario()
    {
        var old = await Ledger.CreateCheckpointAsync();
        var exported = Checkpoint.Parse(old.ToNote());

        // Someone with the database and the writer's key rewrites everything: a perfectly self-consistent fork.
        await SqlAsync("DELETE FROM ledger_entries");
        await SqlAsync("DELETE FROM ledger_nodes");
        await SqlAsync("DELETE FROM ledger_checkpoints");
        for (var i = 0; i < Entries + 2; i++)
        {
            await Ledger.AppendAsync(LedgerTestKit.Dataset(i == 5 ? 500 : i));
        }

        (await Ledger.VerifyAsync()).Ok.Should().BeTrue("the fork is internally consistent");
        var result = await Ledger.VerifyAsync(new VerifyOptions(exported, Signer.PublicKey));
        result.Ok.Should().BeFalse();
        result.Problems.Should().Contain(p => p.Contains("history was rewritten", StringComparison.Ordinal));
    }

    protected async Task Verify_SinceOldCheckpoint_AfterHonestGrowth_IsOkScenario()
    {
        var old = Checkpoint.Parse((await Ledger.CreateCheckpointAsync()).ToNote());
        for (var i = 0; i < 7; i++)
        {
            await Ledger.AppendAsync(LedgerTestKit.Dataset(100 + i));
        }

        var result = await Ledger.VerifyAsync(new VerifyOptions(old, Signer.PublicKey));
        result.Problems.Should().BeEmpty();
        result.SinceChecked.Should().BeTrue();
    }

    protected async Task Proofs_FromTheStore_VerifyScenario()
    {
        var size = await Ledger.GetSizeAsync();
        for (var i = 0; i < size; i++)
        {
            (await Ledger.ProveInclusionAsync(i)).Verify().Should().BeTrue();
        }

        for (var m = 1; m <= size; m++)
        {
            (await Ledger.ProveConsistencyAsync(m, size)).Verify().Should().BeTrue();
        }
    }

    protected async Task Append_ConcurrentWriters_NeitherForkNorLoseScenario()
    {
        const int Writers = 8;
        const int Each = 15;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            using var key = LedgerSigner.Generate($"writer-{w}");
            await using var ledger = await Provenance.Ledger.OpenAsync(Location, key);
            for (var i = 0; i < Each; i++)
            {
                await ledger.AppendAsync(LedgerTestKit.Dataset(((w + 1) * 1000) + i));
            }
        })));

        var result = await Ledger.VerifyAsync();
        result.Problems.Should().BeEmpty();
        result.Size.Should().Be(Entries + (Writers * Each));
        var names = new List<string>();
        await foreach (var (_, contents) in Ledger.ReadAsync())
        {
            names.Add(contents.Record.Text("name")!);
        }

        names.Should().OnlyHaveUniqueItems().And.HaveCount(Entries + (Writers * Each));
    }

    /// <summary>
    /// One cell of the tamper matrix: verify fails, names the damaged row and the first bad entry, and never throws;
    /// reading, proving and tracing either work or stop with a one-line ledger error, never another exception.
    /// </summary>
    protected async Task TamperMatrixScenario(string table, string column, Damage damage)
    {
        var tamper = new TamperCase(table, column, damage);
        await Ledger.CreateCheckpointAsync();
        foreach (var sql in tamper.Sql(Dialect))
        {
            await SqlAsync(sql);
        }

        var result = await Ledger.VerifyAsync();
        result.Ok.Should().BeFalse($"{tamper} must be caught");
        result.FirstBadEntry.Should().Be(tamper.FirstBadEntry(Dialect), string.Join(" | ", result.Problems));
        var named = result.Problems.Where(p => p.Contains(tamper.Name(Dialect), StringComparison.Ordinal)).ToList();
        named.Should().NotBeEmpty($"a problem must name {tamper.Name(Dialect)}: {string.Join(" | ", result.Problems)}");
        if (tamper.NamesColumn)
        {
            named.Should().Contain(p => p.Contains(column, StringComparison.Ordinal), "the message says which column is wrong");
        }

        var read = async () =>
        {
            await foreach (var _ in Ledger.ReadAsync())
            {
            }
        };
        if (table == "ledger_entries")
        {
            await read.Should().ThrowAsync<LedgerDamagedException>("show and trace must not list a damaged log as if it were whole");
        }
        else
        {
            await read.Should().NotThrowAsync();
        }

        await CleanAsync(read);
        await CleanAsync(() => Ledger.TraceAsync(LedgerTestKit.Digest("data-3")));
        await CleanAsync(() => Ledger.Store.GetEntryAsync(3, CancellationToken.None));
        await CleanAsync(async () =>
        {
            var size = await Ledger.GetSizeAsync();
            for (var i = 0L; i < Math.Min(size, Entries + 2); i++)
            {
                var proof = await Ledger.ProveInclusionAsync(i);
                proof.Verify().Should().BeTrue("a proof the store serves must hold or not be served");
            }

            await Ledger.ProveConsistencyAsync(1, size);
        });
    }

    /// <summary>Damaged origins: the ledger cannot be opened, and says so in one line.</summary>
    protected async Task DamagedOriginScenario(Damage damage)
    {
        foreach (var sql in TamperCase.Origin(damage).Sql(Dialect))
        {
            await SqlAsync(sql);
        }

        var open = () => Provenance.Ledger.OpenAsync(Location);
        (await open.Should().ThrowAsync<LedgerDamagedException>()).Which.Message.Should().Contain("origin");
    }

    private static async Task CleanAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (e is LedgerDamagedException or ProvenanceException)
        {
            e.Message.Should().NotContain("\n").And.NotBeNullOrWhiteSpace();
        }
    }
}
