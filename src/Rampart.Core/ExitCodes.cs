namespace Rampart.Core;

/// <summary>The one exit-code table of the whole command line. Documented in README.md.</summary>
public static class ExitCodes
{
    /// <summary>Everything scanned, nothing at or above the failure threshold.</summary>
    public const int Clean = 0;

    /// <summary>At least one finding at or above the policy's fail-on severity.</summary>
    public const int Findings = 1;

    /// <summary>Something could not be scanned completely (parse failure, limit reached).</summary>
    public const int Inconclusive = 2;

    /// <summary>Bad arguments, unreadable paths or an invalid policy.</summary>
    public const int UsageError = 3;

    /// <summary>A signature or ledger verification failed.</summary>
    public const int VerificationFailed = 4;

    /// <summary>A bug in Rampart: an unexpected exception reached the top level.</summary>
    public const int InternalError = 70;
}
