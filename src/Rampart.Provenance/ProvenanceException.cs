namespace Rampart.Provenance;

/// <summary>Invalid provenance input (a bad record, key, checkpoint or ledger location), with a one-line message.</summary>
public sealed class ProvenanceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProvenanceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ProvenanceException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ProvenanceException()
    {
    }
}
