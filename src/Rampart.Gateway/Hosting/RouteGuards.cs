using Rampart.Core.IO;
using Rampart.Gateway.Config;
using Rampart.Guard.Checks;
using Rampart.Guard.Pipeline;
using Rampart.Text.Detection;

namespace Rampart.Gateway.Hosting;

/// <summary>A route's guard: the pipeline built from its <c>checks</c>, and the text checks a stream runs through its window.</summary>
internal sealed record RouteGuard(RouteConfig Route, GuardPipeline Pipeline, IReadOnlyList<ITextCheck> OutputTextChecks)
{
    public static RouteGuard Build(RouteConfig route, string baseDirectory)
    {
        var c = route.Checks;
        var inputs = new List<IInputCheck>();
        var outputs = new List<IOutputCheck>();
        var outputText = new List<ITextCheck>();

        void Text(ITextCheck check)
        {
            var adapter = new TextCheckAdapter(check);
            inputs.Add(adapter);
            outputs.Add(adapter);
            outputText.Add(check);
        }

        if (c.Secrets is { } secrets)
        {
            Text(new SensitiveTextCheck(TextHitKind.Secret, secrets));
        }

        if (c.Pii is { } pii)
        {
            Text(new SensitiveTextCheck(TextHitKind.PersonalData, pii));
        }

        if (!c.DenyTerms.IsEmpty || !c.DenyPatterns.IsEmpty)
        {
            Text(new DenyListCheck(c.DenyTerms, c.DenyPatterns));
        }

        if (!c.Canaries.IsEmpty)
        {
            Text(new CanaryCheck(c.Canaries));
        }

        if (c.ExfiltrationAllowedHosts is { } hosts)
        {
            Text(new ExfiltrationCheck(hosts));
        }

        if (c.Profile is { } profile)
        {
            var path = Path.Combine(baseDirectory, profile);
            inputs.Add(new PredictSchemaCheck(ModelProfile.Parse(BoundedFile.ReadAllText(path), path)));
        }

        if (c.MaxResponseBytes > 0 || c.MaxResponseTokens > 0)
        {
            outputs.Add(new ResponseCapCheck(c.MaxResponseBytes, c.MaxResponseTokens));
        }

        if (c.Masking is { } masking)
        {
            outputs.Add(new ConfidenceMaskingCheck(masking switch { "label" => MaskingMode.LabelOnly, "topk" => MaskingMode.TopK, _ => MaskingMode.Round }, c.MaskingDecimals, c.MaskingTopK));
        }

        return new RouteGuard(route, new GuardPipeline(inputs, outputs, route.Mode), outputText);
    }
}
