namespace Rampart.Scanning.Engine;

/// <summary>A path given to scan does not exist or is not a file or folder: a usage error (exit 3).</summary>
public sealed class ScanTargetException(string message) : Exception(message);

/// <summary>Progress of a running scan, for the console's progress display.</summary>
public sealed record ScanProgress(int FilesDone, int FilesTotal, long BytesDone, long BytesTotal, string? Current);
