namespace Rampart.Scanning.IO;

/// <summary>
/// The content is not what its format allows (truncated, inconsistent, or using a feature no decoder here has).
/// The base of every format reader's own exception (pickle, Jinja, GGUF, compression, ...), so that the engine's one
/// catch ladder (<see cref="Engine.AnalyzerFailures"/>) judges them all the same way: Inconclusive, with the offset
/// when the reader knows it. Readers derive from it rather than from <see cref="Exception"/>.
/// </summary>
public class MalformedContentException(string message, long? offset = null) : Exception(message)
{
    public long? Offset { get; } = offset;
}
