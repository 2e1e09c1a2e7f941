using System.Collections.Immutable;
using System.Diagnostics;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Core.Rules;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Engine;

/// <summary>
/// Runs a scan: walks the targets, dispatches every artifact to the analyzers that recognise its content, feeds the
/// artifacts they find inside back through the same dispatch within the policy's limits, applies the policy and
/// assembles the report. One instance can run many scans concurrently.
/// </summary>
public sealed class Scanner
{
    private readonly ImmutableArray<IArtifactAnalyzer> _analyzers;
    private readonly TimeProvider _time;

    public Scanner(IEnumerable<IArtifactAnalyzer> analyzers, RuleCatalog rules, ToolInfo tool, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(analyzers);
        _analyzers = [.. analyzers];
        Rules = rules;
        Tool = tool;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The scanner with every built-in analyzer and rule.</summary>
    public static Scanner CreateDefault(TimeProvider? time = null) =>
        new(AnalyzerRegistry.CreateAll(), AnalyzerRegistry.Rules, RampartTool.Info, time)
        {
            FolderAnalyzers = AnalyzerRegistry.CreateFolderAnalyzers(),
        };

    public RuleCatalog Rules { get; }

    public ToolInfo Tool { get; }

    public IReadOnlyList<IArtifactAnalyzer> Analyzers => _analyzers;

    /// <summary>
    /// Whether a file named like a model that no analyzer understands is Inconclusive (RAMP-GEN-003). True for
    /// `rampart scan`; false for scanners that look at one concern only (`rampart audit`: dependencies).
    /// </summary>
    public bool JudgesModelFiles { get; init; } = true;

    /// <summary>The listing calls of the walk (tests replace it to reproduce file-system races deterministically).</summary>
    internal WalkFileSystem FileSystem { get; init; } = WalkFileSystem.Real;

    /// <summary>Analyzers that judge each folder visited as a whole (none unless set).</summary>
    public IReadOnlyList<IFolderAnalyzer> FolderAnalyzers { get; init; } = [];

    /// <summary>
    /// Scans files and folders, relative targets being relative to the process's working folder. Throws
    /// <see cref="ScanTargetException"/> for a path that does not exist.
    /// </summary>
    public Task<ScanReport> ScanAsync(IReadOnlyList<string> targets, ScanPolicy policy, IProgress<ScanProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ScanAsync(targets, Directory.GetCurrentDirectory(), policy, progress, cancellationToken);

    /// <summary>
    /// Scans files and folders, relative targets being relative to <paramref name="baseDirectory"/> (a command line's
    /// working folder); reports name them as given. Throws <see cref="ScanTargetException"/> for a path that does not exist.
    /// </summary>
    public async Task<ScanReport> ScanAsync(IReadOnlyList<string> targets, string baseDirectory, ScanPolicy policy, IProgress<ScanProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentException.ThrowIfNullOrEmpty(baseDirectory);
        ArgumentNullException.ThrowIfNull(policy);
        var started = _time.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        var walk = ArtifactWalker.ExpandTree(targets, FolderAnalyzers.Count > 0, FileSystem, baseDirectory);
        var files = walk.Files;
        var totalBytes = files.Sum(f => f.Length);
        var context = new AnalysisContext(Rules, policy);

        var results = new FileResult[files.Count];
        var done = 0;
        long bytesDone = 0;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, files.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                results[i] = await ScanFileAsync(files[i], context, ct).ConfigureAwait(false);
                var n = Interlocked.Increment(ref done);
                var b = Interlocked.Add(ref bytesDone, files[i].Length);
                progress?.Report(new ScanProgress(n, files.Count, b, totalBytes, files[i].DisplayPath));
            }).ConfigureAwait(false);

        var folderNodes = new Node?[walk.Folders.Count];
        if (FolderAnalyzers.Count > 0)
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, walk.Folders.Count),
                new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
                async (i, ct) => folderNodes[i] = await AnalyzeFolderAsync(walk.Folders[i], context, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }

        var nodes = results.SelectMany(r => r.Nodes).ToList();
        ApplyCompanions(nodes);

        // A file named on the command line and judged as a one-file view reports on the file's own node.
        Dictionary<string, Node>? topLevel = null;
        for (var i = 0; i < folderNodes.Length; i++)
        {
            if (folderNodes[i] is not { } folderNode)
            {
                continue;
            }

            topLevel ??= nodes.Where(n => n.Parent is null).GroupBy(n => n.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            if (walk.Folders[i].IsSingleFile && topLevel.TryGetValue(folderNode.Path, out var fileNode))
            {
                fileNode.Formats.AddRange(folderNode.Formats);
                fileNode.Findings.AddRange(folderNode.Findings);
                foreach (var (key, value) in folderNode.Facts)
                {
                    fileNode.Facts[key] = value;
                }

                fileNode.SkipReason = null;
            }
            else
            {
                nodes.Add(folderNode);
            }
        }

        return BuildReport(nodes, targets, policy, started, stopwatch);
    }

    /// <summary>Scans a single in-memory artifact (used by tests, fuzzing and benchmarks).</summary>
    public async Task<ScanReport> ScanArtifactAsync(Artifact artifact, ScanPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(policy);
        var started = _time.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        var context = new AnalysisContext(Rules, policy);
        var result = await ScanTreeAsync(artifact, context, cancellationToken).ConfigureAwait(false);
        return BuildReport(result.Nodes, [artifact.Path], policy, started, stopwatch);
    }

    /// <summary>Applies the policy's suppressions, folds verdicts upwards and assembles the report.</summary>
    private ScanReport BuildReport(List<Node> nodes, IReadOnlyList<string> targets, ScanPolicy policy, DateTimeOffset started, Stopwatch stopwatch)
    {
        var outcome = PolicyEvaluator.Apply(nodes.SelectMany(n => n.Findings), policy, DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime));
        var artifacts = ComputeVerdicts(nodes, outcome.Kept);
        stopwatch.Stop();
        return new ScanReport(Tool, started, stopwatch.Elapsed, [.. targets], policy.FailOn, artifacts,
            outcome.Kept, outcome.Suppressed, outcome.Warnings, Rules);
    }

    private async Task<FileResult> ScanFileAsync(WalkedFile file, AnalysisContext context, CancellationToken cancellationToken)
    {
        if (file.Problem is { } problem)
        {
            var node = new Node(file.DisplayPath, null, null);
            node.Findings.Add(EngineFinding(RuleIds.Unreadable, file.DisplayPath, $"'{file.DisplayPath}': {problem}"));
            return new FileResult([node]);
        }

        if (file.Kind != FileKindValue.Regular)
        {
            var node = new Node(file.DisplayPath, null, null);
            node.Findings.Add(EngineFinding(RuleIds.Unreadable, file.DisplayPath,
                $"'{file.DisplayPath}' is a {file.Kind} rather than a regular file; it was not read"));
            return new FileResult([node]);
        }

        if (file.SameBlobAs is { } first)
        {
            // One blob of the Hugging Face cache reached by several snapshots: scanned once, under the first name.
            var node = new Node(file.DisplayPath, null, file.Length) { SameBlobAs = first };
            node.Facts["cache.same_blob_as"] = first;
            return new FileResult([node]);
        }

        if (file.Length > context.Limits.MaxFileBytes)
        {
            var node = new Node(file.DisplayPath, null, file.Length);
            node.Findings.Add(EngineFinding(RuleIds.LimitReached, file.DisplayPath,
                $"limit 'max-file-bytes' reached: the file has {file.Length:N0} bytes, more than {context.Limits.MaxFileBytes:N0}; it was not analysed"));
            return new FileResult([node]);
        }

        Artifact artifact;
        try
        {
            artifact = await ArtifactFactory.FromFileAsync(file.FullPath, file.DisplayPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var node = new Node(file.DisplayPath, null, file.Length);
            node.Findings.Add(EngineFinding(RuleIds.Unreadable, file.DisplayPath, $"the file could not be read ({AnalyzerFailures.Describe(e)}); it was not analysed"));
            return new FileResult([node]);
        }

        return await ScanTreeAsync(artifact, context, cancellationToken).ConfigureAwait(false);
    }

    private async Task<FileResult> ScanTreeAsync(Artifact root, AnalysisContext context, CancellationToken cancellationToken)
    {
        var nodes = new List<Node>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(context.Limits.TimePerFile);
        var queue = new Queue<Artifact>();
        queue.Enqueue(root);
        var rootNode = default(Node);
        while (queue.Count > 0)
        {
            var artifact = queue.Dequeue();
            var node = new Node(artifact.Path, artifact.Parent, artifact.Length);
            rootNode ??= node;
            nodes.Add(node);
            if (timeout.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await AnalyzeAsync(artifact, node, context, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }

            foreach (var child in node.Children)
            {
                if (child.Depth > context.Limits.MaxDepth)
                {
                    node.Findings.Add(EngineFinding(RuleIds.LimitReached, artifact.Path,
                        $"limit 'max-depth' reached: {child.Path} is nested {child.Depth} levels deep; it was not analysed"));
                }
                else if (nodes.Count + queue.Count >= context.Limits.MaxArtifactsPerFile)
                {
                    node.Findings.Add(EngineFinding(RuleIds.LimitReached, artifact.Path,
                        $"limit 'max-artifacts-per-file' reached at {child.Path}; the rest was not analysed"));
                    break;
                }
                else
                {
                    queue.Enqueue(child);
                }
            }
        }

        if (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            rootNode!.Findings.Add(EngineFinding(RuleIds.LimitReached, root.Path,
                $"limit 'time-per-file' reached after {context.Limits.TimePerFile.TotalSeconds:0.#} s; the rest was not analysed"));
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new FileResult(nodes);
    }

    /// <summary>
    /// A file that another file reads as raw data (see <see cref="AnalysisResult.ClaimCompanionFile"/>) and that no
    /// analyzer recognised is that data, not an unrecognised model file: its RAMP-GEN-003 is dropped and the reason
    /// is recorded. Anything an analyzer did recognise in it is kept and judged as usual.
    /// </summary>
    private static void ApplyCompanions(List<Node> nodes)
    {
        var claims = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            foreach (var (path, role) in node.Companions)
            {
                claims.TryAdd(path, role);
            }
        }

        if (claims.Count == 0)
        {
            return;
        }

        foreach (var node in nodes)
        {
            if (node.Parent is null && node.Formats.Count == 0 && claims.TryGetValue(node.Path, out var role))
            {
                node.Findings.RemoveAll(f => f.RuleId == RuleIds.UnrecognizedModelFile);
                node.SkipReason = role;
            }
        }
    }

    /// <summary>Runs the folder analyzers that recognise <paramref name="folder"/>; null when none does.</summary>
    private async Task<Node?> AnalyzeFolderAsync(FolderView folder, AnalysisContext context, CancellationToken cancellationToken)
    {
        Node? node = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(context.Limits.TimePerFile);
        foreach (var analyzer in FolderAnalyzers)
        {
            if ((folder.IsSingleFile && !analyzer.AcceptsSingleFileTargets) || !analyzer.CanAnalyze(folder, context))
            {
                continue;
            }

            AnalysisResult result;
            try
            {
                result = await analyzer.AnalyzeAsync(folder, context, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                result = new AnalysisResult(analyzer.Id, folder, context);
                result.LimitReached("time-per-file", $"the {analyzer.Id} folder analysis took longer than {context.Limits.TimePerFile.TotalSeconds:0.#} s");
            }
            catch (Exception e) when (AnalyzerFailures.IsJudged(e))
            {
                result = new AnalysisResult(analyzer.Id, folder, context);
                AnalyzerFailures.Judge(e, result);
            }

            if (result.NotThisFormat)
            {
                continue;
            }

            node ??= new Node(folder.DisplayPath, null, null);
            node.Formats.Add(analyzer.Id);
            node.Findings.AddRange(result.Findings);
            foreach (var (key, value) in result.Facts)
            {
                node.Facts[$"{analyzer.Id}.{key}"] = value;
            }
        }

        return node;
    }

    private async Task AnalyzeAsync(Artifact artifact, Node node, AnalysisContext context, CancellationToken cancellationToken)
    {
        var understood = false;
        foreach (var analyzer in _analyzers)
        {
            AnalysisResult result;
            try
            {
                // The content sniff runs untrusted bytes too: a failure there is reported like one in AnalyzeAsync.
                if (!analyzer.CanAnalyze(artifact))
                {
                    continue;
                }

                result = await analyzer.AnalyzeAsync(artifact, context, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (AnalyzerFailures.IsJudged(e))
            {
                result = new AnalysisResult(analyzer.Id, artifact, context);
                AnalyzerFailures.Judge(e, result);
            }

            if (result.NotThisFormat)
            {
                continue;
            }

            understood = true;
            node.Formats.Add(analyzer.Id);
            node.Findings.AddRange(result.Findings);
            node.Children.AddRange(result.Children);
            foreach (var (path, role) in result.Companions)
            {
                node.Companions[path] = $"{role} of {artifact.Path}";
            }

            foreach (var (key, value) in result.Facts)
            {
                node.Facts[$"{analyzer.Id}.{key}"] = value;
            }
        }

        if (!understood)
        {
            if (JudgesModelFiles && ModelFileNames.LooksLikeModel(artifact.Name))
            {
                node.Findings.Add(EngineFinding(RuleIds.UnrecognizedModelFile, artifact.Path,
                    $"'{artifact.Name}' is named like a model file but its content matches no format Rampart can analyse"));
            }
            else
            {
                node.SkipReason = "not a model or serialized-object format Rampart analyses";
            }
        }
    }

    private Finding EngineFinding(string ruleId, string path, string message)
    {
        var rule = Rules[ruleId];
        return new Finding(ruleId, rule.Severity, rule.Verdict, message, path, FindingLocation.None);
    }

    private static ImmutableArray<ArtifactReport> ComputeVerdicts(List<Node> nodes, ImmutableArray<Finding> kept)
    {
        var own = new Dictionary<string, Verdict>(StringComparer.Ordinal);
        foreach (var finding in kept)
        {
            own[finding.ArtifactPath] = own.GetValueOrDefault(finding.ArtifactPath).Worst(finding.Verdict);
        }

        var verdicts = new Dictionary<string, Verdict>(StringComparer.Ordinal);
        var byPath = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            verdicts[node.Path] = own.GetValueOrDefault(node.Path);
            byPath.TryAdd(node.Path, node);
        }

        // Children come after their parents in breadth-first order: fold verdicts upwards from the end.
        for (var i = nodes.Count - 1; i >= 0; i--)
        {
            var node = nodes[i];
            if (node.Parent is not null && verdicts.TryGetValue(node.Parent, out var parentVerdict))
            {
                verdicts[node.Parent] = parentVerdict.Worst(verdicts[node.Path]);
            }
        }

        // A cache blob's other names take the verdict and formats of the name it was scanned under.
        foreach (var node in nodes)
        {
            if (node.SameBlobAs is { } first && byPath.TryGetValue(first, out var scanned))
            {
                verdicts[node.Path] = verdicts[first];
                node.Formats.AddRange(scanned.Formats);
                node.SkipReason ??= scanned.SkipReason;
            }
        }

        return [.. nodes.Select(n => new ArtifactReport(
            n.Path,
            n.Parent,
            [.. n.Formats],
            n.Length,
            n.Formats.Count == 0 && n.SkipReason is not null && verdicts[n.Path] == Verdict.Clean ? ArtifactStatus.Skipped : ArtifactStatus.Scanned,
            verdicts[n.Path],
            n.SkipReason,
            n.Facts.ToImmutableSortedDictionary(StringComparer.Ordinal)))];
    }

    private sealed record FileResult(List<Node> Nodes);

    private sealed class Node(string path, string? parent, long? length)
    {
        public string Path { get; } = path;

        public string? Parent { get; } = parent;

        public long? Length { get; } = length;

        public List<string> Formats { get; } = [];

        public List<Finding> Findings { get; } = [];

        public List<Artifact> Children { get; } = [];

        public Dictionary<string, string> Facts { get; } = new(StringComparer.Ordinal);

        /// <summary>Files beside this one that it reads as raw data: logical path → "role of this path".</summary>
        public Dictionary<string, string> Companions { get; } = new(StringComparer.Ordinal);

        public string? SkipReason { get; set; }

        /// <summary>The display path of the file that holds this one's scan (a shared Hugging Face cache blob).</summary>
        public string? SameBlobAs { get; init; }
    }
}
