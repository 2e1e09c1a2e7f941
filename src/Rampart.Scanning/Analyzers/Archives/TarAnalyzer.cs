using System.Globalization;
using System.Text;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Archives;

/// <summary>
/// Uncompressed tar archives (ustar, GNU long names, pax headers), including PyTorch's legacy tar checkpoints.
/// Walks the headers the way Python's tarfile does, reports names and links that escape the extraction folder,
/// device files and checksum errors, and exposes every regular member as a child artifact.
/// </summary>
internal sealed class TarAnalyzer : IArtifactAnalyzer
{
    public const string UnsafePath = "RAMP-TAR-001";
    public const string UnsafeLink = "RAMP-TAR-002";
    public const string DeviceMember = "RAMP-TAR-003";
    public const string ChecksumError = "RAMP-TAR-004";

    private const int Block = 512;

    /// <summary>The members torch.save wrote before PyTorch 1.6's zip format (tar layout of the 0.1.x series).</summary>
    private static readonly string[] LegacyTorchMembers = ["sys_info", "pickle", "storages", "tensors"];

    public string Id => "tar";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return StartsLikeTar(artifact.Head.Span);
    }

    /// <summary>A ustar (POSIX or GNU) header with a valid checksum at the start.</summary>
    public static bool StartsLikeTar(ReadOnlySpan<byte> head) =>
        head.Length >= Block && head.Slice(257, 5).SequenceEqual("ustar"u8) && ChecksumMatches(head[..Block]);

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var members = new List<(string Name, long Offset, long Size)>();
        var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        bool seekable;
        await using (stream.ConfigureAwait(false))
        {
            seekable = stream.CanSeek;
            try
            {
                await WalkAsync(stream, result, members, cancellationToken).ConfigureAwait(false);
            }
            catch (EndOfStreamException)
            {
                result.Inconclusive("the tar archive is truncated inside an extended header");
            }
        }

        result.SetFact("members", members.Count);
        var names = members.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        if (LegacyTorchMembers.All(names.Contains))
        {
            result.SetFact("format", "pytorch-legacy-tar");
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, offset, size) in members)
        {
            var copy = seen[name] = seen.GetValueOrDefault(name) + 1;
            var path = artifact.Path + "!/" + name + (copy > 1 ? $"#duplicate[{copy}]" : string.Empty);
            result.AddChild(await MakeChildAsync(artifact, seekable, path, name, offset, size, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    private static async ValueTask<Artifact> MakeChildAsync(Artifact artifact, bool seekable, string path, string name, long offset, long size, CancellationToken cancellationToken)
    {
        // Seekable parents are sliced without copying; decompressed streams are re-read up to the member.
        if (seekable)
        {
            return await ArtifactFactory.FromSliceAsync(path, artifact, offset, size, cancellationToken, name).ConfigureAwait(false);
        }

        async ValueTask<Stream> Open(CancellationToken ct) =>
            new ForwardWindowStream(await artifact.OpenAsync(ct).ConfigureAwait(false), offset, size);
        return await ArtifactFactory.FromStreamAsync(path, artifact, Open, cancellationToken, name).ConfigureAwait(false);
    }

    private static async ValueTask WalkAsync(Stream stream, AnalysisResult result, List<(string Name, long Offset, long Size)> members, CancellationToken cancellationToken)
    {
        var limits = result.Context.Limits;
        var header = new byte[Block];
        long offset = 0;
        string? longName = null;
        string? longLink = null;
        Dictionary<string, string>? pax = null;
        var globalPax = new Dictionary<string, string>(StringComparer.Ordinal);
        var count = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = await stream.ReadAtLeastAsync(header, Block, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            if (read < Block)
            {
                result.Inconclusive($"the tar archive ends inside a header ({read} of {Block} bytes)", FindingLocation.AtOffset(offset));
                return;
            }

            if (!header.AsSpan().ContainsAnyExcept((byte)0))
            {
                return;
            }

            if (!ChecksumMatches(header))
            {
                result.Report(ChecksumError,
                    $"the tar header at offset {offset} has a wrong checksum; Python's tarfile stops reading here, other tools skip the block and read on, so members after it are seen by some tools only",
                    FindingLocation.AtOffset(offset));
                return;
            }

            var type = (char)header[156];
            var size = ParseNumber(header.AsSpan(124, 12), offset);
            if (pax is not null && pax.TryGetValue("size", out var paxSize))
            {
                size = long.TryParse(paxSize, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : throw new MalformedContentException($"bad pax size '{paxSize}'", offset);
            }

            var dataOffset = offset + Block;
            var padded = size + ((Block - (size % Block)) % Block);
            if (type is 'L' or 'K' or 'x' or 'g')
            {
                if (size > limits.MaxHeaderBytes)
                {
                    throw new LimitExceededException("max-header-bytes", $"a tar extended header at offset {offset} has {size:N0} bytes");
                }

                var data = new byte[padded];
                await stream.ReadExactlyAsync(data, cancellationToken).ConfigureAwait(false);
                var text = data.AsSpan(0, (int)size);
                switch (type)
                {
                    case 'L':
                        longName = Terminated(text);
                        break;
                    case 'K':
                        longLink = Terminated(text);
                        break;
                    case 'x':
                        pax = ParsePax(text, offset);
                        break;
                    default:
                        foreach (var (key, value) in ParsePax(text, offset))
                        {
                            globalPax[key] = value;
                        }

                        break;
                }

                offset = dataOffset + padded;
                continue;
            }

            var name = longName ?? Value(pax, globalPax, "path") ?? UstarName(header);
            var link = longLink ?? Value(pax, globalPax, "linkpath") ?? Terminated(header.AsSpan(157, 100));
            longName = longLink = null;
            pax = null;
            if (++count > limits.MaxMembers)
            {
                result.LimitReached("max-members", $"the tar archive has more than {limits.MaxMembers:N0} members");
                return;
            }

            var location = FindingLocation.AtOffset(offset, $"member {name}");
            KeyValuePair<string, string>[] member = [new("member", name)];
            if (ArchivePaths.UnsafeReason(name) is { } reason)
            {
                result.Report(UnsafePath, $"member name '{name}' {reason}; extracting the archive writes outside the target folder", location, member);
            }

            // Like tarfile: only regular files and unknown types carry data blocks.
            var hasData = type is '0' or '\0' or '7' || type is not ('1' or '2' or '3' or '4' or '5' or '6');
            switch (type)
            {
                case '1' or '2':
                    if (ArchivePaths.UnsafeLinkReason(name, link, symbolic: type == '2') is { } linkReason)
                    {
                        var kind = type == '2' ? "symbolic" : "hard";
                        result.Report(UnsafeLink, $"{kind} link member '{name}' {linkReason}; extracting it lets later members or readers reach files outside the archive", location,
                            [.. member, new("target", link)]);
                    }

                    break;
                case '3' or '4' or '6':
                    var what = type switch { '3' => "a character device", '4' => "a block device", _ => "a named pipe (FIFO)" };
                    result.Report(DeviceMember, $"member '{name}' is {what}; extracting it as root creates a device node, and reading it can hang or touch hardware", location, member);
                    break;
                case 'S':
                    result.Inconclusive($"member '{name}' is a GNU sparse file, which Rampart does not reassemble; it was not scanned", location);
                    break;
                case '0' or '\0' or '7':
                    if (!name.EndsWith('/'))
                    {
                        members.Add((name, dataOffset, size));
                    }

                    break;
                default:
                    break;
            }

            if (!hasData)
            {
                offset = dataOffset;
                continue;
            }

            if (!await SkipAsync(stream, size, padded, cancellationToken).ConfigureAwait(false))
            {
                result.Inconclusive($"the tar archive is truncated inside member '{name}'", location);
                if (members.Count > 0 && members[^1].Offset == dataOffset)
                {
                    members.RemoveAt(members.Count - 1);
                }

                return;
            }

            offset = dataOffset + padded;
        }
    }

    /// <summary>Skips a member's data and padding; false when the data itself (not the padding) is cut short.</summary>
    private static async ValueTask<bool> SkipAsync(Stream stream, long size, long padded, CancellationToken cancellationToken)
    {
        if (stream.CanSeek)
        {
            var start = stream.Position;
            stream.Position = Math.Min(start + padded, stream.Length);
            return start + size <= stream.Length;
        }

        var scratch = new byte[81920];
        var skipped = 0L;
        while (skipped < padded)
        {
            var read = await stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, padded - skipped)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            skipped += read;
        }

        return skipped >= size;
    }

    private static string? Value(Dictionary<string, string>? pax, Dictionary<string, string> global, string key) =>
        pax is not null && pax.TryGetValue(key, out var v) ? v : global.GetValueOrDefault(key);

    private static string UstarName(byte[] header)
    {
        var name = Terminated(header.AsSpan(0, 100));
        var posix = header.AsSpan(257, 6).SequenceEqual("ustar\0"u8);
        var prefix = posix ? Terminated(header.AsSpan(345, 155)) : string.Empty;
        return prefix.Length > 0 ? prefix + "/" + name : name;
    }

    private static string Terminated(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    /// <summary>Octal (NUL/space padded) or GNU base-256 (high bit set) numeric field.</summary>
    private static long ParseNumber(ReadOnlySpan<byte> field, long offset)
    {
        if ((field[0] & 0x80) != 0)
        {
            if (field[0] != 0x80 || field[1..4].ContainsAnyExcept((byte)0))
            {
                throw new MalformedContentException("a tar size field in base-256 is negative or too large", offset);
            }

            long value = 0;
            foreach (var b in field[4..])
            {
                value = (value << 8) | b;
            }

            return value;
        }

        var text = Encoding.ASCII.GetString(field).Trim('\0', ' ');
        if (text.Length == 0)
        {
            return 0;
        }

        try
        {
            return Convert.ToInt64(text, 8);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new MalformedContentException($"a tar number field '{text}' is not octal", offset);
        }
    }

    private static bool ChecksumMatches(ReadOnlySpan<byte> header)
    {
        var stored = Encoding.ASCII.GetString(header.Slice(148, 8)).Trim('\0', ' ');
        if (stored.Length == 0 || stored.Any(c => c is < '0' or > '7'))
        {
            return false;
        }

        var expected = Convert.ToInt64(stored, 8);
        long unsigned = 0;
        long signed = 0;
        for (var i = 0; i < Block; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : header[i];
            unsigned += b;
            signed += (sbyte)b;
        }

        return expected == unsigned || expected == signed;
    }

    /// <summary>pax records: "LEN key=value\n", LEN counting the whole record.</summary>
    private static Dictionary<string, string> ParsePax(ReadOnlySpan<byte> data, long offset)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (data.Length > 0 && data[0] != 0)
        {
            var space = data.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(data[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length <= space + 1 || length > data.Length)
            {
                throw new MalformedContentException("a pax extended header record is malformed", offset);
            }

            var record = data[(space + 1)..length];
            var equals = record.IndexOf((byte)'=');
            if (equals < 0 || record[^1] != (byte)'\n')
            {
                throw new MalformedContentException("a pax extended header record is malformed", offset);
            }

            result[Encoding.UTF8.GetString(record[..equals])] = Encoding.UTF8.GetString(record[(equals + 1)..^1]);
            data = data[length..];
        }

        return result;
    }
}
