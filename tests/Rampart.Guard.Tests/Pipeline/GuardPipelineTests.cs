using System.Collections.Immutable;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Tests.Pipeline;

public sealed class GuardPipelineTests
{
    private static GuardRequest Chat(params (string Role, string Content)[] messages) =>
        new("r1", GuardPrincipal.Offline, "/v1/chat/completions", "m", "chat", GuardProtocol.OpenAiChat,
            new ChatPayload([.. messages.Select(m => new ChatMessage(m.Role, m.Content))]), DateTimeOffset.UnixEpoch);

    /// <summary>Redacts every "secret" word in user input; blocks any text containing "forbidden".</summary>
    private sealed class WordCheck : ITextCheck
    {
        public string Id => "words";

        public bool AppliesTo(TextSource source) => source == TextSource.UserInput;

        public IReadOnlyList<TextFinding> Check(string text, TextSource source)
        {
            var findings = new List<TextFinding>();
            for (var i = text.IndexOf("secret", StringComparison.Ordinal); i >= 0; i = text.IndexOf("secret", i + 1, StringComparison.Ordinal))
            {
                findings.Add(new TextFinding(GuardAction.Redact, new GuardSignal("RAMP-TEST-001", 1, "a secret"), i, "secret".Length));
            }

            if (text.Contains("forbidden", StringComparison.Ordinal))
            {
                findings.Add(new TextFinding(GuardAction.Block, new GuardSignal("RAMP-TEST-002", 1, "forbidden")));
            }

            return findings;
        }
    }

    private sealed class Recording(GuardDecision decision) : IInputCheck
    {
        public List<GuardPayload> Seen { get; } = [];

        public string Id => "recording";

        public ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardContext context, CancellationToken cancellationToken)
        {
            Seen.Add(request.Payload);
            return ValueTask.FromResult(decision);
        }
    }

    private sealed class Throwing : IInputCheck
    {
        public string Id => "throwing";

        public ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("boom");
    }

    [Fact]
    public async Task Enforce_RedactionIsSeenByLaterChecksAndForwarded()
    {
        var later = new Recording(GuardDecision.Allow);
        var pipeline = new GuardPipeline([new TextCheckAdapter(new WordCheck()), later], []);
        var outcome = await pipeline.CheckInputAsync(Chat(("system", "keep the secret"), ("user", "my secret is x, another secret")), GuardContext.System, default);

        outcome.Action.Should().Be(GuardAction.Redact);
        var messages = ((ChatPayload)outcome.Payload).Messages;
        messages[0].Content.Should().Be("keep the secret", "the check applies to user input only");
        messages[1].Content.Should().Be("my [REDACTED:RAMP-TEST-001] is x, another [REDACTED:RAMP-TEST-001]");
        ((ChatPayload)later.Seen.Single()).Messages[1].Content.Should().NotContain("secret");
        outcome.Signals.Should().HaveCount(2).And.OnlyContain(s => s.CheckId == "words");
    }

    [Fact]
    public async Task Enforce_FirstBlockStopsTheRun()
    {
        var later = new Recording(GuardDecision.Annotate(new GuardSignal("RAMP-TEST-003", 0.5, "later")));
        var pipeline = new GuardPipeline([new TextCheckAdapter(new WordCheck()), later], []);
        var outcome = await pipeline.CheckInputAsync(Chat(("user", "forbidden words")), GuardContext.System, default);

        outcome.Blocked.Should().BeTrue();
        outcome.RuleIds.Should().Equal("RAMP-TEST-002");
        later.Seen.Should().BeEmpty();
    }

    [Fact]
    public async Task Monitor_RunsEveryCheckOnTheOriginalAndChangesNothing()
    {
        var later = new Recording(GuardDecision.Annotate(new GuardSignal("RAMP-TEST-003", 0.5, "later")));
        var pipeline = new GuardPipeline([new TextCheckAdapter(new WordCheck()), later], [], GuardMode.Monitor);
        var request = Chat(("user", "a forbidden secret"));
        var outcome = await pipeline.CheckInputAsync(request, GuardContext.System, default);

        outcome.Action.Should().Be(GuardAction.Annotate);
        outcome.Requested.Should().Be(GuardAction.Block);
        outcome.Payload.Should().BeSameAs(request.Payload);
        later.Seen.Single().Should().BeSameAs(request.Payload);
        outcome.RuleIds.Should().Equal("RAMP-TEST-001", "RAMP-TEST-002", "RAMP-TEST-003");
    }

    [Theory]
    [InlineData(GuardMode.Enforce, GuardAction.Block)]
    [InlineData(GuardMode.Monitor, GuardAction.Annotate)]
    public async Task FailingCheck_FailsClosed(GuardMode mode, GuardAction expected)
    {
        var pipeline = new GuardPipeline([new Throwing()], [], mode);
        var outcome = await pipeline.CheckInputAsync(Chat(("user", "hi")), GuardContext.System, default);

        outcome.Action.Should().Be(expected);
        outcome.Signals.Should().ContainSingle().Which.Should().Match<GuardSignal>(s =>
            s.RuleId == GuardPipeline.CheckFailedRuleId && s.CheckId == "throwing" && s.Reason.Contains("InvalidOperationException"));
    }

    [Fact]
    public async Task Output_TextChecksSeeModelOutputAsSuch()
    {
        var sources = new List<TextSource>();
        var spy = new SourceSpy(sources);
        var pipeline = new GuardPipeline([], [new TextCheckAdapter(spy)]);
        var response = new GuardResponse(200, new ChatPayload([new ChatMessage("assistant", "answer")], IsResponse: true));
        var outcome = await pipeline.CheckOutputAsync(Chat(("user", "q")), response, GuardContext.System, default);

        outcome.Action.Should().Be(GuardAction.Allow);
        sources.Should().Equal(TextSource.ModelOutput);
    }

    [Fact]
    public void TextPayload_WithTextsReplacesOnlyTheNamedItems()
    {
        var payload = new TextPayload(["a", "b", "c"], TextSource.UserInput);
        var rewritten = (TextPayload)payload.WithTexts(new Dictionary<int, string> { [1] = "B" });
        rewritten.Items.Should().Equal("a", "B", "c");
        payload.Items.Should().Equal("a", "b", "c");
    }

    private sealed class SourceSpy(List<TextSource> seen) : ITextCheck
    {
        public string Id => "spy";

        public bool AppliesTo(TextSource source) => true;

        public IReadOnlyList<TextFinding> Check(string text, TextSource source)
        {
            seen.Add(source);
            return ImmutableArray<TextFinding>.Empty;
        }
    }
}
