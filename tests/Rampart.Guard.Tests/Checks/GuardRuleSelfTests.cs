using System.Collections.Immutable;
using System.Text;
using Rampart.Guard.Checks;
using Rampart.Guard.Detectors.Drift;
using Rampart.Guard.Detectors.Extraction;
using Rampart.Guard.Pipeline;
using Rampart.Guard.Protocols;
using Rampart.Text.Detection;
using Rampart.TestKit;

namespace Rampart.Guard.Tests.Checks;

/// <summary>
/// Runs the mustMatch / mustNotMatch self-tests of the rule files Rampart.Guard embeds (rules/guard.json and
/// rules/guard/guard-ml.json): this room's self-test runner. A sample is a text (for text checks: judged as the
/// source the check looks at), a body (for body checks: a TF Serving request or response, an OpenAI response), or
/// for the extraction, drift and health detectors the name of a scripted scenario (<see cref="GuardMlScenarios"/>).
/// The harness configuration (canary token, deny list, allowed hosts, caps, model profile) is fixed here.
/// </summary>
public sealed class GuardRuleSelfTests
{
    internal const string Canary = "rmp-canary-selftest-0001";

    internal static readonly ModelProfile Profile = ModelProfile.Parse("""
        model: selftest
        maxBatch: 4
        features:
          - { name: age, type: integer, min: 0, max: 120 }
          - { name: income, type: number, min: 0 }
          - { name: segment, type: string, allowed: [a, b] }
        """, "selftest");

    public static TheoryData<string> RuleIds() => [.. GuardRules.Catalog.Rules.Select(r => r.Id)];

    /// <summary>The rule ids the extraction, drift and health detectors raise (rules/guard/guard-ml.json).</summary>
    private static readonly string[] DetectorRuleIds =
    [
        ExtractionCheck.PradaRuleId, ExtractionCheck.BudgetRuleId, ExtractionCheck.CoverageRuleId,
        ExtractionCheck.BurstRuleId, ExtractionCheck.ConfidenceProbingRuleId, ExtractionCheck.OutOfProfileRuleId,
        DriftCheck.DriftRuleId, HealthMonitor.HealthRuleId,
    ];

    [Fact]
    public void Catalog_HasEveryRuleTheChecksRaise()
    {
        var ids = typeof(GuardRuleIds).GetFields().Select(f => (string)f.GetValue(null)!).Concat(DetectorRuleIds).ToList();
        GuardRules.Catalog.Rules.Select(r => r.Id).Should().BeEquivalentTo(ids);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public async Task Rule_SelfTests_Pass(string id)
    {
        var rule = GuardRules.Catalog[id];
        foreach (var sample in rule.SelfTests.MustMatch)
        {
            (await Raised(rule.Match.Detector!, sample)).Should().Contain(id, $"'{sample}' is in the mustMatch list of {id}");
        }

        foreach (var sample in rule.SelfTests.MustNotMatch)
        {
            (await Raised(rule.Match.Detector!, sample)).Should().NotContain(id, $"'{sample}' is in the mustNotMatch list of {id}");
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_HasDocumentationPage(string id)
    {
        RuleDocPages.ReadChecked(id);
    }

    private static readonly ModelRevocations RevokedList = ModelRevocations.Empty.Add(
        [new ModelRevocation(17, "sha256:" + new string('1', 64), "scorer", "2", "weights leaked")]);

    private static GuardRequest Request(GuardPayload payload, GuardProtocol protocol = GuardProtocol.OpenAiChat) =>
        new("self", GuardPrincipal.Offline, "/selftest", "selftest", "predict", protocol, payload, DateTimeOffset.UnixEpoch);

    private static async Task<IReadOnlyList<string>> Raised(string detector, string sample)
    {
        var output = new TextPayload([sample], TextSource.ModelOutput);
        var input = new TextPayload([sample], TextSource.UserInput);
        switch (detector)
        {
            case "guard.check-failed":
                var pipeline = new GuardPipeline([new Throwing()], []);
                return [.. (await pipeline.CheckInputAsync(Request(input), GuardContext.System, default)).RuleIds];
            case "guard.secrets":
                return Text(new SensitiveTextCheck(TextHitKind.Secret), input);
            case "guard.pii":
                return Text(new SensitiveTextCheck(TextHitKind.PersonalData), input);
            case "guard.canary":
                return Text(new CanaryCheck([Canary]), output);
            case "guard.deny-list":
                return Text(new DenyListCheck(["forbidden topic"]), input);
            case "guard.markdown-image" or "guard.unlisted-link":
                return Text(new ExfiltrationCheck(["allowed.test"]), output);
            case "guard.response-size":
                return await Output(new ResponseCapCheck(maxBytes: 64), new GuardResponse(200, output) { BodyBytes = Encoding.UTF8.GetByteCount(sample) });
            case "guard.token-cap":
                var body = ProtocolReader.ReadResponse(GuardProtocol.OpenAiChat, Encoding.UTF8.GetBytes(sample)).Body!;
                return await Output(new ResponseCapCheck(maxTokens: 100), new GuardResponse(200, body.Payload) { OutputTokens = body.Usage?.CompletionTokens });
            case "guard.predict-schema" or "guard.predict-range":
                var rows = ProtocolReader.ReadRequest(GuardProtocol.TfServing, Encoding.UTF8.GetBytes(sample)).Body!;
                var decision = await new PredictSchemaCheck(Profile).CheckAsync(Request(rows.Payload, GuardProtocol.TfServing), GuardContext.System, default);
                return [.. decision.Signals.Select(s => s.RuleId)];
            case "guard.confidence-masking":
                var predictions = ProtocolReader.ReadResponse(GuardProtocol.TfServing, Encoding.UTF8.GetBytes(sample)).Body!;
                return await Output(new ConfidenceMaskingCheck(MaskingMode.Round, 2), new GuardResponse(200, predictions.Payload));
            case "guard.unreadable-body":
                var read = ProtocolReader.ReadRequest(GuardProtocol.OpenAiChat, Encoding.UTF8.GetBytes(sample));
                return read.Ok ? [] : [GuardRuleIds.UnreadableBody];
            case "guard.revocation":
                // The harness list revokes scorer@2 (digest sha256:11...); a sample is artifact@version or a digest.
                var parts = sample.Split('@');
                var model = parts.Length == 2 ? new ModelVersionRef(parts[0], parts[1], null) : new ModelVersionRef(null, null, sample);
                return RevokedList.Judge(model, TimeSpan.Zero, TimeSpan.FromMinutes(5)) is { } revoked ? [revoked.RuleId] : [];
            case "guard.revocation-staleness":
                // A sample is the age of the list in seconds ("never": no poll has succeeded); at most 300 s allowed.
                TimeSpan? age = sample == "never" ? null : TimeSpan.FromSeconds(double.Parse(sample, System.Globalization.CultureInfo.InvariantCulture));
                return RevokedList.Judge(new ModelVersionRef("other", "1", null), age, TimeSpan.FromSeconds(300)) is { } stale ? [stale.RuleId] : [];
            case "guard.extraction" or "guard.drift" or "guard.health":
                return [.. await GuardMlScenarios.RaisedAsync(detector, sample)];
            default:
                throw new InvalidOperationException($"no self-test harness for detector {detector}");
        }
    }

    private static List<string> Text(ITextCheck check, GuardPayload payload) =>
        [.. new TextCheckAdapter(check).Apply(payload).Signals.Select(s => s.RuleId)];

    private static async Task<IReadOnlyList<string>> Output(IOutputCheck check, GuardResponse response) =>
        [.. (await check.CheckAsync(Request(response.Payload), response, GuardContext.System, default)).Signals.Select(s => s.RuleId)];

    private sealed class Throwing : IInputCheck
    {
        public string Id => "throwing";

        public ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardContext context, CancellationToken cancellationToken) =>
            request.Payload.Texts().Any(t => t.Text.Contains("boom", StringComparison.Ordinal)) ? throw new InvalidOperationException("boom") : ValueTask.FromResult(GuardDecision.Allow);
    }
}
