using System.Globalization;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Archives;

/// <summary>
/// Zip archives (PyTorch checkpoints, .npz, .keras, plain zips). Reads the directory with <see cref="ZipReader"/>,
/// reports every place where a scanner and a loader could see different content, and exposes each member as a
/// child artifact: stored members as slices of the archive, deflated ones as bounded decompressing streams.
/// </summary>
internal sealed class ZipAnalyzer : IArtifactAnalyzer
{
    public const string LocalCentralMismatch = "RAMP-ZIP-001";
    public const string DuplicateMember = "RAMP-ZIP-002";
    public const string UnusualFlags = "RAMP-ZIP-003";
    public const string IntegrityMismatch = "RAMP-ZIP-004";
    public const string EncryptedMember = "RAMP-ZIP-005";
    public const string UnsafePath = "RAMP-ZIP-006";
    public const string CompressionBomb = "RAMP-ZIP-007";
    public const string HiddenData = "RAMP-ZIP-008";
    public const string InconsistentStructure = "RAMP-ZIP-009";

    /// <summary>Stored members up to this size are read once to check their CRC; larger ones (tensors) are not read.</summary>
    public const int StoredCrcCheckBytes = 1024 * 1024;

    // Encryption (0), deflate options (1, 2), data descriptor (3) and UTF-8 names (11) are what real writers set.
    private const ushort UsualFlags = 0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0800;

    // Encryption (0), patched data (5), strong encryption (6) and masked headers (13): bits that decide whether a
    // reader reads a member at all, so a difference between the two headers splits readers.
    private const ushort LoaderSplittingFlags = 0x0001 | 0x0020 | 0x0040 | 0x2000;

    public string Id => "zip";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return ZipReader.StartsLikeZip(artifact.Head.Span) || ZipReader.FindEndRecord(artifact.Tail.Span) >= 0;
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            ZipDirectory directory;
            try
            {
                directory = await ZipReader.ReadAsync(artifact, stream, context.Limits, cancellationToken).ConfigureAwait(false);
            }
            catch (MalformedContentException) when (!ZipReader.StartsLikeZip(artifact.Head.Span))
            {
                // Only an end-record signature somewhere in the tail: most likely not a zip at all.
                result.MarkNotThisFormat();
                return result;
            }

            if (!ZipReader.StartsLikeZip(artifact.Head.Span) && (directory.Entries.Count == 0 || TarAnalyzer.StartsLikeTar(artifact.Head.Span)))
            {
                // An empty directory behind other content holds nothing a loader could read; a zip at the end of a
                // tar is its last member, which the tar analyzer exposes and which is analysed as a zip in its own right.
                result.MarkNotThisFormat();
                return result;
            }

            result.SetFact("members", directory.Entries.Count);
            result.SetFact("zip64", directory.IsZip64 ? "yes" : "no");
            if (directory.MemberLimitReached)
            {
                result.LimitReached("max-members", $"the archive has more than {context.Limits.MaxMembers:N0} members");
            }

            await CheckMembersAsync(artifact, directory, stream, result, cancellationToken).ConfigureAwait(false);
            if (!directory.MemberLimitReached)
            {
                // Members past the limit were not read, so their bytes would look like hidden data.
                CheckLayout(directory, result);
                await AddGapChildrenAsync(artifact, directory, result, cancellationToken).ConfigureAwait(false);
            }
        }

        return result;
    }

    /// <summary>Prepended, interleaved and appended bytes; overlapping members; a count that disagrees.</summary>
    private static void CheckLayout(ZipDirectory directory, AnalysisResult result)
    {
        if (directory.DeclaredEntryCount != directory.Entries.Count)
        {
            result.Report(InconsistentStructure,
                $"the end record declares {directory.DeclaredEntryCount} members but the central directory holds {directory.Entries.Count}; readers that trust the count and readers that trust the directory size see different members",
                FindingLocation.AtOffset(directory.EndRecordsStart));
        }

        foreach (var gap in Gaps(directory))
        {
            var what = gap.Start == 0
                ? $"{gap.Length:N0} bytes precede the first zip member: the file is also something else (e.g. a pickle that pickle.load would read, while zipfile reads the appended archive)"
                : gap.End == directory.Length
                    ? $"{gap.Length:N0} bytes follow the end of the zip archive; loaders ignore them but other tools may read them"
                    : $"{gap.Length:N0} bytes at offset {gap.Start} belong to no zip member; data can hide there from tools that only list members";
            result.Report(HiddenData, what, FindingLocation.AtOffset(gap.Start), [new("bytes", gap.Length.ToString(CultureInfo.InvariantCulture))]);
        }

        var withHeaders = directory.Entries.Where(e => e.HasLocalHeader).OrderBy(e => e.HeaderOffset).ToList();
        for (var i = 1; i < withHeaders.Count; i++)
        {
            var previous = withHeaders[i - 1];
            var entry = withHeaders[i];
            if (entry.HeaderOffset < previous.DataEnd)
            {
                var what = entry.HeaderOffset == previous.HeaderOffset ? "share one local header" : "overlap";
                result.Report(InconsistentStructure,
                    $"members '{previous.Name}' and '{entry.Name}' {what}: one stretch of bytes is read as two members (a classic zip-bomb and scanner-evasion layout)",
                    FindingLocation.AtOffset(entry.HeaderOffset, $"member {entry.Name}"), [new("member", entry.Name)]);
            }
        }

        foreach (var entry in withHeaders.Where(e => e.DataEnd > directory.CentralDirectoryStart))
        {
            result.Report(InconsistentStructure,
                $"the data of member '{entry.Name}' runs into the central directory",
                FindingLocation.AtOffset(entry.DataOffset, $"member {entry.Name}"), [new("member", entry.Name)]);
        }
    }

    private sealed record Gap(long Start, long End)
    {
        public long Length => End - Start;
    }

    private static List<Gap> Gaps(ZipDirectory directory)
    {
        var gaps = new List<Gap>();
        long cursor = 0;
        var descriptorBefore = false;
        void Until(long start)
        {
            var length = start - cursor;
            // A data descriptor (12-24 bytes, with or without its signature) may follow a member's data.
            var explained = descriptorBefore && length is 12 or 16 or 20 or 24;
            if (length > 0 && !explained)
            {
                gaps.Add(new Gap(cursor, start));
            }
        }

        foreach (var entry in directory.Entries.Where(e => e.HasLocalHeader).OrderBy(e => e.HeaderOffset))
        {
            if (entry.HeaderOffset > cursor)
            {
                Until(entry.HeaderOffset);
            }

            if (entry.DataEnd > cursor)
            {
                cursor = entry.DataEnd;
                descriptorBefore = entry.HasDataDescriptor;
            }
        }

        if (directory.CentralDirectoryStart > cursor)
        {
            Until(directory.CentralDirectoryStart);
        }

        cursor = Math.Max(cursor, directory.CentralDirectoryStart + directory.CentralDirectorySize);
        descriptorBefore = false;
        if (directory.EndRecordsStart > cursor)
        {
            Until(directory.EndRecordsStart);
        }

        cursor = Math.Max(cursor, directory.EndRecordsEnd);
        if (directory.Length > cursor)
        {
            Until(directory.Length);
        }

        return gaps;
    }

    /// <summary>Bytes between members and after the archive are exposed so other analyzers can judge them too.</summary>
    private static async ValueTask AddGapChildrenAsync(Artifact artifact, ZipDirectory directory, AnalysisResult result, CancellationToken cancellationToken)
    {
        var index = 0;
        foreach (var gap in Gaps(directory).Where(g => g.Start > 0))
        {
            index++;
            var label = gap.End == directory.Length ? "#trailing" : $"#gap[{index}]";
            result.AddChild(await ArtifactFactory.FromSliceAsync(artifact.Path + label, artifact, gap.Start, gap.Length, cancellationToken).ConfigureAwait(false));
        }
    }

    private static async ValueTask CheckMembersAsync(Artifact artifact, ZipDirectory directory, Stream stream, AnalysisResult result, CancellationToken cancellationToken)
    {
        var limits = result.Context.Limits;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var group in directory.Entries.GroupBy(e => e.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            result.Report(DuplicateMember,
                $"'{group.Key}' appears {group.Count()} times in the central directory; Python's zipfile loads the last copy, other readers may load another (every copy is scanned)",
                FindingLocation.AtOffset(group.Last().HeaderOffset, $"member {group.Key}"), [new("member", group.Key)]);
        }

        foreach (var entry in directory.Entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var location = FindingLocation.AtOffset(entry.HeaderOffset, $"member {entry.Name}");
            KeyValuePair<string, string>[] member = [new("member", entry.Name)];
            var copy = seen[entry.Name] = seen.GetValueOrDefault(entry.Name) + 1;
            var path = artifact.Path + "!/" + entry.Name + (copy > 1 ? $"#duplicate[{copy}]" : string.Empty);

            if (ArchivePaths.UnsafeReason(entry.Name) is { } unsafeReason)
            {
                result.Report(UnsafePath, $"member name '{entry.Name}' {unsafeReason}; extracting the archive writes outside the target folder", location, member);
            }

            var unusual = (ushort)(entry.Flags & ~UsualFlags);
            if (unusual != 0)
            {
                result.Report(UnusualFlags,
                    $"member '{entry.Name}' sets general-purpose flag bits 0x{unusual:X4} that ordinary writers never set; readers interpret them differently",
                    location, member);
            }

            if (!entry.HasLocalHeader)
            {
                result.Inconclusive($"the local header of member '{entry.Name}' is missing at offset {entry.HeaderOffset}: loaders cannot read it and neither can Rampart", location);
                continue;
            }

            if (entry.LocalName is { } localName && !string.Equals(localName, entry.Name, StringComparison.Ordinal))
            {
                result.Report(LocalCentralMismatch,
                    $"member '{entry.Name}' is called '{localName}' in its local header; tools that read local headers see a different archive than those that read the central directory",
                    location, [.. member, new("localName", localName)]);
                if (ArchivePaths.UnsafeReason(localName) is { } localUnsafe)
                {
                    result.Report(UnsafePath, $"the local name '{localName}' {localUnsafe}; streaming extractors write outside the target folder", location, member);
                }
            }

            var localOnly = (ushort)((entry.LocalFlags ^ entry.Flags) & LoaderSplittingFlags);
            if (localOnly != 0)
            {
                // PyTorch reads flags from the central directory only; Python's zipfile also reads the local header
                // (bit 5 there makes it refuse) and streaming extractors read nothing else. Bits set in one header and
                // not the other make those readers disagree about whether the member can be read at all.
                result.Report(LocalCentralMismatch,
                    $"member '{entry.Name}' sets flag bits 0x{localOnly:X4} ({FlagNames(localOnly)}) in one header but not the other: PyTorch reads only the central directory and loads the member in clear, while tools that read the local header skip or refuse it",
                    location, [.. member, new("flags", $"0x{localOnly:X4}")]);
            }

            if (entry.LocalMethod != entry.Method)
            {
                result.Report(LocalCentralMismatch,
                    $"member '{entry.Name}' declares compression method {entry.Method} centrally but {entry.LocalMethod} locally",
                    location, member);
            }

            if (entry.IsEncrypted)
            {
                // PyTorch's zip reader ignores the encryption flag and loads the bytes as they are (the class of
                // CVE-2025-1945), so the member is scanned as plain data as well: real ciphertext reads as noise or
                // fails to decompress (Inconclusive), while a flag set only to blind scanners shows the payload.
                result.Report(EncryptedMember,
                    $"member '{entry.Name}' is flagged as encrypted: Python's zipfile asks for a password, but PyTorch's reader ignores the flag and loads the bytes in clear, so they were scanned as such",
                    location, member);
            }

            if (entry.IsDirectory)
            {
                continue;
            }

            if (entry.DataEnd > directory.Length || entry.CompressedSize < 0)
            {
                result.Inconclusive($"the data of member '{entry.Name}' runs past the end of the archive (truncated)", location);
                continue;
            }

            if (!ZipMemberReader.CanDecode(entry.Method))
            {
                result.Inconclusive($"member '{entry.Name}' uses compression method {entry.Method} ({ZipMemberReader.MethodName(entry.Method)}), which Rampart does not decompress; it was not scanned", location);
            }
            else if (entry.Method == 0)
            {
                await AddStoredAsync(artifact, entry, stream, path, result, cancellationToken).ConfigureAwait(false);
            }
            else if (ZipMemberReader.DeclaredBomb(entry, limits) is { } bomb)
            {
                result.Report(CompressionBomb, $"member '{entry.Name}' {bomb}; it was not decompressed", location, member);
            }
            else
            {
                await AddDecodedAsync(artifact, entry, path, result, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async ValueTask AddStoredAsync(Artifact artifact, ZipEntry entry, Stream stream, string path, AnalysisResult result, CancellationToken cancellationToken)
    {
        var location = FindingLocation.AtOffset(entry.HeaderOffset, $"member {entry.Name}");
        if (entry.CompressedSize != entry.UncompressedSize)
        {
            result.Report(IntegrityMismatch,
                $"stored member '{entry.Name}' declares {entry.CompressedSize:N0} stored bytes but an uncompressed size of {entry.UncompressedSize:N0}",
                location, [new("member", entry.Name)]);
        }

        if (entry.CompressedSize <= StoredCrcCheckBytes)
        {
            var data = await ZipReader.ReadAtAsync(stream, entry.DataOffset, (int)entry.CompressedSize, cancellationToken).ConfigureAwait(false);
            ReportCrc(entry, Crc32.Compute(data), result);
            if (data.Length <= Artifact.HeadSize + Artifact.TailSize)
            {
                // A slice would hold the same bytes as its head and tail; reuse them instead of reopening the file.
                result.AddChild(ArtifactFactory.FromBytes(path, artifact, data, entry.Name));
                return;
            }
        }

        result.AddChild(await ArtifactFactory.FromSliceAsync(path, artifact, entry.DataOffset, entry.CompressedSize, cancellationToken, entry.Name).ConfigureAwait(false));
    }

    /// <summary>A compressed member: a child whose content is decoded (bounded) each time it is opened.</summary>
    private static async ValueTask AddDecodedAsync(Artifact artifact, ZipEntry entry, string path, AnalysisResult result, CancellationToken cancellationToken)
    {
        var limits = result.Context.Limits;
        CrcStream? first = null;
        async ValueTask<Stream> Open(CancellationToken ct)
        {
            var stream = await ZipMemberReader.OpenAsync(artifact, entry, limits, ct).ConfigureAwait(false);
            first ??= stream;
            return stream;
        }

        var location = FindingLocation.AtOffset(entry.HeaderOffset, $"member {entry.Name}");
        Artifact child;
        try
        {
            child = await ArtifactFactory.FromStreamAsync(path, artifact, Open, cancellationToken, entry.Name).ConfigureAwait(false);
        }
        catch (LimitExceededException e)
        {
            result.Report(CompressionBomb, $"member '{entry.Name}': {e.Message}; it was not scanned further", location,
                [new("member", entry.Name), new("limit", e.LimitName)]);
            return;
        }
        catch (Exception e) when (e is InvalidDataException or MalformedContentException)
        {
            result.Inconclusive($"member '{entry.Name}' is not valid {ZipMemberReader.MethodName(entry.Method)} data ({e.Message})", location);
            return;
        }

        if (first is not null && ZipMemberReader.IntegrityProblem(entry, first) is { } problem)
        {
            result.Report(IntegrityMismatch, problem, location, [new("member", entry.Name)]);
        }

        result.AddChild(child);
    }

    private static void ReportCrc(ZipEntry entry, uint actual, AnalysisResult result)
    {
        // The stored size was compared with the declared one already; only the CRC is judged here.
        if (ZipMemberReader.IntegrityProblem(entry, entry.UncompressedSize, actual) is { } problem)
        {
            result.Report(IntegrityMismatch, problem, FindingLocation.AtOffset(entry.HeaderOffset, $"member {entry.Name}"), [new("member", entry.Name)]);
        }
    }

    private static string FlagNames(ushort flags) => string.Join(", ", new (ushort Bit, string Name)[]
    {
        (0x0001, "encrypted"), (0x0020, "patched data"), (0x0040, "strong encryption"), (0x2000, "masked local header"),
    }.Where(f => (flags & f.Bit) != 0).Select(f => f.Name));
}
