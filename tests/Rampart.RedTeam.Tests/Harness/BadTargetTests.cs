using System.Text.Json.Nodes;
using Rampart.RedTeam.Reports;
using Rampart.RedTeam.Targets;
using Rampart.RedTeam.Tests.Targets;

namespace Rampart.RedTeam.Tests.Harness;

/// <summary>Targets that are down, slow, not JSON, huge or endless give a one-line error or a bounded partial report, never a hang.</summary>
public sealed class BadTargetTests : IAsyncLifetime
{
    private BadTargetServer _server = null!;

    public async Task InitializeAsync() => _server = await BadTargetServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static readonly JsonObject Body = new() { ["messages"] = new JsonArray() };

    private static async Task<TargetException> FailureAsync(Uri uri, TargetLimits? limits = null)
    {
        using var http = new HttpTarget(uri, limits ?? new TargetLimits(TimeSpan.FromSeconds(2), 1 << 20, 1000));
        var chat = new ChatTarget(http, "m");
        Func<Task> act = () => chat.CompleteAsync([new ChatMessage("user", "hi")], [], CancellationToken.None);
        return (await act.Should().ThrowAsync<TargetException>()).Which;
    }

    [Fact]
    public async Task Complete_Unreachable_IsUnreachableAndFatal()
    {
        var e = await FailureAsync(new Uri(BadTargetServer.Unreachable(), "v1/chat/completions"));
        e.Failure.Should().Be(TargetFailure.Unreachable);
        e.IsFatal.Should().BeTrue();
        e.Message.Should().Contain("unreachable").And.NotContain("\n");
    }

    [Fact]
    public async Task Complete_SlowTarget_TimesOutWithinTheLimit()
    {
        var e = await FailureAsync(_server.At("slow/v1/chat/completions"), new TargetLimits(TimeSpan.FromSeconds(1), 1 << 20, 1000));
        e.Failure.Should().Be(TargetFailure.Timeout);
        e.Message.Should().Contain("within 1 s");
    }

    [Fact]
    public async Task Complete_HtmlAnswer_IsNotJson()
    {
        var e = await FailureAsync(_server.At("html/v1/chat/completions"));
        e.Failure.Should().Be(TargetFailure.NotJson);
        e.Message.Should().Contain("<html>");
    }

    [Theory]
    [InlineData("huge/v1/chat/completions")]
    [InlineData("huge-chunked/v1/chat/completions")]
    public async Task Complete_HugeAnswer_IsCutAtTheByteCap(string path)
    {
        var e = await FailureAsync(_server.At(path), new TargetLimits(TimeSpan.FromSeconds(10), 64 * 1024, 1000));
        e.Failure.Should().Be(TargetFailure.TooLarge);
        e.Message.Should().Contain("65,536");
    }

    [Fact]
    public async Task Complete_EndlessStream_IsCutAtTheEventCap()
    {
        var e = await FailureAsync(_server.At("endless/v1/chat/completions"), new TargetLimits(TimeSpan.FromSeconds(20), 1 << 20, 200));
        e.Failure.Should().Be(TargetFailure.TooLarge);
        e.Message.Should().Contain("200 events");
    }

    [Fact]
    public async Task Complete_EndlessStream_WithHighCaps_StopsAtTheTimeout()
    {
        var e = await FailureAsync(_server.At("endless/v1/chat/completions"), new TargetLimits(TimeSpan.FromSeconds(1), 1 << 30, int.MaxValue));
        e.Failure.Should().Be(TargetFailure.Timeout);
    }

    [Theory]
    [InlineData("error/v1/chat/completions", TargetFailure.HttpStatus)]
    [InlineData("reset/v1/chat/completions", TargetFailure.Protocol)]
    public async Task Complete_ServerErrors_AreNamed(string path, TargetFailure expected) =>
        (await FailureAsync(_server.At(path))).Failure.Should().Be(expected);

    [Fact]
    public async Task Predict_NonJsonAndWrongShape_AreProtocolErrors()
    {
        using var html = new HttpTarget(_server.At("html/invocations"), TargetLimits.Default);
        await new ModelTarget(html, ModelProtocol.Mlflow, ["a"]).Invoking(t => t.PredictAsync([[1.0]], CancellationToken.None))
            .Should().ThrowAsync<TargetException>().Where(e => e.Failure == TargetFailure.NotJson);
        using var wrong = new HttpTarget(_server.At("wrong/invocations"), TargetLimits.Default);
        await new ModelTarget(wrong, ModelProtocol.Mlflow, ["a"]).Invoking(t => t.PredictAsync([[1.0]], CancellationToken.None))
            .Should().ThrowAsync<TargetException>().Where(e => e.Failure == TargetFailure.Protocol);
    }

    [Fact]
    public async Task RunLlm_Unreachable_StopsAtOnceWithAPartialReport()
    {
        var report = await TestSupport.RunLlmAsync(BadTargetServer.Unreachable());
        var run = report.Runs.Single();
        run.Partial.Should().BeTrue();
        run.Errors[0].Should().StartWith("stopped:").And.Contain("unreachable");
        run.Probes.Sum(p => p.NotRun).Should().BeGreaterThan(0, "after the first connection failure nothing more is sent");
        run.Probes.Should().OnlyContain(p => p.Status == OutcomeStatus.Inconclusive);
        run.Findings.Select(f => f.RuleId).Should().Equal("RAMP-RT-000");
        report.ExitCode(Core.Severity.High).Should().Be(Core.ExitCodes.Inconclusive);
    }

    [Fact]
    public async Task RunLlm_SlowTarget_GivesUpAfterMaxErrors()
    {
        var report = await TestSupport.RunLlmAsync(_server.At("slow/"), TestSupport.Harness(timeoutSeconds: 0.5, concurrency: 2), TestSupport.Llm(maxErrors: 4));
        var run = report.Runs.Single();
        run.Errors[0].Should().Be("stopped after 4 target errors");
        run.Probes.Sum(p => p.Errors).Should().BeLessThan(10, "the run stops after about MaxErrors failures (plus the ones already in flight)");
    }

    [Fact]
    public async Task RunLlm_RateLimitedTarget_IsNotJudged_NeverPassed()
    {
        var report = await TestSupport.RunLlmAsync(_server.At("busy/"), options: TestSupport.Llm(maxErrors: 3), families: ["prompt-injection"]);
        var probe = report.Runs[0].Probes.Single();
        probe.Status.Should().Be(OutcomeStatus.Inconclusive, "a 429 says nothing about the model");
        probe.Refusals.Should().Be(0);
        report.Runs[0].Errors.Should().Contain(e => e.Contains("429"));
    }
}
