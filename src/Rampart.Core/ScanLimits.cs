namespace Rampart.Core;

/// <summary>
/// Bounds that keep a hostile file from hanging a scan or exhausting memory. Whatever reaches a limit is
/// reported Inconclusive with the limit's name; nothing is silently truncated into a "clean".
/// </summary>
public sealed record ScanLimits
{
    public static ScanLimits Default { get; } = new();

    /// <summary>Wall-clock budget for one top-level file and everything inside it.</summary>
    public TimeSpan TimePerFile { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Largest top-level file that is opened at all.</summary>
    public long MaxFileBytes { get; init; } = 256L * 1024 * 1024 * 1024;

    /// <summary>Most bytes any single decompressed stream may produce.</summary>
    public long MaxDecompressedBytes { get; init; } = 8L * 1024 * 1024 * 1024;

    /// <summary>Largest ratio of decompressed to compressed size before a member is treated as a bomb.</summary>
    public long MaxCompressionRatio { get; init; } = 1000;

    /// <summary>How deep containers may nest (zip in zip in gzip ...).</summary>
    public int MaxDepth { get; init; } = 8;

    /// <summary>Most members read from one archive.</summary>
    public int MaxMembers { get; init; } = 100_000;

    /// <summary>Most artifacts (files and children) in one scan of one top-level file.</summary>
    public int MaxArtifactsPerFile { get; init; } = 200_000;

    /// <summary>Most pickle opcodes emulated in one pickle stream.</summary>
    public long MaxPickleOpcodes { get; init; } = 200_000_000;

    /// <summary>Most entries on the emulated pickle stack and memo.</summary>
    public int MaxPickleStack { get; init; } = 10_000_000;

    /// <summary>Largest single string, bytes or buffer argument materialised from a pickle.</summary>
    public int MaxPickleStringBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Most pickle streams read one after another from one artifact.</summary>
    public int MaxPicklesPerStream { get; init; } = 64;

    /// <summary>Largest header/metadata block of any format that is read into memory.</summary>
    public int MaxHeaderBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>Largest member that is fully read into memory to be parsed (e.g. a zip member holding a pickle).</summary>
    public long MaxInMemoryMemberBytes { get; init; } = 1L * 1024 * 1024 * 1024;
}
