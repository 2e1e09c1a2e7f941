using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Rules;

namespace Rampart.Scanning.Engine;

/// <summary>Everything an analyzer may consult during one scan. Shared by all artifacts of the scan; thread-safe.</summary>
public sealed class AnalysisContext
{
    public AnalysisContext(RuleCatalog rules, ScanPolicy policy)
    {
        Rules = rules;
        Policy = policy;
    }

    public RuleCatalog Rules { get; }

    public ScanPolicy Policy { get; }

    public ScanLimits Limits => Policy.Limits;
}
