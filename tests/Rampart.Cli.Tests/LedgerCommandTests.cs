using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Rampart.Core;
using Rampart.Provenance.Signing;
using Rampart.TestKit;

namespace Rampart.Cli.Tests;

public sealed class LedgerCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rampart-ledger-cli-").FullName;

    public LedgerCommandTests()
    {
        using var signer = LedgerSigner.Generate("k");
        File.WriteAllText(P("writer.pem"), signer.ExportPrivateKeyPem());
        File.WriteAllText(P("writer.pub"), signer.ExportPublicKeyPem());
        File.WriteAllText(P("data.csv"), "a,b\n1,2\n");
        File.WriteAllText(P("model.safetensors"), "weights");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private string Db => P("ledger.db");

    private Task<CliRun> Run(params string[] args) => CliRunner.RunAsync(args, e => e with { CurrentDirectory = _dir });

    private async Task InitAndRecordAsync()
    {
        (await Run("ledger", "init", "--db", Db, "--origin", "cli.test/ledger")).ExitCode.Should().Be(0);
        var data = await Run("record", "dataset", "--db", Db, "--key", P("writer.pem"), "--signer", "alice", "--name", "tabular", "--manifest", "data.csv", "--license", "MIT");
        data.ExitCode.Should().Be(0, data.Stderr);
        data.Stdout.Should().Contain("recorded entry 0 (dataset)");
        var run = await Run("record", "training-run", "--db", Db, "--key", P("writer.pem"), "--run-id", "r1", "--model", "model.safetensors",
            "--datasets", "data.csv", "--parameters", "lr=0.1", "--parameters", "epochs=3", "--metrics", "acc=0.9", "--code-commit", "abc123");
        run.ExitCode.Should().Be(0, run.Stderr);
    }

    [Fact]
    public async Task Verify_FreshLedger_ExitsZero()
    {
        await InitAndRecordAsync();
        var verify = await Run("ledger", "verify", "--db", Db);
        verify.ExitCode.Should().Be(ExitCodes.Clean, verify.Stderr);
        verify.Stdout.Should().Contain("OK: 2 entries");
    }

    [Fact]
    public async Task Verify_EditedRow_ExitsFourAndNamesTheEntry()
    {
        await InitAndRecordAsync();
        await using (var connection = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE ledger_entries SET record = REPLACE(record, 'lr', 'LR') WHERE seq = 1";
            (await command.ExecuteNonQueryAsync()).Should().Be(1);
        }

        var verify = await Run("ledger", "verify", "--db", Db, "--format", "json");
        verify.ExitCode.Should().Be(ExitCodes.VerificationFailed);
        var json = JsonNode.Parse(verify.Stdout)!;
        json["ok"]!.GetValue<bool>().Should().BeFalse();
        json["firstBadEntry"]!.GetValue<long>().Should().Be(1);
    }

    [Fact]
    public async Task Checkpoint_ThenGrow_VerifySinceIsOk_AndProofsPrint()
    {
        await InitAndRecordAsync();
        var checkpoint = await Run("ledger", "checkpoint", "--db", Db, "--key", P("writer.pem"), "--out", "cp.txt");
        checkpoint.ExitCode.Should().Be(0, checkpoint.Stderr);
        File.ReadAllText(P("cp.txt")).Should().StartWith("cli.test/ledger\n2\n");
        (await Run("record", "approval", "--db", Db, "--key", P("writer.pem"), "--subject", "model.safetensors", "--decision", "approved")).ExitCode.Should().Be(0);

        var verify = await Run("ledger", "verify", "--db", Db, "--since", "cp.txt", "--since-key", P("writer.pub"), "--trusted-key", P("writer.pub"));
        verify.ExitCode.Should().Be(0, verify.Stdout + verify.Stderr);
        verify.Stdout.Should().Contain("consistent with the checkpoint of size 2");

        var inclusion = JsonNode.Parse((await Run("ledger", "prove", "1", "--db", Db)).Stdout)!;
        inclusion["treeSize"]!.GetValue<long>().Should().Be(3);
        Provenance.Merkle.MerkleVerifier.VerifyInclusion(1, 3, Convert.FromBase64String(inclusion["leafHash"]!.GetValue<string>()),
            [.. inclusion["proof"]!.AsArray().Select(p => Convert.FromBase64String(p!.GetValue<string>()))],
            Convert.FromBase64String(inclusion["root"]!.GetValue<string>())).Should().BeTrue();
        var consistency = JsonNode.Parse((await Run("ledger", "prove", "--consistency", "2", "--db", Db)).Stdout)!;
        consistency["root1"]!.GetValue<string>().Should().Be(File.ReadAllText(P("cp.txt")).Split('\n')[2]);
    }

    [Fact]
    public async Task Show_ListsEntries_AndOneInFull()
    {
        await InitAndRecordAsync();
        var list = await Run("ledger", "show", "--db", Db);
        list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(2);
        list.Stdout.Should().Contain("training-run");
        var one = JsonNode.Parse((await Run("ledger", "show", "1", "--db", Db)).Stdout)!;
        one["record"]!["fields"]!["run-id"]!.GetValue<string>().Should().Be("r1");
        one["record"]!["fields"]!["parameters"]!["epochs"]!.GetValue<string>().Should().Be("3");
    }

    [Fact]
    public async Task Record_MissingRequiredField_IsAUsageError()
    {
        await InitAndRecordAsync();
        var run = await Run("record", "approval", "--db", Db, "--key", P("writer.pem"), "--subject", "model.safetensors");
        run.ExitCode.Should().Be(ExitCodes.UsageError);
        run.Stderr.Should().Contain("--decision").And.NotContain("   at ");
    }

    [Fact]
    public async Task Record_NoKey_IsAUsageError()
    {
        await InitAndRecordAsync();
        var run = await Run("record", "approval", "--db", Db, "--subject", "model.safetensors", "--decision", "approved");
        run.ExitCode.Should().Be(ExitCodes.UsageError);
        run.Stderr.Should().Contain("signing key");
    }

    [Fact]
    public async Task Record_ArtifactNeitherFileNorDigest_IsAUsageError()
    {
        await InitAndRecordAsync();
        var run = await Run("record", "scan", "--db", Db, "--key", P("writer.pem"), "--artifact", "missing.bin", "--verdict", "clean");
        run.ExitCode.Should().Be(ExitCodes.UsageError);
        run.Stderr.Should().Contain("neither a sha256 digest nor an existing file");
    }

    [Fact]
    public async Task Verify_NoLedger_IsAUsageError()
    {
        var run = await Run("ledger", "verify", "--db", P("none.db"));
        run.ExitCode.Should().Be(ExitCodes.UsageError);
        run.Stderr.Should().Contain("rampart ledger init");
    }

    [Fact]
    public async Task Trace_Model_PrintsTreeDotMermaidAndJson()
    {
        await InitAndRecordAsync();
        var tree = await Run("trace", "model.safetensors", "--db", Db);
        tree.ExitCode.Should().Be(0, tree.Stderr);
        tree.Stdout.Should().Contain("model of run r1").And.Contain("dataset tabular");
        (await Run("trace", "model.safetensors", "--db", Db, "-f", "dot")).Stdout.Should().StartWith("digraph");
        (await Run("trace", "model.safetensors", "--db", Db, "-f", "mermaid")).Stdout.Should().StartWith("flowchart LR");
        JsonNode.Parse((await Run("trace", "data.csv", "--db", Db, "-f", "json")).Stdout)!["edges"]!.AsArray().Should().HaveCount(3, "dataset entry → data → run → model");
        var unknown = await Run("trace", "sha256:" + new string('0', 64), "--db", Db);
        unknown.ExitCode.Should().Be(ExitCodes.Findings);
        unknown.Stdout.Should().Contain("not in the ledger");
    }

    [Fact]
    public async Task Slsa_RunId_PrintsAStatement()
    {
        await InitAndRecordAsync();
        var slsa = await Run("slsa", "r1", "--db", Db);
        slsa.ExitCode.Should().Be(0, slsa.Stderr);
        var statement = JsonNode.Parse(slsa.Stdout)!;
        statement["predicateType"]!.GetValue<string>().Should().Be("https://slsa.dev/provenance/v1");
        var viaFile = JsonNode.Parse((await Run("slsa", "model.safetensors", "--db", Db)).Stdout)!;
        viaFile["subject"]!.ToJsonString().Should().Be(statement["subject"]!.ToJsonString());
    }

    [Fact]
    public async Task Bom_ModelFolderWithLedger_WritesCycloneDx()
    {
        await InitAndRecordAsync();
        var bom = await Run("bom", ".", "--ledger", Db, "--out", "bom.json");
        bom.ExitCode.Should().Be(0, bom.Stderr);
        var json = JsonNode.Parse(File.ReadAllText(P("bom.json")))!;
        json["bomFormat"]!.GetValue<string>().Should().Be("CycloneDX");
        json["specVersion"]!.GetValue<string>().Should().Be("1.6");
    }

    [Fact]
    public async Task Record_SeparateProcesses_AppendWithoutForking()
    {
        (await Run("ledger", "init", "--db", Db)).ExitCode.Should().Be(0);
        await CrossProcess.AppendAsync(Db, P("writer.pem"), processes: 8, each: 3);
        var verify = await Run("ledger", "verify", "--db", Db);
        verify.ExitCode.Should().Be(0, verify.Stdout);
        verify.Stdout.Should().Contain("OK: 24 entries");
    }

    [PostgresFact]
    public async Task Record_SeparateProcessesOnPostgres_AppendWithoutForking()
    {
        var schema = "rampart_cli_" + Guid.NewGuid().ToString("N")[..12];
        var admin = Provenance.Storage.PostgresUrl.ToConnectionString(PostgresFactAttribute.ConnectionString!);
        await using (var connection = new Npgsql.NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
            await command.ExecuteNonQueryAsync();
        }

        var db = admin + $";Search Path={schema}";
        try
        {
            (await Run("ledger", "init", "--db", db)).ExitCode.Should().Be(0);
            await CrossProcess.AppendAsync(db, P("writer.pem"), processes: 8, each: 3);
            var verify = await Run("ledger", "verify", "--db", db);
            verify.ExitCode.Should().Be(0, verify.Stdout);
            verify.Stdout.Should().Contain("OK: 24 entries");
        }
        finally
        {
            await using var connection = new Npgsql.NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand($"DROP SCHEMA {schema} CASCADE", connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Runs the real rampart executable in several processes at once, each appending records.</summary>
    private static class CrossProcess
    {
        public static async Task AppendAsync(string db, string key, int processes, int each)
        {
            var rampart = Path.Combine(AppContext.BaseDirectory, "rampart.dll");
            File.Exists(rampart).Should().BeTrue("the CLI is built beside the tests");
            var running = Enumerable.Range(0, processes).Select(async p =>
            {
                for (var i = 0; i < each; i++)
                {
                    var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                    foreach (var a in new[] { rampart, "record", "incident", "--db", db, "--key", key, "--signer", $"proc-{p}",
                                 "--subjects", "sha256:" + new string('a', 64), "--summary", $"process {p} record {i}" })
                    {
                        start.ArgumentList.Add(a);
                    }

                    using var process = Process.Start(start)!;
                    var stdout = process.StandardOutput.ReadToEndAsync();
                    var stderr = process.StandardError.ReadToEndAsync();
                    await process.WaitForExitAsync();
                    process.ExitCode.Should().Be(0, await stderr + await stdout);
                }
            });
            await Task.WhenAll(running);
        }
    }
}
