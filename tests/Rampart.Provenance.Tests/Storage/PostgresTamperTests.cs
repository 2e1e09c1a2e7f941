using Npgsql;
using Rampart.Provenance.Storage;
using Rampart.TestKit;

namespace Rampart.Provenance.Tests.Storage;

/// <summary>
/// The tamper and concurrency cases against a real PostgreSQL server (RAMPART_TEST_POSTGRES, started by .ci/run).
/// Each test gets its own schema, dropped afterwards.
/// </summary>
public sealed class PostgresTamperTests : TamperTests
{
    private readonly string _schema = "rampart_t_" + Guid.NewGuid().ToString("N")[..12];

    protected override string Location =>
        PostgresUrl.ToConnectionString(PostgresFactAttribute.ConnectionString!) + $";Search Path={_schema}";

    public override async Task InitializeAsync()
    {
        if (PostgresFactAttribute.ConnectionString is null)
        {
            return;
        }

        await AdminAsync($"CREATE SCHEMA {_schema}");
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        if (PostgresFactAttribute.ConnectionString is null)
        {
            return;
        }

        await base.DisposeAsync();
        await AdminAsync($"DROP SCHEMA {_schema} CASCADE");
    }

    protected override async Task SqlAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Location);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(PostgresUrl.ToConnectionString(PostgresFactAttribute.ConnectionString!));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    protected override SqlDialect Dialect => SqlDialect.Postgres;

    [PostgresTheory]
    [MemberData(nameof(TamperCase.Data), MemberType = typeof(TamperCase))]
    public Task Verify_TamperMatrix_NamesTheBadRow(string table, string column, Damage damage) => TamperMatrixScenario(table, column, damage);

    [PostgresTheory]
    [MemberData(nameof(TamperCase.OriginDamage), MemberType = typeof(TamperCase))]
    public Task Open_DamagedOrigin_FailsInOneLine(Damage damage) => DamagedOriginScenario(damage);

    [PostgresFact]
    public Task Verify_Untouched_IsOk() => Verify_Untouched_IsOkScenario();

    [PostgresFact]
    public Task Verify_EditedRow_NamesIt() => Verify_EditedRow_NamesItScenario();

    [PostgresFact]
    public Task Verify_DeletedRow_NamesIt() => Verify_DeletedRow_NamesItScenario();

    [PostgresFact]
    public Task Verify_DeletedLastRowsAndNodes_CaughtByTheStoredCheckpoint() => Verify_DeletedLastRowsAndNodes_CaughtByTheStoredCheckpointScenario();

    [PostgresFact]
    public Task Verify_ReorderedRows_NamesTheFirst() => Verify_ReorderedRows_NamesTheFirstScenario();

    [PostgresFact]
    public Task Verify_InsertedRow_IsCaught() => Verify_InsertedRow_IsCaughtScenario();

    [PostgresFact]
    public Task Verify_EntryAppendedWithAnotherKey_FailsWhenKeysAreTrusted() => Verify_EntryAppendedWithAnotherKey_FailsWhenKeysAreTrustedScenario();

    [PostgresFact]
    public Task Verify_HistoryRewrittenAndResigned_FailsOnlyAgainstTheOldCheckpoint() => Verify_HistoryRewrittenAndResigned_FailsOnlyAgainstTheOldCheckpointScenario();

    [PostgresFact]
    public Task Verify_SinceOldCheckpoint_AfterHonestGrowth_IsOk() => Verify_SinceOldCheckpoint_AfterHonestGrowth_IsOkScenario();

    [PostgresFact]
    public Task Proofs_FromTheStore_Verify() => Proofs_FromTheStore_VerifyScenario();

    [PostgresFact]
    public Task Append_ConcurrentWriters_NeitherForkNorLose() => Append_ConcurrentWriters_NeitherForkNorLoseScenario();
}
