namespace Rampart.Cli;

/// <summary>A mistake in how rampart was called (bad option value, unreadable policy): one line on stderr, exit 3.</summary>
internal sealed class UsageException(string message) : Exception(message);
