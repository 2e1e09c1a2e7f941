using System.Collections.Immutable;

namespace Rampart.Core.Policy;

/// <summary>An external AI provider the team approved, and the data classes that may be sent to it (empty: any).</summary>
public sealed record ApprovedAiProvider(string Name, ImmutableArray<string> DataClasses);

/// <summary>Which data class the code under a path glob handles ("customer", "confidential", ...).</summary>
public sealed record CodeDataClass(string Path, string DataClass);

/// <summary>The "code:" section: settings of the code review rules (rampart scan on .py/.ipynb, rampart review).</summary>
public sealed partial record ScanPolicy
{
    /// <summary>External AI providers the team approved (code.ai.providers); any other is reported (shadow AI).</summary>
    public ImmutableArray<ApprovedAiProvider> CodeAiProviders { get; init; } = [];

    /// <summary>Data class of code by path (code.ai.data-classes); the first matching glob wins.</summary>
    public ImmutableArray<CodeDataClass> CodeDataClasses { get; init; } = [];

    /// <summary>Data class assumed where no glob matches (code.ai.default-data-class).</summary>
    public string CodeDefaultDataClass { get; init; } = "internal";

    /// <summary>The data class of the code at <paramref name="path"/>.</summary>
    public string CodeDataClassFor(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        foreach (var entry in CodeDataClasses)
        {
            if (PathGlob.IsMatch(entry.Path, path.Split("!/")[0].Split('#')[0]))
            {
                return entry.DataClass;
            }
        }

        return CodeDefaultDataClass;
    }
}
