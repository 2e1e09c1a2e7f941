using System.Text;
using Xunit.Abstractions;

namespace Rampart.Interop.Tests;

/// <summary>
/// Proves the corpus with the real loaders: every malicious file runs its payload (creates the marker) when its natural
/// loader reads it, and every benign file loads without error. A malicious file that does not fire is a broken fixture
/// and fails here, so the verdict tests never count a harmless file as a detection.
/// </summary>
[Collection(CorpusGroup.Name)]
public sealed class RealLoaderProofTests(CorpusFixture fixture, ITestOutputHelper output)
{
    /// <summary>Kinds the brief requires; a generator change that drops one fails the coverage test.</summary>
    private static readonly string[] RequiredKinds =
    [
        "torch-zip-state-dict", "torch-legacy-state-dict", "torch-zip-checkpoint-optimizer", "torch-legacy-checkpoint-optimizer",
        "torch-zip-whole-module", "torch-legacy-whole-module", "torchscript",
        "joblib-plain", "joblib-zlib", "joblib-gzip", "joblib-bz2", "joblib-lzma", "joblib-xz",
        "npy-numeric", "npy-object-array", "npz-numeric", "npz-object-array",
        "sklearn-pickle", "sklearn-joblib", "pandas-dataframe", "pandas-series", "dill-plain-data",
        "torch-zip-payload", "torch-legacy-payload", "torch-legacy-second-pickle", "torch-legacy-magic-pickle-payload",
        "torch-zip-dotted-stack-global", "pickle-memo-stack-global", "pickle-sparse-long-binput", "pickle-payload-then-garbage",
        "pickle-second-in-stream", "polyglot-pickle-appended-zip", "polyglot-zip-prepended-pickle",
        "zip-local-central-name-mismatch", "zip-duplicate-names", "zip-duplicate-names-torch", "zip-flags-data-descriptor",
        "zip-crc-mismatch", "zip-traversal-name", "zip-in-zip", "tar-gz-of-pickles", "pickle-named-txt", "pickle-named-json",
        "joblib-payload-after-array", "joblib-zlib-payload", "joblib-gzip-payload", "joblib-bz2-payload", "joblib-lzma-payload",
        "joblib-xz-payload", "npy-object-payload", "npz-object-payload", "sklearn-pickle-payload", "sklearn-joblib-payload",
        "pandas-dataframe-payload", "pandas-series-payload", "dill-payload",
        "pickle-gadget-subprocess-call", "pickle-gadget-runpy-run-code", "pickle-gadget-methodcaller-code-interpreter",
        "pickle-gadget-partial-timeit", "pickle-gadget-pkgutil-resolve-name", "pickle-gadget-builtins-exec",
        "pickle-gadget-dotted-module-walk", "pickle-gadget-io-open", "pickle-gadget-logging-filehandler",
        "pickle-gadget-zipfile-write-mode", "pickle-gadget-sqlite3-connect", "pickle-gadget-pydoc-pipepager",
        "pickle-gadget-numpy-runstring", "pickle-gadget-dill-eval-repr", "pickle-inst-opcode", "pickle-obj-opcode",
        "torch-zip-deflated-payload", "npz-member-without-npy-suffix", "dill-internal-gadget", "zip-absolute-name",
        "torch-zip-many-dtypes", "torch-legacy-many-dtypes", "torch-zip-protocol-4", "joblib-object-array", "npy-structured",
        "npy-fortran-big-endian", "pickle-protocol-0-text", "pickle-protocol-5-framed",
        "torch-legacy-tar", "torch-zip-custom-prefix", "zip-zip64-extra-fields", "torch-zip64-state-dict",
        "torch-legacy-truncated-after-payload", "joblib-truncated-after-payload",
    ];

    [CorpusFact]
    public async Task Corpus_Generated_CoversEveryRequiredKind()
    {
        var corpus = await fixture.GetCorpusAsync();
        var kinds = corpus.Entries.Select(e => e.Kind).ToHashSet(StringComparer.Ordinal);
        RequiredKinds.Where(k => !kinds.Contains(k)).Should().BeEmpty("generate.py must produce every kind the suite promises");
        kinds.Should().HaveCount(corpus.Entries.Count, "each kind names one file, so failure reports are unambiguous");
        corpus.Entries.Where(e => !File.Exists(Path.Combine(corpus.Root, e.Path))).Select(e => e.Path).Should().BeEmpty();
        corpus.Entries.Where(e => !corpus.Loads.ContainsKey(e.Path)).Select(e => e.Path).Should().BeEmpty("prove.py must load every file");
    }

    [CorpusFact]
    public async Task MaliciousFiles_LoadedByRealLoader_RunPayload()
    {
        var corpus = await fixture.GetCorpusAsync();
        var malicious = corpus.Entries.Where(e => e.Malicious).ToList();
        malicious.Should().NotBeEmpty();
        var report = new StringBuilder();
        var failures = new List<string>();
        foreach (var entry in malicious)
        {
            var load = corpus.Loads[entry.Path];
            report.AppendLine($"{(load.Marker ? "fired " : "SILENT")} {entry.Loader,-12} {entry.Path} ({load.Status}{(load.Error.Length > 0 ? ": " + load.Error : "")})");
            if (!load.Marker)
            {
                failures.Add($"{entry.Path} [{entry.Kind}] did not create the marker when loaded with '{entry.Loader}': {load.Status} {load.Error}");
            }
        }

        output.WriteLine(report.ToString());
        Problems.AssertNone(failures, "malicious fixtures whose payload did not run in their real loader (the fixture is wrong)");
    }

    /// <summary>
    /// The mitigation the rule pages recommend: torch's restricted unpickler refuses every malicious torch file before
    /// the payload runs. Benign files are only reported: torch 1.13's restricted unpickler also refuses harmless
    /// opcodes (BINFLOAT in optimizer state, FRAME at protocol 4), so "Clean" does not mean "weights_only loads it".
    /// </summary>
    [CorpusFact]
    public async Task MaliciousTorchFiles_LoadedWithWeightsOnly_RefusedBeforePayload()
    {
        var corpus = await fixture.GetCorpusAsync();
        var torchFiles = corpus.Entries.Where(e => e.Loader == "torch").ToList();
        torchFiles.Should().NotBeEmpty();
        var failures = new List<string>();
        foreach (var entry in torchFiles)
        {
            var safe = corpus.Loads[entry.Path].WeightsOnly;
            output.WriteLine($"{(entry.Malicious ? "malicious" : "benign   ")} weights_only={safe?.Status ?? "missing"} {entry.Path} {safe?.Error.Split("WeightsUnpickler error:").Last()}");
            if (entry.Malicious && (safe is null || safe.Status != "error" || safe.Marker))
            {
                failures.Add($"{entry.Path} [{entry.Kind}] with weights_only=True: {safe?.Status ?? "not tried"} marker={safe?.Marker}");
            }
        }

        Problems.AssertNone(failures, "malicious torch files that torch.load(weights_only=True) did not refuse safely");
    }

    [CorpusFact]
    public async Task BenignFiles_LoadedByRealLoader_LoadWithoutError()
    {
        var corpus = await fixture.GetCorpusAsync();
        var benign = corpus.Entries.Where(e => !e.Malicious).ToList();
        benign.Should().NotBeEmpty();
        var failures = benign
            .Select(e => (Entry: e, Load: corpus.Loads[e.Path]))
            .Where(x => x.Load.Status != "loaded" || x.Load.Marker)
            .Select(x => $"{x.Entry.Path} [{x.Entry.Kind}] with '{x.Entry.Loader}': {x.Load.Status} {x.Load.Error} marker={x.Load.Marker}")
            .ToList();
        Problems.AssertNone(failures, "benign files that their real loader did not load cleanly");
    }
}
