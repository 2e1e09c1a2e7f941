using Microsoft.Data.Sqlite;
using Rampart.Core;
using Rampart.Provenance;
using Rampart.Provenance.Records;
using Rampart.Provenance.Signing;
using Rampart.TestKit;

namespace Rampart.Cli.Tests;

/// <summary>
/// The ledger commands on a store edited behind Rampart's back: `ledger verify` exits 4 and names the bad row for
/// every cell of the tamper matrix; show, prove, trace and slsa either work or stop with one line (exit 3 or 4),
/// never an internal error or a stack trace. Also the standard (Ed25519 signed-note) checkpoint key workflow.
/// </summary>
public sealed class LedgerTamperCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rampart-ledger-tamper-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Db => Path.Combine(_dir, "ledger.db");

    private Task<CliRun> Run(params string[] args) => CliRunner.RunAsync(args, e => e with { CurrentDirectory = _dir });

    private static string DatasetDigest(int i) => ArtifactDigest.Of(System.Text.Encoding.UTF8.GetBytes($"data-{i}"));

    private async Task BuildAsync()
    {
        using var signer = LedgerSigner.Generate("writer");
        await using var ledger = await Ledger.InitializeAsync(Db, "cli.test/tamper", signer);
        for (var i = 0; i < TamperCase.Entries; i++)
        {
            await ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Dataset).Set("name", $"data-{i}").Set("manifest", DatasetDigest(i)).Build());
        }

        await ledger.CreateCheckpointAsync();
    }

    private async Task SqlAsync(IEnumerable<string> statements)
    {
        await using var connection = new SqliteConnection($"Data Source={Db};Pooling=False");
        await connection.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }
    }

    [Theory]
    [MemberData(nameof(TamperCase.Data), MemberType = typeof(TamperCase))]
    public async Task Verify_TamperedStore_ExitsFourNamingTheRow_AndNoCommandCrashes(string table, string column, Damage damage)
    {
        var tamper = new TamperCase(table, column, damage);
        await BuildAsync();
        (await Run("ledger", "verify", "--db", Db)).ExitCode.Should().Be(ExitCodes.Clean);
        await SqlAsync(tamper.Sql(SqlDialect.Sqlite));

        var verify = await Run("ledger", "verify", "--db", Db);
        verify.ExitCode.Should().Be(ExitCodes.VerificationFailed, verify.Stdout + verify.Stderr);
        verify.Stdout.Should().Contain("VERIFICATION FAILED").And.Contain(tamper.Name(SqlDialect.Sqlite));
        if (tamper.FirstBadEntry(SqlDialect.Sqlite) is { } first)
        {
            verify.Stdout.Should().Contain($"first bad entry: {first}\n");
        }

        foreach (var args in new[]
        {
            new[] { "ledger", "show" }, ["ledger", "show", "3"], ["ledger", "show", "--format", "json"], ["ledger", "prove", "3"],
            ["ledger", "prove", "--consistency", "1"], ["trace", DatasetDigest(3)], ["ledger", "verify", "--format", "json"],
        })
        {
            var run = await Run([.. args, "--db", Db]);
            run.ExitCode.Should().BeOneOf([ExitCodes.Clean, ExitCodes.Findings, ExitCodes.UsageError, ExitCodes.VerificationFailed], $"{string.Join(' ', args)}: {run.Stderr}");
            run.Stderr.Should().NotContain("internal error").And.NotContain("   at ").And.NotContain("Exception");
        }

        if (table == "ledger_entries")
        {
            var show = await Run("ledger", "show", "--db", Db);
            show.ExitCode.Should().Be(ExitCodes.VerificationFailed, "a damaged log is not listed as if it were whole");
            show.Stderr.Should().StartWith("rampart: the ledger is damaged: ").And.Contain("rampart ledger verify");
        }
    }

    [Theory]
    [MemberData(nameof(TamperCase.OriginDamage), MemberType = typeof(TamperCase))]
    public async Task Verify_DamagedOrigin_ExitsFourInOneLine(Damage damage)
    {
        await BuildAsync();
        await SqlAsync(TamperCase.Origin(damage).Sql(SqlDialect.Sqlite));
        var verify = await Run("ledger", "verify", "--db", Db);
        verify.ExitCode.Should().Be(ExitCodes.VerificationFailed);
        verify.Stderr.Should().Contain("origin").And.NotContain("   at ");
        verify.Stderr.Trim().Split('\n').Should().ContainSingle();
    }

    [Fact]
    public async Task Checkpoint_Ed25519NoteKey_PrintsVerifierKey_AndVerifiesSince()
    {
        await BuildAsync();
        var keygen = await Run("ledger", "keygen", "--name", "cli.test/checkpoints", "--out", "cp");
        keygen.ExitCode.Should().Be(0, keygen.Stderr);
        var vkey = File.ReadAllText(Path.Combine(_dir, "cp.vkey")).Trim();
        vkey.Should().StartWith("cli.test/checkpoints+").And.MatchRegex(@"^cli\.test/checkpoints\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$", "type byte 0x01 and a 32-byte key");
        File.ReadAllText(Path.Combine(_dir, "cp.key")).Should().StartWith("PRIVATE+KEY+cli.test/checkpoints+");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(Path.Combine(_dir, "cp.key")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var printed = await Run("ledger", "checkpoint", "--key", "cp.key", "--print-verifier-key");
        printed.Stdout.Trim().Should().Be(vkey);

        var checkpoint = await Run("ledger", "checkpoint", "--db", Db, "--key", "cp.key", "--out", "head.txt");
        checkpoint.ExitCode.Should().Be(0, checkpoint.Stderr);
        var note = File.ReadAllText(Path.Combine(_dir, "head.txt"));
        note.Should().StartWith($"cli.test/tamper\n{TamperCase.Entries}\n").And.Contain("\n\n\u2014 cli.test/checkpoints ");

        var verify = await Run("ledger", "verify", "--db", Db, "--since", "head.txt", "--since-key", "cp.vkey");
        verify.ExitCode.Should().Be(0, verify.Stdout + verify.Stderr);
        verify.Stdout.Should().Contain("1 stored checkpoint(s) match", "the Ed25519 checkpoint replaced the ECDSA one of the same size");

        var keygenAgain = await Run("ledger", "keygen", "--name", "cli.test/other", "--out", "other");
        keygenAgain.ExitCode.Should().Be(0);
        var wrongKey = await Run("ledger", "verify", "--db", Db, "--since", "head.txt", "--since-key", "other.vkey");
        wrongKey.ExitCode.Should().Be(ExitCodes.VerificationFailed);
        wrongKey.Stdout.Should().Contain("not signed by the given key");
    }

    [Theory]
    [InlineData("PRIVATE+KEY+x+00000000+AAAA")]
    [InlineData("PRIVATE+KEY+only-two")]
    [InlineData("not a key at all")]
    public async Task Checkpoint_BadKeyFile_IsAUsageError(string key)
    {
        await BuildAsync();
        await File.WriteAllTextAsync(Path.Combine(_dir, "bad.key"), key);
        var run = await Run("ledger", "checkpoint", "--db", Db, "--key", "bad.key");
        run.ExitCode.Should().Be(ExitCodes.UsageError);
        run.Stderr.Should().NotContain("   at ");
    }
}
