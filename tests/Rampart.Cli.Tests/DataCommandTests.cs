using System.Text.Json;
using System.Text.Json.Nodes;
using Rampart.Core;
using Rampart.Provenance.Signing;
using Rampart.TestKit;

namespace Rampart.Cli.Tests;

public sealed class DataCommandTests
{
    private static string People(TempDirectory temp)
    {
        var lines = new List<string> { "id,email,score" };
        lines.AddRange(Enumerable.Range(0, 30).Select(i => $"{i},user{i}@mail.corp.test,{i % 7}"));
        File.WriteAllLines(temp.File("people.csv"), lines);
        return temp.File("people.csv");
    }

    [Fact]
    public async Task Scan_PersonalData_Json_ExitsOneWithTheColumn()
    {
        using var temp = new TempDirectory();
        var run = await CliRunner.RunAsync(["data", "scan", People(temp), "--format", "json"]);
        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stderr);
        using var doc = JsonDocument.Parse(run.Stdout);
        var finding = doc.RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("ruleId").GetString() == "RAMP-DATA-001");
        finding.GetProperty("message").GetString().Should().Contain("'email'").And.NotContain("user3@mail.corp.test");
    }

    [Theory]
    [InlineData("sarif")]
    [InlineData("console")]
    public async Task Scan_OtherFormats_NameTheRule(string format)
    {
        using var temp = new TempDirectory();
        var run = await CliRunner.RunAsync(["data", "scan", People(temp), "--format", format]);
        run.Stdout.Should().Contain("RAMP-DATA-001");
    }

    /// <summary>Parquet is read by Parquet.Net; the NativeAOT binary leaves it out and the dataset is inconclusive, never clean.</summary>
    [Fact]
    public async Task Scan_Parquet_ReadsItOrInTheNativeBinarySaysWhyNot()
    {
        using var temp = new TempDirectory();
        var id = new Parquet.Schema.DataField<double>("id");
        var email = new Parquet.Schema.DataField<string>("email");
        var path = temp.File("people.parquet");
        await using (var file = File.Create(path))
        {
            await using var writer = await Parquet.ParquetWriter.CreateAsync(new Parquet.Schema.ParquetSchema(id, email), file);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<double>(id, Enumerable.Range(0, 30).Select(i => (double)i).ToArray().AsMemory());
            await group.WriteAsync(email, Enumerable.Range(0, 30).Select(i => $"user{i}@mail.corp.test").ToArray());
        }

        var run = await CliRunner.RunAsync(["data", "scan", path, "--format", "json"]);
        if (await CliRunner.IsNativeAotAsync())
        {
            run.ExitCode.Should().Be(ExitCodes.Inconclusive, run.Stderr);
            run.Stdout.Should().Contain("RAMP-DATA-010").And.Contain("reading Parquet needs Parquet.Net, " + CliRunner.LeftOutOfNativeAot);
            return;
        }

        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stderr);
        run.Stdout.Should().Contain("RAMP-DATA-001").And.Contain("\"columns\": \"id:numeric,email:categorical\"").And.NotContain(CliRunner.LeftOutOfNativeAot);
    }

    /// <summary>The label-noise model is ML.NET: it runs in a full build; the NativeAOT binary warns that it did not.</summary>
    [Fact]
    public async Task Scan_LabelNoise_ModelRunsOrInTheNativeBinaryIsAWarning()
    {
        using var temp = new TempDirectory();
        var lines = new List<string> { "height,weight,label" };
        lines.AddRange(Enumerable.Range(0, 120).Select(i => i % 2 == 0
            ? $"{(i % 30) * 1.5:0.0},{(i % 17) * 2.5:0.0},low"
            : $"{60 + ((i % 30) * 1.5):0.0},{80 + ((i % 17) * 2.5):0.0},high"));
        File.WriteAllLines(temp.File("labelled.csv"), lines);

        var run = await CliRunner.RunAsync(["data", "scan", temp.File("labelled.csv"), "--label", "label", "--format", "json"]);
        run.Stderr.Should().NotContain("   at ");
        if (await CliRunner.IsNativeAotAsync())
        {
            run.Stdout.Should().Contain("label noise not estimated: the label-noise model needs ML.NET, " + CliRunner.LeftOutOfNativeAot)
                .And.NotContain("label-noise-model-accuracy");
            return;
        }

        run.Stdout.Should().Contain("label-noise-model-accuracy").And.NotContain("label noise not estimated");
    }

    [Fact]
    public async Task Scan_BadEncoding_IsInconclusiveExitTwo()
    {
        using var temp = new TempDirectory();
        File.WriteAllBytes(temp.File("bad.csv"), [.. "a,b\nx,"u8.ToArray(), 0xC3, 0x28, .. "\n"u8.ToArray()]);
        var run = await CliRunner.RunAsync(["data", "scan", temp.File("bad.csv"), "--format", "json"]);
        run.ExitCode.Should().Be(ExitCodes.Inconclusive);
        run.Stdout.Should().Contain("RAMP-DATA-010").And.Contain("UTF-8");
    }

    [Theory]
    [InlineData(new[] { "data", "scan", "/nonexistent/x.csv" }, "no file or folder")]
    [InlineData(new[] { "data", "encrypt", "/nonexistent/x.csv", "-o", "/tmp/y" }, "no file or folder")]
    public async Task BadInput_UsageErrorWithoutStackTrace(string[] args, string message)
    {
        var run = await CliRunner.RunAsync(args);
        run.ExitCode.Should().Be(ExitCodes.UsageError);
        run.Stderr.Should().Contain(message).And.NotContain("   at ");
    }

    [Fact]
    public async Task EncryptDecrypt_RoundTripAndTamperRefused()
    {
        using var temp = new TempDirectory();
        var data = People(temp);
        (await CliRunner.RunAsync(["data", "keygen", "-o", temp.File("k.key")])).ExitCode.Should().Be(0);
        (await CliRunner.RunAsync(["data", "encrypt", data, "-o", temp.File("p.enc"), "--key-file", temp.File("k.key")])).ExitCode.Should().Be(0);
        (await CliRunner.RunAsync(["data", "decrypt", temp.File("p.enc"), "-o", temp.File("p.out"), "--key-file", temp.File("k.key")])).ExitCode.Should().Be(0);
        File.ReadAllBytes(temp.File("p.out")).Should().Equal(File.ReadAllBytes(data));
        var bytes = File.ReadAllBytes(temp.File("p.enc"));
        bytes[^5] ^= 0x40;
        File.WriteAllBytes(temp.File("p.enc"), bytes);
        var run = await CliRunner.RunAsync(["data", "decrypt", temp.File("p.enc"), "-o", temp.File("p.bad"), "--key-file", temp.File("k.key")]);
        run.ExitCode.Should().Be(ExitCodes.VerificationFailed);
        run.Stderr.Should().Contain("failed authentication");
        File.Exists(temp.File("p.bad")).Should().BeFalse();
    }

    [Fact]
    public async Task Fingerprint_FolderManifest_DigestChangesWithContent()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("ds"));
        File.WriteAllText(temp.File("ds/a.csv"), "x\n1\n");
        var first = await CliRunner.RunAsync(["data", "fingerprint", temp.File("ds"), "--manifest", temp.File("m.txt")]);
        first.ExitCode.Should().Be(0, first.Stderr);
        File.ReadAllText(temp.File("m.txt")).Should().Contain("  a.csv");
        File.WriteAllText(temp.File("ds/a.csv"), "x\n2\n");
        var second = await CliRunner.RunAsync(["data", "fingerprint", temp.File("ds")]);
        second.Stdout.Split(' ')[0].Should().StartWith("sha256:").And.NotBe(first.Stdout.Split(' ')[0]);
    }

    /// <summary>
    /// The lineage of a model through the CLI only: `data fingerprint --record` a dataset folder, record the training run
    /// that read that snapshot and a scan of the model, then `trace MODEL` names the exact snapshot (its manifest digest,
    /// name and version). The dataset changes afterwards: its new digest is not the model's.
    /// </summary>
    [Fact]
    public async Task Trace_Model_ShowsTheExactDatasetSnapshotItWasTrainedOn()
    {
        using var temp = new TempDirectory();
        using (var signer = LedgerSigner.Generate("k"))
        {
            File.WriteAllText(temp.File("writer.pem"), signer.ExportPrivateKeyPem());
        }

        Directory.CreateDirectory(temp.File("sales"));
        File.WriteAllText(temp.File("sales/train.csv"), "amount,label\n10,0\n99,1\n");
        File.WriteAllText(temp.File("sales/test.csv"), "amount,label\n12,0\n");
        File.WriteAllBytes(temp.File("model.safetensors"), HuggingFaceRepoBuilder.SafetensorsBytes());
        Task<CliRun> Run(params string[] args) => CliRunner.RunAsync(args, e => e with { CurrentDirectory = temp.Path });
        string[] ledger = ["--db", "ledger.db", "--key", "writer.pem", "--signer", "ci"];

        (await Run("ledger", "init", "--db", "ledger.db", "--origin", "cli.test/data")).ExitCode.Should().Be(0);
        var fingerprint = await Run(["data", "fingerprint", "sales", "--name", "sales", "--version", "2026-11", "--record", .. ledger]);
        fingerprint.ExitCode.Should().Be(0, fingerprint.Stderr);
        var snapshot = fingerprint.Stdout.Split(' ')[0];
        snapshot.Should().MatchRegex("^sha256:[0-9a-f]{64}$");
        fingerprint.Stdout.Should().Contain("recorded entry 0 (dataset)");
        var run = await Run(["record", "training-run", "--run-id", "nightly-7", "--model", "model.safetensors", "--datasets", snapshot, .. ledger]);
        run.ExitCode.Should().Be(0, run.Stderr);
        var scan = await Run(["record", "scan", "--artifact", "model.safetensors", "--verdict", "clean", .. ledger]);
        scan.ExitCode.Should().Be(0, scan.Stderr);

        File.AppendAllText(temp.File("sales/train.csv"), "5,1\n");
        var later = await Run(["data", "fingerprint", "sales", "--name", "sales", "--version", "2026-12", "--record", .. ledger]);
        later.ExitCode.Should().Be(0, later.Stderr);
        var changed = later.Stdout.Split(' ')[0];
        changed.Should().NotBe(snapshot);

        var trace = await Run("trace", "model.safetensors", "--db", "ledger.db", "--format", "json");
        trace.ExitCode.Should().Be(0, trace.Stderr);
        var graph = JsonNode.Parse(trace.Stdout)!;
        var ids = graph["nodes"]!.AsArray().Select(n => n!["id"]!.GetValue<string>()).ToList();
        ids.Should().Contain(snapshot, "the model's lineage names the snapshot it was trained on").And.NotContain(changed);
        var labels = graph["nodes"]!.AsArray().Select(n => n!["label"]!.GetValue<string>()).ToList();
        labels.Should().Contain("#0 dataset sales by ci").And.Contain("#1 training-run nightly-7 by ci").And.Contain("#2 scan clean by ci")
            .And.NotContain(l => l.StartsWith("#3", StringComparison.Ordinal), "the later snapshot is not in this model's lineage");
        graph["edges"]!.AsArray().Should().Contain(e => e!["from"]!.GetValue<string>() == snapshot, "the snapshot feeds the run");

        var tree = await Run("trace", "model.safetensors", "--db", "ledger.db");
        tree.Stdout.Should().Contain($"dataset sales ({snapshot[..19]}").And.Contain("model of run nightly-7").And.NotContain(changed[..19]);
    }
}
