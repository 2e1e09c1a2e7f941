using System.Buffers.Binary;
using System.Text.Json;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.HuggingFace;

/// <summary>
/// A model repository as downloaded from the Hugging Face Hub (or any hub with the same layout): reads config.json
/// and the other *_config.json files for auto_map (custom code that transformers only runs with
/// trust_remote_code=True) and names each Python file it points to, notes Git LFS patterns and pointers left
/// unresolved, and sniffs the weight files to find pickle-based weights lying beside safetensors ones. The Python
/// files themselves are judged by the Python-source analyzer; this analyzer only says which ones a loader runs.
/// </summary>
internal sealed class HuggingFaceFolderAnalyzer : IFolderAnalyzer
{
    public const string RemoteCode = "RAMP-HF-001";
    public const string CodeFromOtherRepository = "RAMP-HF-002";
    public const string MixedWeights = "RAMP-HF-003";

    /// <summary>Configuration files larger than this are not read (real ones are a few KiB).</summary>
    public const int MaxConfigBytes = 4 * 1024 * 1024;

    /// <summary>Weight files sniffed per folder for the mixed-format check.</summary>
    public const int MaxSniffedFiles = 1000;

    /// <summary>The files transformers reads auto_map from (model, tokenizer, processor, feature extractor).</summary>
    private static readonly string[] ConfigFiles =
        ["config.json", "tokenizer_config.json", "processor_config.json", "preprocessor_config.json", "feature_extractor_config.json", "image_processor_config.json", "generation_config.json"];

    private static readonly string[] PickleWeightExtensions = [".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib"];

    public string Id => "huggingface";

    public bool CanAnalyze(FolderView folder, AnalysisContext context)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return folder.Files.Any(f => f.Name is "config.json" or "tokenizer_config.json" or ".gitattributes"
            || f.Name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase));
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(FolderView folder, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, folder, context);
        var recognised = false;
        foreach (var name in ConfigFiles)
        {
            if (folder.Find(name) is null)
            {
                continue;
            }

            var bytes = await folder.ReadAllBytesAsync(name, MaxConfigBytes, cancellationToken).ConfigureAwait(false);
            recognised |= ReadConfig(folder, name, bytes, result);
        }

        if (folder.Find(".gitattributes") is not null)
        {
            var text = System.Text.Encoding.UTF8.GetString(await folder.ReadAllBytesAsync(".gitattributes", MaxConfigBytes, cancellationToken).ConfigureAwait(false));
            var patterns = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#') && l.Contains("filter=lfs", StringComparison.Ordinal))
                .Select(l => l.Split(' ', '\t')[0]).ToList();
            if (patterns.Count > 0)
            {
                recognised = true;
                result.SetFact("lfs_patterns", string.Join(" ", patterns.Take(50)));
            }
        }

        recognised |= await CheckWeightsAsync(folder, result, cancellationToken).ConfigureAwait(false);
        if (!recognised)
        {
            result.MarkNotThisFormat();
        }

        return result;
    }

    /// <summary>Reads one configuration file: facts and auto_map. True when it looks like a hub model's configuration.</summary>
    private static bool ReadConfig(FolderView folder, string name, byte[] bytes, AnalysisResult result)
    {
        JsonDocument document;
        try
        {
            if (!System.Text.Unicode.Utf8.IsValid(bytes))
            {
                throw new JsonException("the file is not valid UTF-8 text");
            }

            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            if (name == "config.json")
            {
                return false; // Not necessarily a hub repository; other analyzers may own this file.
            }

            result.Inconclusive($"{name} is not well-formed JSON: {e.Message}", new FindingLocation(Detail: name));
            return true;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var recognised = false;
            if (name == "config.json")
            {
                foreach (var key in new[] { "model_type", "torch_dtype", "transformers_version" })
                {
                    if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String)
                    {
                        result.SetFact(key, v.GetString()!);
                        recognised = true;
                    }
                }

                if (root.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array)
                {
                    result.SetFact("architectures", string.Join(", ", a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString())));
                    recognised = true;
                }
            }
            else
            {
                recognised = true;
            }

            if (root.TryGetProperty("auto_map", out var autoMap) && autoMap.ValueKind == JsonValueKind.Object)
            {
                ReportAutoMap(folder, name, autoMap, result);
                recognised = true;
            }

            return recognised;
        }
    }

    private static void ReportAutoMap(FolderView folder, string configName, JsonElement autoMap, AnalysisResult result)
    {
        // file -> (auto classes using it, referencing repository or null)
        var files = new SortedDictionary<string, (SortedSet<string> Keys, string? Repository)>(StringComparer.Ordinal);
        foreach (var entry in autoMap.EnumerateObject())
        {
            var references = entry.Value.ValueKind switch
            {
                JsonValueKind.String => [entry.Value.GetString()!],
                JsonValueKind.Array => entry.Value.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList(),
                _ => new List<string>(),
            };
            foreach (var reference in references)
            {
                string? repository = null;
                var local = reference;
                var separator = reference.IndexOf("--", StringComparison.Ordinal);
                if (separator >= 0)
                {
                    repository = reference[..separator];
                    local = reference[(separator + 2)..];
                }

                var dot = local.LastIndexOf('.');
                var module = dot > 0 ? local[..dot] : local;
                var file = module.Replace('.', '/') + ".py";
                var key = repository is null ? file : $"{repository}:{file}";
                if (!files.TryGetValue(key, out var info))
                {
                    info = (new SortedSet<string>(StringComparer.Ordinal), repository);
                    files[key] = info;
                }

                info.Keys.Add(entry.Name);
            }
        }

        var dir = Path.GetDirectoryName(configName)?.Replace('\\', '/');
        var prefix = string.IsNullOrEmpty(dir) ? string.Empty : dir + "/";
        var localFiles = files.Where(f => f.Value.Repository is null).Select(f => f.Key).ToList();
        result.SetFact("auto_map", string.Join(", ", files.Keys));
        foreach (var (key, (keys, repository)) in files)
        {
            if (repository is not null)
            {
                result.Report(CodeFromOtherRepository,
                    $"{configName} auto_map ({string.Join(", ", keys)}) loads {key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..]} from another repository, '{repository}': with trust_remote_code=True transformers downloads and runs code Rampart has not seen",
                    new FindingLocation(Detail: configName), [new("name", key), new("repository", repository)]);
                continue;
            }

            var present = folder.Find(prefix + key) is not null;
            result.Report(RemoteCode,
                $"{configName} auto_map ({string.Join(", ", keys)}) needs custom code from {key}, " +
                (present ? "which is in the folder (review it; the Python-source analyzer scans it)" : "which is NOT in the folder (a loader would fetch it from the hub)") +
                "; transformers runs it only with trust_remote_code=True",
                new FindingLocation(Detail: configName), [new("name", key), new("present", present ? "yes" : "no")]);
        }

        if (localFiles.Count > 0)
        {
            result.SetFact("remote_code_files", string.Join(", ", localFiles));
        }
    }

    /// <summary>Sniffs the weight files: safetensors by its header, pickle-based ones by their first bytes. True if any weights were seen.</summary>
    private static async ValueTask<bool> CheckWeightsAsync(FolderView folder, AnalysisResult result, CancellationToken cancellationToken)
    {
        var safetensors = new List<string>();
        var pickles = new List<string>();
        var lfs = new List<string>();
        var head = new byte[48];
        foreach (var file in folder.Files.Take(MaxSniffedFiles))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var safeName = file.Name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
            var pickleName = PickleWeightExtensions.Any(e => file.Name.EndsWith(e, StringComparison.OrdinalIgnoreCase));
            if (!safeName && !pickleName)
            {
                continue;
            }

            int read;
            var stream = folder.OpenRead(file.RelativePath);
            await using (stream.ConfigureAwait(false))
            {
                read = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            }

            var bytes = head.AsSpan(0, read);
            if (bytes.StartsWith("version https://git-lfs.github.com/spec/"u8))
            {
                lfs.Add(file.RelativePath);
            }
            else if (IsSafetensors(bytes, file.Length))
            {
                safetensors.Add(file.RelativePath);
            }
            else if (pickleName && IsPickleBased(bytes))
            {
                pickles.Add(file.RelativePath);
            }
        }

        if (lfs.Count > 0)
        {
            result.SetFact("unresolved_lfs", string.Join(", ", lfs.Take(20)));
        }

        if (safetensors.Count > 0 && pickles.Count > 0)
        {
            result.Report(MixedWeights,
                $"the folder holds safetensors weights ({string.Join(", ", safetensors.Take(5))}) and pickle-based weights beside them ({string.Join(", ", pickles.Take(10))}); a loader that prefers or falls back to the pickle runs whatever it contains",
                new FindingLocation(Detail: pickles[0]), [new("name", pickles[0]), new("files", string.Join(",", pickles.Take(20)))]);
        }

        return safetensors.Count + pickles.Count + lfs.Count > 0;
    }

    /// <summary>A u64 little-endian header length that fits the file, followed by a JSON object.</summary>
    internal static bool IsSafetensors(ReadOnlySpan<byte> head, long length) =>
        head.Length >= 9 && BinaryPrimitives.ReadUInt64LittleEndian(head) is var n && n >= 2 && (long)Math.Min(n, long.MaxValue) <= length - 8 && head[8] == (byte)'{';

    /// <summary>A pickle (protocol 2 to 5 PROTO opcode) or a zip (torch.save's container for its pickle).</summary>
    internal static bool IsPickleBased(ReadOnlySpan<byte> head) =>
        (head.Length >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5) || head.StartsWith("PK\x03\x04"u8);
}
