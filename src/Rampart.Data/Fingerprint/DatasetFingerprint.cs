using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Rampart.Data.Scan;
using Rampart.Provenance;
using Rampart.Provenance.Records;

namespace Rampart.Data.Fingerprint;

/// <summary>A dataset's manifest (one "sha256 size path" line per file, sorted by path) and its digest.</summary>
public sealed record DatasetManifest(string Text, string Digest, int Files, long Bytes);

/// <summary>
/// `rampart data fingerprint`: the manifest of a file or folder (every regular file under it, symbolic links not
/// followed) and its SHA-256, which names the exact snapshot; recorded in the provenance ledger as a dataset record
/// whose manifest digest a training run lists among its datasets, so `rampart trace` links the model to the data.
/// </summary>
public static class DatasetFingerprint
{
    public static DatasetManifest Manifest(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        IEnumerable<(string Relative, string Full)> files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
                .Select(f => (Path.GetRelativePath(path, f).Replace('\\', '/'), f))
            : File.Exists(path) ? [(Path.GetFileName(path), path)] : throw new FileNotFoundException($"no file or folder at '{path}'", path);
        var sb = new StringBuilder();
        var count = 0;
        long bytes = 0;
        foreach (var (relative, full) in files.OrderBy(f => f.Relative, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            var digest = Convert.ToHexStringLower(SHA256.HashData(stream));
            sb.Append(CultureInfo.InvariantCulture, $"{digest}  {stream.Length}  {relative}\n");
            count++;
            bytes += stream.Length;
        }

        var text = sb.ToString();
        return new DatasetManifest(text, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), count, bytes);
    }

    /// <summary>The scan summary as the dataset record's scan-summary map: rows, verdict and findings per rule.</summary>
    public static IReadOnlyDictionary<string, string> Summary(DatasetScanResult scan)
    {
        ArgumentNullException.ThrowIfNull(scan);
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["rows"] = scan.Rows.ToString(CultureInfo.InvariantCulture),
            ["verdict"] = Core.VerdictExtensions.ToWire(scan.Verdict),
            ["format"] = scan.Format,
        };
        foreach (var (rule, count) in scan.Counts)
        {
            map[rule] = count.ToString(CultureInfo.InvariantCulture);
        }

        return map;
    }

    /// <summary>Appends the dataset record: name, manifest digest, optional version/source/licence, and the scan's pii-scan and summary.</summary>
    public static async Task<LedgerEntry> RecordAsync(Ledger ledger, string name, DatasetManifest manifest, DatasetScanResult? scan, string? version = null, string? source = null, string? license = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(manifest);
        var builder = ProvenanceRecord.Create(RecordKinds.Dataset).Set("name", name).Set("manifest", manifest.Digest);
        if (version is not null)
        {
            builder.Set("version", version);
        }

        if (source is not null)
        {
            builder.Set("source", source);
        }

        if (license is not null)
        {
            builder.Set("license", license);
        }

        builder.Set("pii-scan", scan?.PiiScan ?? "not-scanned");
        if (scan is not null)
        {
            foreach (var (key, value) in Summary(scan))
            {
                builder.Set("scan-summary", $"{key}={value}");
            }
        }

        return await ledger.AppendAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
    }
}
