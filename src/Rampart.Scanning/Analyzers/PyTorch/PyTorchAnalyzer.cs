using System.Globalization;
using System.Text;
using Rampart.Core;
using Rampart.Scanning.Analyzers.Archives;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.PyTorch;

/// <summary>
/// PyTorch checkpoints: the zip layout of torch.save since 1.6 (root folder with data.pkl, data/ storages,
/// version), TorchScript archives (code/, constants.pkl, bytecode.pkl) and the legacy stacked-pickle format. The
/// zip analyzer exposes the members and the pickle analyzer judges the pickles; this analyzer recognises the
/// layout, records what it is, and reports TorchScript code and layouts a loader would resolve differently.
/// </summary>
internal sealed class PyTorchAnalyzer : IArtifactAnalyzer
{
    public const string TorchScriptCode = "RAMP-TORCH-001";
    public const string AmbiguousLayout = "RAMP-TORCH-002";

    private const int MaxListedFiles = 20;

    /// <summary>Text records (version, byteorder) longer than this are not read.</summary>
    private const int MaxRecordBytes = 64;

    /// <summary>A protocol-2 pickle of the LONG 0x1950a86a20f9469cfc6c: the first thing a legacy torch.save writes.</summary>
    private static readonly byte[] LegacyMagic = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    /// <summary>The second legacy pickle: the protocol version 1001 (BININT2 0x03e9, STOP).</summary>
    private static readonly byte[] LegacyProtocol = [0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e];

    public string Id => "pytorch";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var head = artifact.Head.Span;
        // torch.load itself decides by the first four bytes: a local zip header, else a legacy pickle.
        return (head.Length >= 4 && head.StartsWith("PK\x03\x04"u8)) || IsLegacy(head);
    }

    private static bool IsLegacy(ReadOnlySpan<byte> head) =>
        head.Length >= 15 && head[0] == 0x80 && head.Slice(2, LegacyMagic.Length).SequenceEqual(LegacyMagic) && head[14] == 0x2e;

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        if (IsLegacy(artifact.Head.Span))
        {
            result.SetFact("format", "pytorch-legacy");
            var rest = artifact.Head.Span[15..];
            result.SetFact("legacy-protocol", rest.StartsWith(LegacyProtocol) ? "1001" : "unknown");
            return result;
        }

        var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            ZipDirectory directory;
            try
            {
                directory = await ZipReader.ReadAsync(artifact, stream, context.Limits, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is MalformedContentException or LimitExceededException)
            {
                // The zip analyzer reports broken archives; without a directory there is no layout to recognise.
                result.MarkNotThisFormat();
                return result;
            }

            await DescribeAsync(artifact, directory, result, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private static async ValueTask DescribeAsync(Artifact artifact, ZipDirectory directory, AnalysisResult result, CancellationToken cancellationToken)
    {
        var entries = directory.Entries;
        var layout = entries.Select(e => (Entry: e, Parts: e.Name.Split('/'))).Where(x => x.Parts.Length >= 2).ToList();
        static bool IsRecord(string[] parts, string name) => parts.Length == 2 && parts[1] == name;
        var markers = layout.Where(x => IsRecord(x.Parts, "data.pkl") || IsRecord(x.Parts, "constants.pkl") || IsRecord(x.Parts, "version")).ToList();
        if (markers.Count == 0 || entries.Count == 0)
        {
            result.MarkNotThisFormat();
            return;
        }

        // PyTorch's reader takes the archive's folder name from the first entry and looks every record up below it.
        var root = entries[0].Name.Split('/')[0];
        var inRoot = layout.Where(x => x.Parts[0] == root).ToList();
        var code = inRoot.Where(x => x.Parts.Length > 2 && x.Parts[1] == "code" && x.Entry.Name.EndsWith(".py", StringComparison.Ordinal)).Select(x => x.Entry.Name).ToList();
        var torchScript = code.Count > 0 || inRoot.Any(x => IsRecord(x.Parts, "constants.pkl"));
        result.SetFact("format", torchScript ? "torchscript" : "pytorch-zip");
        result.SetFact("root", root);
        result.SetFact("torchscript", torchScript ? "yes" : "no");
        result.SetFact("storages", inRoot.Count(x => x.Parts.Length == 3 && x.Parts[1] == "data" && x.Parts[2].Length > 0));
        if (inRoot.Any(x => IsRecord(x.Parts, "bytecode.pkl")))
        {
            result.SetFact("mobile", "yes");
        }

        foreach (var (record, fact) in new[] { ("version", "version"), ("byteorder", "byteorder"), (".data/version", "data-version") })
        {
            if (entries.FirstOrDefault(e => e.Name == root + "/" + record) is { } entry && await ReadSmallAsync(artifact, entry, result.Context.Limits, cancellationToken).ConfigureAwait(false) is { } text)
            {
                result.SetFact(fact, text);
            }
        }

        if (code.Count > 0)
        {
            var listed = string.Join(", ", code.Take(MaxListedFiles)) + (code.Count > MaxListedFiles ? $" and {code.Count - MaxListedFiles} more" : string.Empty);
            result.Report(TorchScriptCode,
                $"the archive is a TorchScript module with {code.Count} code file(s) that run when the module is loaded and called: {listed}",
                FindingLocation.AtOffset(entries.First(e => e.Name == code[0]).HeaderOffset, $"member {code[0]}"),
                [new("files", code.Count.ToString(CultureInfo.InvariantCulture))]);
        }

        var roots = layout.Select(x => x.Parts[0]).Distinct(StringComparer.Ordinal).ToList();
        var dataPickles = entries.Where(e => e.Name == "data.pkl" || e.Name.EndsWith("/data.pkl", StringComparison.Ordinal)).Select(e => e.Name).ToList();
        if (dataPickles.Count > 1 || roots.Count > 1)
        {
            result.Report(AmbiguousLayout,
                $"the checkpoint has {dataPickles.Count} data.pkl ({string.Join(", ", dataPickles.Take(MaxListedFiles))}) under {roots.Count} top-level folder(s) ({string.Join(", ", roots.Take(MaxListedFiles))}); torch.load reads '{root}/data.pkl' (the first entry's folder) while other tools may read another",
                FindingLocation.None, [new("root", root)]);
        }
    }

    /// <summary>
    /// A short text record (version, byteorder), read the way PyTorch's reader reads it: through the shared bounded
    /// member path, whatever the compression method and whether or not the encryption flag is set (it ignores it).
    /// </summary>
    private static async ValueTask<string?> ReadSmallAsync(Artifact artifact, ZipEntry entry, ScanLimits limits, CancellationToken cancellationToken)
    {
        if (!entry.HasLocalHeader || !ZipMemberReader.CanDecode(entry.Method) || entry.UncompressedSize is < 0 or > MaxRecordBytes || entry.DataEnd > artifact.Length)
        {
            return null;
        }

        byte[] bytes;
        try
        {
            (bytes, _) = await ZipMemberReader.ReadAsync(artifact, entry, limits, MaxRecordBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or MalformedContentException or LimitExceededException)
        {
            return null; // The zip analyzer reports the member it cannot decode.
        }

        var text = Encoding.ASCII.GetString(bytes).Trim();
        return text.All(c => c is >= ' ' and <= '~') ? text : null;
    }
}
