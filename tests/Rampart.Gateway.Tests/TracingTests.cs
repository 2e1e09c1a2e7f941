using System.Diagnostics;
using System.Net;
using System.Text.Json;
using OpenTelemetry.Trace;

namespace Rampart.Gateway.Tests;

/// <summary>OpenTelemetry traces of a request through the real gateway, caught by the SDK's in-memory exporter.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task Request_IsOneTrace_ServerSpanTagged_GuardSpans_AndTheUpstreamCall()
    {
        var spans = new List<Activity>();

        // The exporter hears every gateway of the test process, and other tests run gateways at the same time: this
        // request is told apart by a model name of its own.
        var model = $"trace-{Guid.NewGuid():N}";
        var config = DetectorGatewayTests.Config("{}", "{ secrets: redact }");
        await using (var rig = await GatewayRig.StartAsync(config, options: new GatewayHostOptions { ConfigureTracing = t => t.AddInMemoryExporter(spans) }))
        {
            var body = JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "my token is hf_abcdefghijklmnopqrstuvwxyz0123456789" } } });
            (await rig.PostAsync("alice", "/v1/chat/completions", body)).Status.Should().Be(HttpStatusCode.OK);
        }

        var server = spans.Where(s => s.Kind == ActivityKind.Server && (s.GetTagItem("rampart.model") as string) == model).Should().ContainSingle().Subject;
        server.GetTagItem("rampart.route").Should().Be("chat");
        server.GetTagItem("rampart.principal").Should().Be("alice");
        server.GetTagItem("rampart.decision").Should().Be("redact");
        (server.GetTagItem("rampart.rules") as string).Should().Contain("RAMP-GUARD-001");
        var trace = spans.Where(s => s.TraceId == server.TraceId).ToList();
        trace.Should().Contain(s => s.DisplayName == "guard input checks" && (s.GetTagItem("rampart.action") as string) == "Redact");
        trace.Should().Contain(s => s.DisplayName == "guard output checks");
        trace.Should().Contain(s => s.Kind == ActivityKind.Client, "the upstream call is a child span of the same trace");
        spans.SelectMany(s => s.Tags).Select(t => t.Value).Should().NotContain(v => v != null && v.Contains("hf_abcdef", StringComparison.Ordinal), "no span carries a body");
    }
}
