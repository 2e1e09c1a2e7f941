using System.Security.Cryptography;
using Rampart.Guard.Audit;
using Rampart.TestKit;

namespace Rampart.Guard.Tests.Audit;

public sealed class AuditLogTests
{
    private static AuditEntry Entry(int i, string principal = "alice", string? rule = null) => new()
    {
        Time = DateTimeOffset.UnixEpoch.AddMinutes(i),
        RequestId = $"r{i}",
        Principal = principal,
        Route = i % 2 == 0 ? "chat" : "predict",
        Rules = rule is null ? [] : [rule],
        Status = 200,
    };

    private static async Task Write(AuditOptions options, int from, int count)
    {
        await using var log = AuditLog.Open(options);
        await Task.WhenAll(Enumerable.Range(from, count).Select(i => log.AppendAsync(Entry(i, i % 3 == 0 ? "bob" : "alice", i % 5 == 0 ? "RAMP-GUARD-001" : null))));
    }

    [Fact]
    public async Task ConcurrentAppends_FormOneChain_AcrossReopenAndSegments()
    {
        using var temp = new TempDirectory();
        var options = new AuditOptions(temp.Path) { SegmentBytes = 2048 };
        await Write(options, 0, 50);
        await Write(options, 50, 30);
        var result = AuditVerifier.Verify(temp.Path);
        result.Problem.Should().BeNull();
        result.Entries.Should().Be(80);
        result.Segments.Should().BeGreaterThan(1);
    }

    [Theory]
    [InlineData("edit")]
    [InlineData("delete")]
    [InlineData("swap")]
    public async Task Tampering_BreaksTheChain(string how)
    {
        using var temp = new TempDirectory();
        await Write(new AuditOptions(temp.Path), 0, 10);
        var path = Directory.GetFiles(temp.Path).Single();
        var lines = File.ReadAllLines(path).ToList();
        switch (how)
        {
            case "edit":
                lines[4] = lines[4].Replace("\"status\":200", "\"status\":201", StringComparison.Ordinal);
                break;
            case "delete":
                lines.RemoveAt(5);
                break;
            default:
                (lines[3], lines[4]) = (lines[4], lines[3]);
                break;
        }

        File.WriteAllLines(path, lines);
        AuditVerifier.Verify(temp.Path).Ok.Should().BeFalse();
    }

    [Fact]
    public async Task TornLastLine_IsCutOnOpen_AndTheChainContinues()
    {
        using var temp = new TempDirectory();
        await Write(new AuditOptions(temp.Path), 0, 5);
        var path = Directory.GetFiles(temp.Path).Single();
        await File.AppendAllTextAsync(path, "{\"sequence\":6,\"pri");
        AuditVerifier.Verify(temp.Path).Ok.Should().BeFalse("a torn line is not an entry");
        await Write(new AuditOptions(temp.Path), 5, 3);
        var result = AuditVerifier.Verify(temp.Path);
        result.Problem.Should().BeNull();
        result.Entries.Should().Be(8);
    }

    [Fact]
    public async Task Encrypted_VerifiesWithTheKeyOnly_AndHidesBodies()
    {
        using var temp = new TempDirectory();
        var key = new AuditKey("k1", RandomNumberGenerator.GetBytes(32));
        await using (var log = AuditLog.Open(new AuditOptions(temp.Path) { Key = key }))
        {
            await log.AppendAsync(Entry(1) with { RequestBody = "very private prompt" });
        }

        File.ReadAllText(Directory.GetFiles(temp.Path).Single()).Should().NotContain("very private").And.Contain("\"keyId\":\"k1\"");
        AuditVerifier.Verify(temp.Path, key).Entries.Should().Be(1);
        AuditVerifier.Verify(temp.Path).Ok.Should().BeFalse();
        AuditVerifier.Verify(temp.Path, new AuditKey("k1", RandomNumberGenerator.GetBytes(32))).Ok.Should().BeFalse();
    }

    [Fact]
    public async Task Query_FiltersByPrincipalTimeRouteAndRule()
    {
        using var temp = new TempDirectory();
        await Write(new AuditOptions(temp.Path), 0, 30);
        AuditVerifier.Query(temp.Path, new AuditQuery(Principal: "bob")).Should().HaveCount(10).And.OnlyContain(e => e.Principal == "bob");
        AuditVerifier.Query(temp.Path, new AuditQuery(Rule: "RAMP-GUARD-001")).Should().HaveCount(6);
        AuditVerifier.Query(temp.Path, new AuditQuery(Route: "chat", Since: DateTimeOffset.UnixEpoch.AddMinutes(20))).Should().HaveCount(5);
    }

    [Fact]
    public void KeyFile_MustHold32HexBytes()
    {
        using var temp = new TempDirectory();
        var good = Path.Combine(temp.Path, "good.key");
        File.WriteAllText(good, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) + "\n");
        AuditKey.FromFile(good).Id.Should().HaveLength(16);
        var bad = Path.Combine(temp.Path, "bad.key");
        File.WriteAllText(bad, "abcd");
        var act = () => AuditKey.FromFile(bad);
        act.Should().Throw<InvalidDataException>();
    }
}
