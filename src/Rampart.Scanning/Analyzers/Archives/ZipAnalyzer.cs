using System.Globalization;
using System.IO.Compression;
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

    public string Id => "zip";

    public int Version => 1;

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

            if (entry.LocalMethod != entry.Method)
            {
                result.Report(LocalCentralMismatch,
                    $"member '{entry.Name}' declares compression method {entry.Method} centrally but {entry.LocalMethod} locally",
                    location, member);
            }

            if (entry.IsEncrypted)
            {
                result.Report(EncryptedMember, $"member '{entry.Name}' is encrypted; its content cannot be scanned", location, member);
                continue;
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

            switch (entry.Method)
            {
                case 0:
                    await AddStoredAsync(artifact, entry, stream, path, result, cancellationToken).ConfigureAwait(false);
                    break;
                case 8:
                    if (DeclaredBomb(entry, limits) is { } bomb)
                    {
                        result.Report(CompressionBomb, $"member '{entry.Name}' {bomb}; it was not decompressed", location, member);
                        break;
                    }

                    await AddDeflatedAsync(artifact, entry, path, result, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    result.Inconclusive($"member '{entry.Name}' uses compression method {entry.Method} ({MethodName(entry.Method)}), which Rampart does not decompress; it was not scanned", location);
                    break;
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

    private static async ValueTask AddDeflatedAsync(Artifact artifact, ZipEntry entry, string path, AnalysisResult result, CancellationToken cancellationToken)
    {
        var limits = result.Context.Limits;
        CrcStream? first = null;
        async ValueTask<Stream> Open(CancellationToken ct)
        {
            var parent = await artifact.OpenAsync(ct).ConfigureAwait(false);
            var compressed = new SubStream(parent, entry.DataOffset, entry.CompressedSize);
            var inflate = new DeflateStream(compressed, CompressionMode.Decompress);
            var bounded = new BoundedReadStream(inflate, limits.MaxDecompressedBytes, $"zip member '{entry.Name}'", limits.MaxCompressionRatio, () => compressed.Position);
            var checking = new CrcStream(bounded);
            first ??= checking;
            return checking;
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
        catch (InvalidDataException e)
        {
            result.Inconclusive($"member '{entry.Name}' is not valid deflate data ({e.Message})", location);
            return;
        }

        if (first is { ReachedEnd: true } read)
        {
            if (read.BytesRead != entry.UncompressedSize)
            {
                result.Report(IntegrityMismatch,
                    $"member '{entry.Name}' inflates to {read.BytesRead:N0} bytes, not the {entry.UncompressedSize:N0} declared",
                    location, [new("member", entry.Name)]);
            }

            ReportCrc(entry, read.Crc, result);
        }

        result.AddChild(child);
    }

    private static void ReportCrc(ZipEntry entry, uint actual, AnalysisResult result)
    {
        if (actual != entry.Crc)
        {
            result.Report(IntegrityMismatch,
                $"member '{entry.Name}' has CRC-32 0x{actual:X8} but declares 0x{entry.Crc:X8}: it was altered after the archive was written, and strict readers refuse it while lenient ones load it",
                FindingLocation.AtOffset(entry.HeaderOffset, $"member {entry.Name}"), [new("member", entry.Name)]);
        }
    }

    private static string? DeclaredBomb(ZipEntry entry, ScanLimits limits)
    {
        if (entry.UncompressedSize > limits.MaxDecompressedBytes)
        {
            return $"declares {entry.UncompressedSize:N0} uncompressed bytes, more than the {limits.MaxDecompressedBytes:N0} allowed";
        }

        var ratio = entry.UncompressedSize / Math.Max(1, entry.CompressedSize);
        return entry.UncompressedSize > BoundedReadStream.RatioGraceBytes && ratio > limits.MaxCompressionRatio
            ? $"declares a compression ratio of {ratio:N0}:1 (more than {limits.MaxCompressionRatio:N0}:1), a compression bomb"
            : null;
    }

    private static string MethodName(ushort method) => method switch
    {
        1 => "shrink",
        6 => "implode",
        9 => "deflate64",
        12 => "bzip2",
        14 => "lzma",
        93 => "zstandard",
        95 => "xz",
        99 => "AES encryption",
        _ => "unknown",
    };
}
