using Rampart.Core.IO;
using Rampart.Gateway.Config;
using Rampart.Guard.Checks;
using Rampart.Guard.Detectors.Drift;
using Rampart.Guard.Detectors.Extraction;
using Rampart.Guard.Detectors.Injection;
using Rampart.Guard.Pipeline;
using Rampart.Text.Detection;

namespace Rampart.Gateway.Hosting;

/// <summary>A route's guard: the pipeline built from its <c>checks</c>, and the text checks a stream runs through its window.</summary>
internal sealed record RouteGuard(RouteConfig Route, GuardPipeline Pipeline, IReadOnlyList<ITextCheck> OutputTextChecks)
{
    public static RouteGuard Build(RouteConfig route, string baseDirectory, DetectorState detectors)
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

        // Prompt injection first: a refused request needs no further work. Inputs only (model output is not an injection).
        if (c.Injection is { } injection)
        {
            inputs.Add(new CappedInputCheck(new TextCheckAdapter(new InjectionTextCheck()), injection));
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

        if (c.Extraction is { } extraction)
        {
            inputs.Add(new CappedInputCheck(new ExtractionCheck(detectors.Extraction(route.Name, ExtractionOptions(extraction, baseDirectory)), ExtractionOptions(extraction, baseDirectory)), extraction.Action));
        }

        if (c.Drift is { } drift)
        {
            var path = Path.Combine(baseDirectory, drift.Profile);
            inputs.Add(detectors.Drift(route.Name, Path.GetFullPath(path), drift.WindowRows, () => ReadProfile(path)));
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

    private static ExtractionOptions ExtractionOptions(ExtractionConfig c, string baseDirectory)
    {
        var d = new ExtractionOptions();
        var options = d with
        {
            PradaDelta = c.PradaDelta ?? d.PradaDelta,
            MinDistancesForTest = c.MinQueries ?? d.MinDistancesForTest,
            QueryBudget = c.QueryBudget ?? d.QueryBudget,
            NearDuplicateRadius = c.NearDuplicateRadius ?? d.NearDuplicateRadius,
            BurstCount = c.BurstCount ?? d.BurstCount,
        };
        return c.Profile is { } profile ? options.WithProfile(ReadProfile(Path.Combine(baseDirectory, profile)), c.Features) : options;
    }

    private static DataProfile ReadProfile(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path}: no such training profile (make one with `rampart profile build`)");
        }

        using var stream = new MemoryStream(BoundedFile.ReadAllBytes(path), writable: false);
        return DataProfile.Read(stream);
    }
}
