using Rampart.Core.Rules;

namespace Rampart.Data.Scan;

/// <summary>The dataset rules (rules/data/rules.json, embedded) and their ids.</summary>
public static class DataRules
{
    public const string PersonalData = "RAMP-DATA-001";
    public const string Secret = "RAMP-DATA-002";
    public const string ExactDuplicates = "RAMP-DATA-003";
    public const string NearDuplicates = "RAMP-DATA-004";
    public const string ConflictingLabels = "RAMP-DATA-005";
    public const string LabelNoise = "RAMP-DATA-006";
    public const string Outliers = "RAMP-DATA-007";
    public const string BackdoorTrigger = "RAMP-DATA-008";
    public const string MalformedRows = "RAMP-DATA-009";
    public const string Unreadable = "RAMP-DATA-010";
    public const string SchemaChange = "RAMP-DATA-011";
    public const string ClassBalanceShift = "RAMP-DATA-012";
    public const string DistributionShift = "RAMP-DATA-013";

    private static readonly Lazy<RuleCatalog> LazyCatalog = new(() => RuleCatalog.FromAssemblies(typeof(DataRules).Assembly));

    public static RuleCatalog Catalog => LazyCatalog.Value;
}
