namespace Rampart.Provenance;

/// <summary>
/// The ledger's store holds something Rampart never writes (a value of the wrong type or length, a duplicated or
/// out-of-range row): it was edited outside Rampart. Commands that meet one stop with this one-line message;
/// `rampart ledger verify` reports every such row instead.
/// </summary>
public sealed class LedgerDamagedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LedgerDamagedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public LedgerDamagedException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public LedgerDamagedException()
    {
    }
}
