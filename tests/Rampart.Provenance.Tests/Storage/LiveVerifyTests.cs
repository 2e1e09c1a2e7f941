using Npgsql;
using Rampart.Provenance.Signing;
using Rampart.Provenance.Storage;
using Rampart.TestKit;

namespace Rampart.Provenance.Tests.Storage;

/// <summary>
/// Verify on a ledger that is still being written: one task appends (and now and then signs a checkpoint) while
/// another verifies again and again. Each verification must see one consistent state of the log (entries, nodes and
/// checkpoints of the same moment), so it reports no problem at all, on SQLite and on PostgreSQL.
/// </summary>
public sealed class LiveVerifyTests : IAsyncLifetime
{
    private const int Appends = 120;
    private readonly string _schema = "rampart_live_" + Guid.NewGuid().ToString("N")[..12];
    private bool _schemaMade;

    [Fact]
    public async Task Sqlite_VerifyWhileAppending_ReportsNothing()
    {
        using var folder = new TempFolder();
        await VerifyWhileAppendingAsync(folder.File("ledger.db"));
    }

    [PostgresFact]
    public async Task Postgres_VerifyWhileAppending_ReportsNothing()
    {
        await AdminAsync($"CREATE SCHEMA {_schema}");
        _schemaMade = true;
        await VerifyWhileAppendingAsync(PostgresUrl.ToConnectionString(PostgresFactAttribute.ConnectionString!) + $";Search Path={_schema}");
    }

    private static async Task VerifyWhileAppendingAsync(string location)
    {
        var signer = LedgerSigner.Generate("live");
        await using var writer = await Ledger.InitializeAsync(location, "test.example/live", signer, new LedgerTestKit.FixedTime(LedgerTestKit.Now));
        await using var reader = await Ledger.OpenAsync(location);
        using var done = new CancellationTokenSource();
        var appending = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < Appends; i++)
                {
                    await writer.AppendAsync(LedgerTestKit.Dataset(i));
                    if (i % 10 == 9)
                    {
                        await writer.CreateCheckpointAsync();
                    }
                }
            }
            finally
            {
                await done.CancelAsync();
            }
        });

        var verifications = 0;
        var sizes = new HashSet<long>();
        var problems = new List<string>();
        while (!done.IsCancellationRequested || verifications < 3)
        {
            var result = await reader.VerifyAsync();
            verifications++;
            sizes.Add(result.Size);
            problems.AddRange(result.Problems.Select(p => $"at size {result.Size}: {p}"));
        }

        await appending;
        problems.Should().BeEmpty();
        // The check is only worth something if verify really ran beside the writer, at several sizes of the log.
        sizes.Count.Should().BeGreaterThan(2, "verify ran {0} times", verifications);
        (await reader.VerifyAsync()).Should().Match<LedgerVerification>(v => v.Ok && v.Size == Appends && v.CheckpointsChecked == Appends / 10);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_schemaMade)
        {
            NpgsqlConnection.ClearAllPools();
            await AdminAsync($"DROP SCHEMA {_schema} CASCADE");
        }
    }

    private static async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(PostgresUrl.ToConnectionString(PostgresFactAttribute.ConnectionString!));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
