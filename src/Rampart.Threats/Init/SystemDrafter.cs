using System.Globalization;
using System.Text;
using Rampart.Gateway.Config;
using Rampart.Scanning;
using Rampart.Scanning.Engine;

namespace Rampart.Threats.Init;

/// <summary>What `rampart threats init` found in a repository, before it is written as YAML.</summary>
public sealed record RepositoryFindings(
    IReadOnlyList<(string Folder, IReadOnlyList<string> Formats, bool Signed)> ModelFolders,
    IReadOnlyList<string> Manifests,
    IReadOnlyList<string> Notebooks,
    IReadOnlyList<string> ServingCode,
    IReadOnlyList<string> LlmCode,
    bool LlmTools,
    bool LlmRetrieval,
    IReadOnlyList<string> DataFolders,
    string? Gateway,
    bool GatewayHasPublicRoute);

/// <summary>
/// Drafts a system.yaml from what a repository holds: model files (recognised by the scanner's analyzers from their
/// content, not their names), Python manifests, notebooks, serving and LLM application code (by the frameworks they
/// import), datasets and a gateway.yaml. The draft parses, and marks with TODO what only people can say.
/// </summary>
public static class SystemDrafter
{
    /// <summary>Stop after this many files: a draft needs the shape of a repository, not every file of a huge one.</summary>
    public const int MaxFiles = 20_000;

    private const long MaxSourceBytes = 256 * 1024;

    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal) { ".git", "node_modules", ".venv", "venv", "__pycache__", "bin", "obj", ".mypy_cache", ".tox" };

    private static readonly HashSet<string> ModelFormats = new(StringComparer.Ordinal) { "pickle", "pytorch", "onnx", "savedmodel", "tflite", "safetensors", "gguf", "keras", "hdf5", "torchscript" };

    private static readonly string[] ManifestNames = ["requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock", "environment.yml"];

    private static readonly string[] DataExtensions = [".csv", ".parquet", ".jsonl", ".tsv", ".arrow", ".feather"];

    public static async Task<RepositoryFindings> ExploreAsync(string root, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        var analyzers = AnalyzerRegistry.CreateAll().Where(a => ModelFormats.Contains(a.Id)).ToList();
        var models = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var manifests = new List<string>();
        var notebooks = new List<string>();
        var serving = new List<string>();
        var llm = new List<string>();
        var data = new SortedSet<string>(StringComparer.Ordinal);
        var tools = false;
        var retrieval = false;
        string? gateway = null;
        var publicRoute = false;
        var count = 0;
        foreach (var file in Files(root))
        {
            if (++count > MaxFiles)
            {
                break;
            }

            var rel = Path.GetRelativePath(root, file).Replace('\\', '/');
            var name = Path.GetFileName(file);
            var folder = Path.GetDirectoryName(rel) is { Length: > 0 } d ? d.Replace('\\', '/') : ".";
            if (ManifestNames.Contains(name, StringComparer.Ordinal) || (name.StartsWith("requirements", StringComparison.Ordinal) && name.EndsWith(".txt", StringComparison.Ordinal)))
            {
                manifests.Add(rel);
                continue;
            }

            if (name.EndsWith(".ipynb", StringComparison.Ordinal))
            {
                notebooks.Add(rel);
                continue;
            }

            if (DataExtensions.Contains(Path.GetExtension(name), StringComparer.OrdinalIgnoreCase))
            {
                data.Add(folder);
                continue;
            }

            if (name is "gateway.yaml" or "gateway.yml")
            {
                gateway = rel;
                try
                {
                    publicRoute = GatewayConfigParser.Load(file).Routes.Any(r => r.Public);
                }
                catch (InvalidDataException)
                {
                    // A gateway.yaml that does not parse is still named as evidence; the report will say why it fails.
                }

                continue;
            }

            if (name.EndsWith(".py", StringComparison.Ordinal))
            {
                var text = ReadHead(file);
                if (IsServing(text))
                {
                    serving.Add(rel);
                }

                if (IsLlm(text))
                {
                    llm.Add(rel);
                    tools |= text.Contains("@tool", StringComparison.Ordinal) || text.Contains("tools=", StringComparison.Ordinal) || text.Contains("Tool(", StringComparison.Ordinal);
                    retrieval |= text.Contains("retriever", StringComparison.OrdinalIgnoreCase) || text.Contains("VectorStore", StringComparison.Ordinal) || text.Contains("faiss", StringComparison.Ordinal) || text.Contains("chroma", StringComparison.OrdinalIgnoreCase);
                }

                continue;
            }

            var artifact = await ArtifactFactory.FromFileAsync(file, rel, cancellationToken).ConfigureAwait(false);
            var formats = analyzers.Where(a => a.CanAnalyze(artifact)).Select(a => a.Id).ToList();
            if (formats.Count > 0)
            {
                if (!models.TryGetValue(folder, out var set))
                {
                    models[folder] = set = new SortedSet<string>(StringComparer.Ordinal);
                }

                set.UnionWith(formats);
            }
        }

        return new RepositoryFindings(
            [.. models.Select(m => (m.Key, (IReadOnlyList<string>)[.. m.Value], File.Exists(Path.Combine(root, m.Key, "model.sig"))))],
            manifests, notebooks, serving, llm, tools, retrieval, [.. data], gateway, publicRoute);
    }

    public static string Draft(string systemName, RepositoryFindings found, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(found);
        var y = new StringBuilder();
        void L(string line) => y.Append(line).Append('\n');
        string Q(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
        L("# Drafted by `rampart threats init`: check every line, fill in the TODOs, then run `rampart threats report`.");
        L("# Reference: docs/threats.md");
        L($"system: {Q(systemName)}");
        L("description: TODO what the system does and for whom");
        L("review:");
        L(string.Create(CultureInfo.InvariantCulture, $"  date: {today:yyyy-MM-dd}"));
        L("  security: TODO-security-owner");
        L("  dataScience: TODO-data-science-owner");
        L("boundaries:");
        L("  - { id: internet, name: Internet }");
        L("  - { id: ml-platform, name: ML platform }");
        L("components:");
        var flows = new List<(string From, string To)>();
        var dataIds = new List<string>();
        var i = 0;
        foreach (var folder in found.DataFolders)
        {
            var id = $"data-{++i}";
            dataIds.Add(id);
            L($"  - id: {id}");
            L("    kind: data-source");
            L($"    name: {Q("Data in " + folder)}");
            L("    boundary: ml-platform");
            L("    dataClasses: [internal]   # TODO: personal? confidential?");
            L($"    evidence: {{ dataset: {Q(folder)} }}");
        }

        var training = found.Manifests.Count > 0 || found.Notebooks.Count > 0 || found.ModelFolders.Count > 0;
        if (found.Notebooks.Count > 0)
        {
            L("  - id: notebooks");
            L("    kind: notebook");
            L(string.Create(CultureInfo.InvariantCulture, $"    name: {Q($"Notebooks ({found.Notebooks.Count}: {string.Join(", ", found.Notebooks.Take(3))})")}"));
            L("    boundary: ml-platform");
            flows.AddRange(dataIds.Select(d => (d, "notebooks")));
        }

        if (training)
        {
            L("  - id: training");
            L("    kind: training-pipeline");
            L($"    name: {Q(found.Manifests.Count > 0 ? $"Training ({string.Join(", ", found.Manifests.Take(3))})" : "Training")}");
            L("    boundary: ml-platform");
            if (found.Manifests.Count > 0)
            {
                L("    # evidence: { audit: audit.json }   # rampart audit --format json > audit.json");
            }

            flows.AddRange(dataIds.Select(d => (d, "training")));
        }

        var modelIds = new List<string>();
        i = 0;
        foreach (var (folder, formats, signed) in found.ModelFolders)
        {
            var id = $"model-{++i}";
            modelIds.Add(id);
            var llm = formats.Contains("gguf") || (formats.Contains("safetensors") && found.LlmCode.Count > 0);
            L($"  - id: {id}");
            L("    kind: model-artifact");
            L($"    name: {Q($"Model in {folder} ({string.Join(", ", formats)})")}");
            L("    boundary: ml-platform");
            L($"    modelType: [{(llm ? "llm" : "classic")}]   # TODO: add third-party if it is (or was fine-tuned from) a downloaded checkpoint");
            L($"    evidence: {{ model: {Q(folder)} }}{(signed ? "   # TODO: add publicKey: to check who signed it" : "   # TODO: sign it (rampart sign) and add publicKey:")}");
            if (training)
            {
                flows.Add(("training", id));
            }
        }

        var front = new List<string>();
        if (found.ServingCode.Count > 0)
        {
            front.Add("api");
            L("  - id: api");
            L("    kind: serving-endpoint");
            L($"    name: {Q($"Serving ({string.Join(", ", found.ServingCode.Take(3))})")}");
            L("    boundary: ml-platform");
            L($"    exposure: {(found.Gateway is not null ? "public" : "internal")}   # TODO: internal, partner or public?");
            L("    modelType: [classic]   # TODO");
            L("    dataClasses: [internal]   # TODO: the data it was trained on");
            if (found.Gateway is { } g)
            {
                L($"    evidence: {{ gateway: {Q(g)} }}");
            }

            flows.AddRange(modelIds.Select(m => (m, "api")));
        }

        if (found.LlmCode.Count > 0)
        {
            front.Add("assistant");
            L("  - id: assistant");
            L("    kind: llm-app");
            L($"    name: {Q($"LLM application ({string.Join(", ", found.LlmCode.Take(3))})")}");
            L("    boundary: ml-platform");
            L($"    exposure: {(found.Gateway is not null ? "public" : "internal")}   # TODO");
            if (found.LlmTools)
            {
                L("    tools: [TODO-tool-names]");
            }

            if (found.LlmRetrieval)
            {
                L("    retrieval: true");
            }

            if (found.Gateway is { } g)
            {
                L($"    evidence: {{ gateway: {Q(g)} }}");
            }

            if (!found.ServingCode.Any())
            {
                flows.AddRange(modelIds.Select(m => (m, "assistant")));
            }
        }

        if (front.Count > 0)
        {
            L("  - id: users");
            L("    kind: actor");
            L("    name: Users");
            L("    boundary: internet");
            L($"    exposure: {(found.GatewayHasPublicRoute || found.Gateway is not null ? "public" : "internal")}");
            flows.AddRange(front.Select(f => ("users", f)));
        }

        if (i == 0 && !training && front.Count == 0 && dataIds.Count == 0)
        {
            L("  - id: TODO-component");
            L("    kind: model-artifact   # nothing recognisable was found: describe the system by hand");
        }

        if (flows.Count > 0)
        {
            L("flows:");
            foreach (var (from, to) in flows.Distinct())
            {
                L($"  - {{ from: {from}, to: {to} }}");
            }
        }

        return y.ToString();
    }

    private static bool IsServing(string text) =>
        text.Contains("FastAPI(", StringComparison.Ordinal) || text.Contains("Flask(", StringComparison.Ordinal) || text.Contains("import bentoml", StringComparison.Ordinal)
        || text.Contains("mlflow.pyfunc", StringComparison.Ordinal) || text.Contains("@app.route", StringComparison.Ordinal) || text.Contains("@app.post", StringComparison.Ordinal);

    private static bool IsLlm(string text) =>
        text.Contains("langchain", StringComparison.Ordinal) || text.Contains("llama_index", StringComparison.Ordinal) || text.Contains("import openai", StringComparison.Ordinal)
        || text.Contains("from openai", StringComparison.Ordinal) || text.Contains("import anthropic", StringComparison.Ordinal) || text.Contains("ChatCompletion", StringComparison.Ordinal);

    private static string ReadHead(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var buffer = new byte[(int)Math.Min(stream.Length, MaxSourceBytes)];
            stream.ReadExactly(buffer);
            return Encoding.UTF8.GetString(buffer);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static IEnumerable<string> Files(string root)
    {
        var pending = new Stack<string>([root]);
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            string[] files, folders;
            try
            {
                files = Directory.GetFiles(folder);
                folders = Directory.GetDirectories(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var f in files.Order(StringComparer.Ordinal))
            {
                if (new FileInfo(f).LinkTarget is null)
                {
                    yield return f;
                }
            }

            foreach (var d in folders.OrderDescending(StringComparer.Ordinal).Where(d => !SkippedFolders.Contains(Path.GetFileName(d)) && new DirectoryInfo(d).LinkTarget is null))
            {
                pending.Push(d);
            }
        }
    }
}
