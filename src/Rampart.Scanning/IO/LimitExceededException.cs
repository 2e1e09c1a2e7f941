namespace Rampart.Scanning.IO;

/// <summary>
/// Thrown by bounded readers when a configured limit is reached. The engine reports it as Inconclusive with
/// <see cref="LimitName"/>; analyzers may catch it to report it themselves with more context.
/// </summary>
public sealed class LimitExceededException(string limitName, string message) : Exception(message)
{
    public string LimitName { get; } = limitName;
}
