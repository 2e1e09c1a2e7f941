using Rampart.TestKit;
using Microsoft.Data.Sqlite;

namespace Rampart.Provenance.Tests.Storage;

public sealed class SqliteTamperTests : TamperTests, IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    protected override string Location => _folder.File("ledger.db");

    protected override async Task SqlAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Location};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }


    protected override SqlDialect Dialect => SqlDialect.Sqlite;

    [Theory]
    [MemberData(nameof(TamperCase.Data), MemberType = typeof(TamperCase))]
    public Task Verify_TamperMatrix_NamesTheBadRow(string table, string column, Damage damage) => TamperMatrixScenario(table, column, damage);

    [Theory]
    [MemberData(nameof(TamperCase.OriginDamage), MemberType = typeof(TamperCase))]
    public Task Open_DamagedOrigin_FailsInOneLine(Damage damage) => DamagedOriginScenario(damage);

    [Fact]
    public Task Verify_Untouched_IsOk() => Verify_Untouched_IsOkScenario();

    [Fact]
    public Task Verify_EditedRow_NamesIt() => Verify_EditedRow_NamesItScenario();

    [Fact]
    public Task Verify_DeletedRow_NamesIt() => Verify_DeletedRow_NamesItScenario();

    [Fact]
    public Task Verify_DeletedLastRowsAndNodes_CaughtByTheStoredCheckpoint() => Verify_DeletedLastRowsAndNodes_CaughtByTheStoredCheckpointScenario();

    [Fact]
    public Task Verify_ReorderedRows_NamesTheFirst() => Verify_ReorderedRows_NamesTheFirstScenario();

    [Fact]
    public Task Verify_InsertedRow_IsCaught() => Verify_InsertedRow_IsCaughtScenario();

    [Fact]
    public Task Verify_EntryAppendedWithAnotherKey_FailsWhenKeysAreTrusted() => Verify_EntryAppendedWithAnotherKey_FailsWhenKeysAreTrustedScenario();

    [Fact]
    public Task Verify_HistoryRewrittenAndResigned_FailsOnlyAgainstTheOldCheckpoint() => Verify_HistoryRewrittenAndResigned_FailsOnlyAgainstTheOldCheckpointScenario();

    [Fact]
    public Task Verify_SinceOldCheckpoint_AfterHonestGrowth_IsOk() => Verify_SinceOldCheckpoint_AfterHonestGrowth_IsOkScenario();

    [Fact]
    public Task Proofs_FromTheStore_Verify() => Proofs_FromTheStore_VerifyScenario();

    [Fact]
    public Task Append_ConcurrentWriters_NeitherForkNorLose() => Append_ConcurrentWriters_NeitherForkNorLoseScenario();

    [Fact]
    public async Task Open_MissingFile_SaysHowToCreateOne()
    {
        var act = () => Provenance.Ledger.OpenAsync(_folder.File("none.db"));
        await act.Should().ThrowAsync<ProvenanceException>().WithMessage("*rampart ledger init*");
    }

    [Fact]
    public async Task Open_NotALedger_SaysSo()
    {
        await File.WriteAllTextAsync(_folder.File("junk.db"), "not sqlite at all, just text that is long enough to be a header.........");
        var act = () => Provenance.Ledger.OpenAsync(_folder.File("junk.db"));
        await act.Should().ThrowAsync<ProvenanceException>();
    }
}
