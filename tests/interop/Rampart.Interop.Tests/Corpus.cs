using System.Text.Json;
using System.Text.Json.Serialization;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Scanning.Engine;
using Rampart.TestKit;

namespace Rampart.Interop.Tests;

/// <summary>One generated file, as described by generate.py's manifest.json.</summary>
/// <param name="Path">Relative to the corpus folder, '/'-separated.</param>
/// <param name="Kind">What it is, e.g. "torch-zip-state-dict" or "zip-crc-mismatch".</param>
/// <param name="Malicious">Whether it carries a payload.</param>
/// <param name="Expect">The verdicts Rampart may give it ("clean", "needs-review", "malicious").</param>
/// <param name="Loader">The real loader prove.py uses for it.</param>
/// <param name="Note">How the file was made.</param>
internal sealed record CorpusEntry(string Path, string Kind, bool Malicious, IReadOnlyList<string> Expect, string Loader, string Note);

/// <summary>What happened when prove.py loaded one file with its real loader.</summary>
/// <param name="Status">"loaded", "error", "timeout", "crashed" or "unavailable".</param>
/// <param name="Error">The loader's exception, if any.</param>
/// <param name="Marker">Whether the payload's marker file appeared.</param>
/// <param name="WeightsOnly">For torch files, the same load with torch.load(weights_only=True).</param>
internal sealed record LoadResult(string Status, string Error, bool Marker, [property: JsonPropertyName("weights_only")] LoadResult? WeightsOnly = null);

/// <summary>The generated corpus with the real loaders' results.</summary>
internal sealed class Corpus(string root, IReadOnlyList<CorpusEntry> entries, IReadOnlyDictionary<string, LoadResult> loads)
{
    public string Root { get; } = root;

    public IReadOnlyList<CorpusEntry> Entries { get; } = entries;

    public IReadOnlyDictionary<string, LoadResult> Loads { get; } = loads;

    /// <summary>The logical path a scan of <see cref="Root"/> gives this entry.</summary>
    public string DisplayPath(CorpusEntry entry) => Path.Combine(Root, entry.Path).Replace('\\', '/');
}

/// <summary>
/// Generates the corpus once for the whole collection (generate.py), proves every file with its real loader in child
/// processes (prove.py), and scans the corpus folder once with Rampart. Everything is lazy, so a run where the tests
/// skip starts no Python at all.
/// </summary>
public sealed class CorpusFixture : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    private readonly TempDirectory _work = new();
    private readonly Lazy<Task<Corpus>> _corpus;
    private readonly Lazy<Task<ScanReport>> _scan;

    public CorpusFixture()
    {
        _corpus = new Lazy<Task<Corpus>>(BuildAsync);
        _scan = new Lazy<Task<ScanReport>>(ScanAsync);
    }

    internal Task<Corpus> GetCorpusAsync() => _corpus.Value;

    internal Task<ScanReport> GetScanAsync() => _scan.Value;

    public void Dispose() => _work.Dispose();

    private async Task<Corpus> BuildAsync()
    {
        var root = Path.Combine(_work.Path, "corpus");
        Directory.CreateDirectory(root);
        var results = Path.Combine(_work.Path, "results.json");
        var python = PythonEnvironment.SystemPython;
        await ProcessRunner.RunCheckedAsync(python, [Path.Combine(PythonEnvironment.ScriptsFolder, "generate.py"), root], _work.Path, TimeSpan.FromMinutes(5));
        await ProcessRunner.RunCheckedAsync(python, [Path.Combine(PythonEnvironment.ScriptsFolder, "prove.py"), root, results], _work.Path, TimeSpan.FromMinutes(10));
        var entries = JsonSerializer.Deserialize<List<CorpusEntry>>(await File.ReadAllTextAsync(Path.Combine(root, "manifest.json")), Json)
            ?? throw new InvalidOperationException("empty manifest");
        var loads = JsonSerializer.Deserialize<Dictionary<string, LoadResult>>(await File.ReadAllTextAsync(results), Json)
            ?? throw new InvalidOperationException("empty prover results");
        return new Corpus(root, entries, loads);
    }

    private async Task<ScanReport> ScanAsync()
    {
        var corpus = await GetCorpusAsync();
        return await Scanner.CreateDefault().ScanAsync([corpus.Root], ScanPolicy.Default);
    }
}

[CollectionDefinition(Name)]
public sealed class CorpusGroup : ICollectionFixture<CorpusFixture>
{
    public const string Name = "python-corpus";
}
