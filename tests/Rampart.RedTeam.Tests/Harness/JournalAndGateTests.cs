using System.Text.Json.Nodes;
using Rampart.RedTeam;
using Rampart.RedTeam.Harness;
using Rampart.RedTeam.Tests.Targets;
using Rampart.TestKit;

namespace Rampart.RedTeam.Tests.Harness;

public sealed class JournalAndGateTests
{
    [Fact]
    public async Task RunLlm_SecondRunWithSameJournal_SendsNothingAndGivesTheSameResults()
    {
        await using var server = await ScriptedChatServer.StartAsync(hardened: false);
        using var temp = new TempDirectory();
        var journal = Path.Combine(temp.Path, "run.jsonl");
        var first = await TestSupport.RunLlmAsync(server.Address, TestSupport.Harness(journal: journal));
        var sent = server.Requests;
        sent.Should().BeGreaterThan(20);

        var second = await TestSupport.RunLlmAsync(server.Address, TestSupport.Harness(journal: journal));

        server.Requests.Should().Be(sent, "every attempt is answered from the journal");
        second.Runs[0].Probes.Select(p => (p.Id, p.Status, p.Failures, p.Evidence)).Should().Equal(first.Runs[0].Probes.Select(p => (p.Id, p.Status, p.Failures, p.Evidence)));
    }

    [Fact]
    public async Task RunLlm_InterruptedRun_ResumesOnlyTheMissingSteps()
    {
        await using var server = await ScriptedChatServer.StartAsync(hardened: false);
        using var temp = new TempDirectory();
        var journal = Path.Combine(temp.Path, "run.jsonl");
        var full = await TestSupport.RunLlmAsync(server.Address);
        var total = server.Requests;

        using var interrupt = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (server.Requests < total + 8)
            {
                await Task.Delay(2);
            }

            await interrupt.CancelAsync();
        });
        var act = () => RedTeamRunner.RunLlmAsync([new RunTarget("direct", server.Address)], "test-model", false, [], TestSupport.Llm(), TestSupport.Harness(journal: journal, concurrency: 1), TestSupport.Tool, TimeProvider.System, interrupt.Token);
        await act.Should().ThrowAsync<OperationCanceledException>();
        await watcher;
        var before = server.Requests;

        var resumed = await TestSupport.RunLlmAsync(server.Address, TestSupport.Harness(journal: journal, concurrency: 1));

        (server.Requests - before).Should().BeLessThan(total, "the steps journaled before the interruption are not sent again");
        resumed.Runs[0].Probes.Select(p => (p.Id, p.Status, p.Failures)).Should().Equal(full.Runs[0].Probes.Select(p => (p.Id, p.Status, p.Failures)));
    }

    [Fact]
    public async Task RunLlm_JournalOfAnotherSeed_IsRefused()
    {
        await using var server = await ScriptedChatServer.StartAsync(hardened: true);
        using var temp = new TempDirectory();
        var journal = Path.Combine(temp.Path, "run.jsonl");
        await TestSupport.RunLlmAsync(server.Address, TestSupport.Harness(journal: journal), TestSupport.Llm(seed: 1), ["bias"]);

        var act = () => TestSupport.RunLlmAsync(server.Address, TestSupport.Harness(journal: journal), TestSupport.Llm(seed: 2), ["bias"]);

        (await act.Should().ThrowAsync<InvalidDataException>()).Which.Message.Should().Contain("journal of another run");
    }

    [Fact]
    public void Journal_TornLastLine_KeepsEverythingBeforeIt()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "j.jsonl");
        var header = new JsonObject { ["kind"] = "x" };
        using (var journal = RunJournal.Open(path, header))
        {
            journal.Record("a", 1);
            journal.Record("b", 2);
        }

        File.AppendAllText(path, "{\"key\":\"c\",\"val");
        using var reopened = RunJournal.Open(path, header);
        reopened.TryGet("a", out var a).Should().BeTrue();
        a!.GetValue<int>().Should().Be(1);
        reopened.TryGet("b", out _).Should().BeTrue();
        reopened.TryGet("c", out _).Should().BeFalse();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Gate_NeverExceedsItsConcurrency(int concurrency)
    {
        using var gate = new RequestGate(concurrency, 0);
        var inFlight = 0;
        var peak = 0;
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => gate.RunAsync(async ct =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref peak, now);
            await Task.Delay(10, ct);
            Interlocked.Decrement(ref inFlight);
            return 0;
        }, CancellationToken.None)));
        peak.Should().Be(concurrency);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
