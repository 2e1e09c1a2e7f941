using System.Text;
using System.Text.Json.Nodes;
using Rampart.Guard.Checks;
using Rampart.Guard.Pipeline;
using Rampart.Guard.Streaming;
using Rampart.Guard.Tests.Checks;
using Rampart.Text.Detection;

namespace Rampart.Guard.Tests.Streaming;

public sealed class SseGuardTests
{
    private const string Token = "hf_abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>An OpenAI-style stream: a role chunk, one chunk per piece of text, a finish chunk, [DONE].</summary>
    private static string Stream(params string[] pieces)
    {
        var sb = new StringBuilder();
        sb.Append("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}\n\n");
        foreach (var piece in pieces)
        {
            sb.Append("data: ").Append(new JsonObject { ["id"] = "c1", ["object"] = "chat.completion.chunk", ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["content"] = piece }, ["finish_reason"] = null }) }.ToJsonString()).Append("\n\n");
        }

        sb.Append("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
        sb.Append("data: [DONE]\n\n");
        return sb.ToString();
    }

    /// <summary>Feeds the stream in pieces of <paramref name="size"/> bytes (cutting lines, events and UTF-8 characters).</summary>
    private static (string Output, bool Ended) Run(SseGuard guard, string stream, int size)
    {
        var bytes = Encoding.UTF8.GetBytes(stream);
        var output = new List<byte>();
        var ended = false;
        for (var i = 0; i < bytes.Length && !ended; i += size)
        {
            var step = guard.Push(bytes.AsSpan(i, Math.Min(size, bytes.Length - i)));
            output.AddRange(step.Output);
            ended = step.Ended;
        }

        if (!ended)
        {
            var last = guard.Complete();
            output.AddRange(last.Output);
            ended = last.Ended;
        }

        return (Encoding.UTF8.GetString([.. output]), ended);
    }

    /// <summary>The events of an SSE text; every data payload must be JSON or [DONE].</summary>
    private static List<string> Events(string sse)
    {
        sse.Should().EndWith("\n\n", "a stream ends on an event boundary");
        var events = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Trim()).ToList();
        foreach (var e in events)
        {
            e.Should().StartWith("data: ");
            if (e != "data: [DONE]")
            {
                JsonNode.Parse(e[6..]).Should().NotBeNull();
            }
        }

        return events;
    }

    private static string Text(string sse) => string.Concat(Events(sse).Where(e => e != "data: [DONE]")
        .Select(e => JsonNode.Parse(e[6..])!["choices"]?[0]?["delta"]?["content"]?.GetValue<string>() ?? ""));

    private static SseGuard Secrets(GuardAction action = GuardAction.Redact, GuardMode mode = GuardMode.Enforce) =>
        new(GuardProtocol.OpenAiChat, [new SensitiveTextCheck(TextHitKind.Secret, action)], mode, holdBack: 64);

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(4096)]
    public void SecretSplitOverChunks_IsRedacted(int byteSlice)
    {
        var (output, _) = Run(Secrets(), Stream("Your key: hf_abcdefgh", "ijklmnopqrstu", "vwxyz0123456789", " — keep it safe. ", "Bye ✓"), byteSlice);
        var text = Text(output);
        text.Should().Be("Your key: [REDACTED:RAMP-GUARD-001] — keep it safe. Bye ✓");
        output.Should().NotContain("ijklmnopqrstu").And.NotContain("0123456789");
        output.Should().Contain("\"finish_reason\":\"stop\"").And.EndWith("data: [DONE]\n\n");
    }

    [Fact]
    public void SecretSplitOverChunks_BlockEndsWithErrorEvent()
    {
        var guard = Secrets(GuardAction.Block);
        var (output, ended) = Run(guard, Stream("a long harmless preamble that is sent on before anything happens ... ", "Key hf_abcdefghijklm", "nopqrstuvwxyz0123456789", " more"), 5);
        ended.Should().BeTrue();
        var events = Events(output);
        var error = JsonNode.Parse(events[^1][6..])!["error"]!;
        error["code"]!.GetValue<string>().Should().Be(GuardRuleIds.Secret);
        error["type"]!.GetValue<string>().Should().Be("guard_blocked");
        output.Should().NotContain("hf_abc").And.NotContain("[DONE]");
        guard.Requested.Should().Be(GuardAction.Block);
    }

    [Fact]
    public void CanarySplitOverChunks_Blocks()
    {
        var guard = new SseGuard(GuardProtocol.OpenAiChat, [new CanaryCheck([GuardRuleSelfTests.Canary])], holdBack: 64);
        var (output, ended) = Run(guard, Stream("My instructions say rmp-cana", "ry-selftest-00", "01 and more"), 3);
        ended.Should().BeTrue();
        output.Should().NotContain("selftest").And.Contain(GuardRuleIds.CanaryLeak);
    }

    [Fact]
    public void CleanStream_TextAndChunkFieldsArePreserved()
    {
        var pieces = Enumerable.Range(0, 40).Select(i => $"word{i} ").ToArray();
        var (output, _) = Run(Secrets(), Stream(pieces), 13);
        Text(output).Should().Be(string.Concat(pieces));
        Events(output).Where(e => e != "data: [DONE]").Should().OnlyContain(e => e.Contains("\"id\":\"c1\""));
    }

    [Fact]
    public void Monitor_PassesEveryByte_ButRecordsTheSignal()
    {
        var guard = Secrets(GuardAction.Block, GuardMode.Monitor);
        var stream = Stream("key hf_abcdefghijklmnopq", "rstuvwxyz0123456789 done");
        var (output, _) = Run(guard, stream, 9);
        output.Should().Be(stream);
        guard.Signals.Select(s => s.RuleId).Should().Contain(GuardRuleIds.Secret);
    }

    [Fact]
    public void StreamWithoutDone_FlushesHeldTextOnComplete()
    {
        var stream = Stream("short answer");
        stream = stream[..stream.IndexOf("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},", StringComparison.Ordinal)];
        var (output, ended) = Run(Secrets(), stream, 10);
        ended.Should().BeTrue();
        Text(output).Should().Be("short answer");
    }

    [Fact]
    public void GarbageEvent_EndsWithErrorEvent()
    {
        var (output, ended) = Run(Secrets(), "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: <html>oops</html>\n\n", 4);
        ended.Should().BeTrue();
        JsonNode.Parse(Events(output)[^1][6..])!["error"]!["code"]!.GetValue<string>().Should().Be(GuardRuleIds.UnreadableBody);
    }

    [Fact]
    public void SizeCap_StopsALongStream()
    {
        var guard = new SseGuard(GuardProtocol.OpenAiChat, [], holdBack: 8, maxTextBytes: 100);
        var (output, ended) = Run(guard, Stream([.. Enumerable.Repeat("0123456789", 30)]), 50);
        ended.Should().BeTrue();
        output.Should().Contain(GuardRuleIds.ResponseTooLarge);
        Text(output).Length.Should().BeLessThanOrEqualTo(100);
    }

    [Fact]
    public void CommentsAndKeepAlives_PassThrough()
    {
        var (output, _) = Run(Secrets(), ": keep-alive\n\n" + Stream("hello"), 3);
        output.Should().StartWith(": keep-alive\n\n");
    }
}
