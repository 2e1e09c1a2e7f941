using Rampart.Core.Rules;

namespace Rampart.Guard.Checks;

/// <summary>The guard rules (rules/guard.json, embedded): what each signal's rule id means and how to fix it.</summary>
public static class GuardRules
{
    private static readonly Lazy<RuleCatalog> LazyCatalog = new(() => RuleCatalog.FromAssemblies(typeof(GuardRules).Assembly));

    public static RuleCatalog Catalog => LazyCatalog.Value;
}
