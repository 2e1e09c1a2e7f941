using Rampart.Integrity.Signing;

namespace Rampart.Scanning.Analyzers.Signatures;

/// <summary>Which RAMP-SIG rule reports which verification problem (shared by the scan and `rampart verify`).</summary>
public static class SignatureFindings
{
    public const string Invalid = "RAMP-SIG-001";
    public const string Changed = "RAMP-SIG-002";
    public const string Missing = "RAMP-SIG-003";
    public const string Extra = "RAMP-SIG-004";

    public static string RuleFor(IntegrityProblemKind kind) => kind switch
    {
        IntegrityProblemKind.Changed => Changed,
        IntegrityProblemKind.Missing => Missing,
        IntegrityProblemKind.Extra => Extra,
        _ => Invalid,
    };
}
