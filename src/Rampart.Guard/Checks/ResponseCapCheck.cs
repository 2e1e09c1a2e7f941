using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Checks;

/// <summary>
/// Caps on what a model may send back: body bytes and completion tokens (from the upstream's usage fields, or
/// estimated as one token per four characters of output text where it reports none). An answer over a cap is
/// blocked: unbounded answers are how a model is made to dump its context or burn a budget.
/// </summary>
public sealed class ResponseCapCheck(long maxBytes = 0, long maxTokens = 0) : IOutputCheck
{
    public string Id => "response-caps";

    public ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardResponse response, GuardContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (maxBytes > 0 && response.BodyBytes > maxBytes)
        {
            return ValueTask.FromResult(GuardDecision.Block(new GuardSignal(GuardRuleIds.ResponseTooLarge, 1, $"the answer has {response.BodyBytes} bytes; the cap is {maxBytes}")));
        }

        if (maxTokens > 0)
        {
            var tokens = response.OutputTokens ?? EstimateTokens(response.Payload);
            if (tokens > maxTokens)
            {
                var how = response.OutputTokens is null ? "about " : "";
                return ValueTask.FromResult(GuardDecision.Block(new GuardSignal(GuardRuleIds.TokenCap, 1, $"the answer has {how}{tokens} completion tokens; the cap is {maxTokens}")));
            }
        }

        return ValueTask.FromResult(GuardDecision.Allow);
    }

    /// <summary>One token per four characters of model output, rounded up: the usual rule of thumb for English text.</summary>
    public static long EstimateTokens(GuardPayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return payload.Texts().Where(t => t.Source == TextSource.ModelOutput).Sum(t => (t.Text.Length + 3L) / 4);
    }
}
