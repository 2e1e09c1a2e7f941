using System.Security.Cryptography;

namespace Rampart.Data.Reading;

/// <summary>
/// An image classification folder: every image file under a sub-folder, labelled with the name of the sub-folder it
/// sits in directly under the root (root/cat/001.png → label "cat"). Columns: path (relative), label, format (sniffed
/// from the magic bytes, not the extension), bytes and sha256 of the content, so exact duplicates with conflicting
/// labels show. Files that are not images by their bytes are reported as issues; symbolic links are not followed.
/// </summary>
public sealed class ImageFolderSource(string path, DataLimits limits) : DatasetSource(path, limits)
{
    public override string Format => "image-folder";

    protected override IEnumerable<DataRow> ReadCore(CancellationToken cancellationToken)
    {
        SetColumns(["path", "label", "format", "bytes", "sha256"]);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        var files = Directory.EnumerateFiles(Path, "*", options)
            .Take(Limits.MaxImageFiles + 1)
            .Select(f => System.IO.Path.GetRelativePath(Path, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count > Limits.MaxImageFiles)
        {
            throw new DataLimitException($"more than {Limits.MaxImageFiles} files in the folder (limit MaxImageFiles)");
        }

        long index = 0;
        long line = 0;
        foreach (var relative in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            line++;
            var slash = relative.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                AddIssue(line, $"'{relative}' is not inside a label folder");
                continue;
            }

            var full = System.IO.Path.Combine(Path, relative);
            string? format;
            string digest;
            long length;
            using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            {
                Span<byte> head = stackalloc byte[12];
                var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
                format = Sniff(head[..read]);
                if (format is null)
                {
                    AddIssue(line, $"'{relative}' is not an image (no PNG, JPEG, GIF, BMP, WebP or TIFF signature)");
                    continue;
                }

                stream.Position = 0;
                digest = Convert.ToHexStringLower(SHA256.HashData(stream));
                length = stream.Length;
            }

            yield return new DataRow(index++, line, [relative, relative[..slash], format, length.ToString(System.Globalization.CultureInfo.InvariantCulture), digest]);
        }
    }

    /// <summary>The image format from its signature, or null.</summary>
    public static string? Sniff(ReadOnlySpan<byte> head) => head switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "png",
        [0xFF, 0xD8, 0xFF, ..] => "jpeg",
        [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => "gif",
        [(byte)'B', (byte)'M', ..] => "bmp",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "webp",
        [(byte)'I', (byte)'I', 0x2A, 0x00, ..] or [(byte)'M', (byte)'M', 0x00, 0x2A, ..] => "tiff",
        _ => null,
    };
}
