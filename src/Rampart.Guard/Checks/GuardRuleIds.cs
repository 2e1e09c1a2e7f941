namespace Rampart.Guard.Checks;

/// <summary>The rule ids the shipped guard checks raise (defined, with self-tests, in rules/guard.json).</summary>
public static class GuardRuleIds
{
    public const string CheckFailed = Pipeline.GuardPipeline.CheckFailedRuleId;
    public const string Secret = "RAMP-GUARD-001";
    public const string PersonalData = "RAMP-GUARD-002";
    public const string CanaryLeak = "RAMP-GUARD-003";
    public const string DenyList = "RAMP-GUARD-004";
    public const string MarkdownImage = "RAMP-GUARD-005";
    public const string UnlistedLink = "RAMP-GUARD-006";
    public const string ResponseTooLarge = "RAMP-GUARD-007";
    public const string TokenCap = "RAMP-GUARD-008";
    public const string PredictSchema = "RAMP-GUARD-009";
    public const string PredictRange = "RAMP-GUARD-010";
    public const string ConfidenceMasked = "RAMP-GUARD-011";
    public const string UnreadableBody = "RAMP-GUARD-012";
    public const string ModelRevoked = "RAMP-GUARD-013";
    public const string RevocationsStale = "RAMP-GUARD-014";
}
