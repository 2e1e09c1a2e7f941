using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Rampart.Text.Injection;

namespace Rampart.Tools.TrainInjection;

/// <summary>Writes docs/models/injection-classifier.md: what the model is, what it was trained on (with counts), and its digest.</summary>
internal static class ModelCard
{
    private static readonly (string Source, string Repo, string Commit, string Path, string Licence)[] Sources =
    [
        ("tensortrust-hijacking", "HumanCompatibleAI/tensor-trust-data", "e2385ea9cf448c9641b96e2e39f113ed4979a5b0", "benchmarks/hijacking-robustness/v1/hijacking_robustness_dataset.jsonl (`attack`)", "no licence file in the repository; released with the Tensor Trust paper (Toyer et al., ICLR 2024) for research use"),
        ("tensortrust-extraction", "HumanCompatibleAI/tensor-trust-data", "e2385ea9cf448c9641b96e2e39f113ed4979a5b0", "benchmarks/extraction-robustness/v1/extraction_robustness_dataset.jsonl (`attack`)", "as above"),
        ("tensortrust-defense", "HumanCompatibleAI/tensor-trust-data", "e2385ea9cf448c9641b96e2e39f113ed4979a5b0", "both files above (`pre_prompt`: defenders' instructions, hard benign)", "as above"),
        ("gptfuzz-jailbreak", "sherdencooper/GPTFuzz", "1eddeb565740ae311b5f4950492b011a6f866fe7", "datasets/prompts/GPTFuzzer.csv (`text`)", "MIT"),
        ("self-instruct", "yizhongw/self-instruct", "0b26ccaa415992100fa32df62d41b994cf928e23", "data/seed_tasks.jsonl (instruction + first input)", "Apache-2.0"),
        ("t0-prompts", "yizhongw/self-instruct", "0b26ccaa415992100fa32df62d41b994cf928e23", "data/finetuning/t0_train_50k/data_per_template/*.jsonl (`prompt`, first 4 of each of 294 templates: documents followed by a task)", "Apache-2.0"),
        ("gsm8k", "openai/grade-school-math", "3101c7d5072418e28b9008a6636bde82a006892c", "grade_school_math/data/test.jsonl (`question`)", "MIT"),
        ("mtbench", "lm-sys/FastChat", "0e6d3e4beaab66f4d3f93db72541a4abab8af28d", "fastchat/llm_judge/data/{mt_bench,vicuna_bench}/question.jsonl (`turns`)", "Apache-2.0"),
        ("awesome-prompts", "f/awesome-chatgpt-prompts", "82f15563c9284c01ca54f0b915ae1aeda5a0fc3a", "prompts.csv (`prompt`; role-play prompts, hard benign; the one `DAN` row is labelled injection)", "CC0-1.0"),
        ("awesome-prompts-zh", "PlexPt/awesome-chatgpt-prompts-zh", "367ed18b9c50b702d762c6fbc2885107141acb62", "prompts-zh.json (`prompt`; Chinese role-play prompts; the `DAN` row is labelled injection)", "MIT"),
        ("fastchat-identity", "lm-sys/FastChat", "0e6d3e4beaab66f4d3f93db72541a4abab8af28d", "data/dummy_conversation.json (human turns: questions about the assistant itself)", "Apache-2.0"),
        ("hh-rlhf-requests", "anthropics/hh-rlhf", "354e5c3cb8960630860dd5774a6ac2a58313bf4d", "harmless-base/test.jsonl.gz (first human turn of each red-team conversation: blunt or harmful requests, not injections)", "MIT"),
        ("instructionwild", "XueFuzhao/InstructionWild", "047fa6b9abd4a0b2d5ed6f0f9bbc14df5bd6b1d6", "data_v2/user_{1,2,3}.jsonl (`instruction`, English and Chinese)", "non-commercial research only: used for evaluation, never for training"),
        ("handwritten-hard-benign", "this repository", "-", "tools/train-injection/seed/hard-benign.jsonl (hand-written: security questions, role-play, 'ignore'/'system', code, 10 languages)", "same as Rampart"),
        ("handwritten-obfuscated", "this repository", "-", "tools/train-injection/seed/obfuscated-attacks.jsonl (hand-written obfuscated attacks; evaluation only)", "same as Rampart"),
    ];

    public static string Render(List<Sample> samples, string sha, float threshold, ImmutableArray<DetectionMetrics> metrics, int bits, int window)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Model card: injection-classifier");
        sb.AppendLine();
        sb.AppendLine("The prompt-injection and jailbreak classifier that ships with Rampart (`rules/models/injection-classifier.bin`,");
        sb.AppendLine("embedded in `Rampart.Text`), raised as rule [RAMP-LLM-010](../rules/RAMP-LLM-010.md). This page is written by the");
        sb.AppendLine("training command; do not edit it by hand.");
        sb.AppendLine();
        sb.AppendLine(ci, $"- **SHA-256:** `{sha}` (a test checks the embedded file against this line)");
        sb.AppendLine(ci, $"- **Model:** logistic regression over hashed features (2^{bits} buckets, signed hashing): character 3-, 4- and 5-grams and word uni- and bigrams of the lower-cased, normalised text (`TextNormalizer`), L2-normalised counts. Weights quantised to signed bytes with one scale; the file is {(1 << bits) + 28} bytes.");
        sb.AppendLine(ci, $"- **Threshold:** {threshold.ToString("0.0000", ci)}, the lowest score keeping the false-positive rate on the validation split's benign texts at or below 0.5% (half the 1% target: the validation split comes from the training sources, so its rate is optimistic for unseen prompt styles).");
        sb.AppendLine(ci, $"- **Long texts** are scored in windows of {window} characters, half overlapping; the highest window counts.");
        sb.AppendLine("- **Why this model:** it is fast (one pass of hashing per character, no vocabulary lookup; well under a millisecond for a 2,000-character prompt),");
        sb.AppendLine("  has no dependency, is inspectable, and character n-grams survive the spelling tricks that the normaliser does not undo. Its limits: it learns the");
        sb.AppendLine("  vocabulary of its training corpora (game-style injections from Tensor Trust, jailbreak templates from GPTFuzz), so paraphrases far from them");
        sb.AppendLine("  rely on the rules layer; it does not understand meaning.");
        sb.AppendLine();
        sb.AppendLine("## Reproduce");
        sb.AppendLine();
        sb.AppendLine("```sh");
        sb.AppendLine("tools/train-injection/export-sources.sh /work/.mirror /tmp/inj-data   # git snapshots of the repositories below");
        sb.AppendLine("dotnet run --project tools/train-injection -c Release -- /tmp/inj-data rules/models/injection-classifier.bin /tmp/inj-test.jsonl docs/models/injection-classifier.md");
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("Training is deterministic (seeded shuffle; the split is by SHA-256 of each text: 70% train, 10% validation, 20% test).");
        sb.AppendLine(ci, $"Texts are de-duplicated after normalisation before splitting; {Corpus.NearCopiesDropped} training-side texts whose opening (40 letters) equals an evaluation-only text's were dropped.");
        sb.AppendLine();
        sb.AppendLine("## Training data");
        sb.AppendLine();
        sb.AppendLine("| source | label | train | validation | test | repository @ commit | file | licence |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | --- | --- | --- |");
        foreach (var (source, repo, commit, path, licence) in Sources)
        {
            var of = samples.Where(s => s.Source == source).ToList();
            var label = of.All(s => s.Label) ? "injection" : of.Any(s => s.Label) ? $"benign ({of.Count(s => s.Label)} injection)" : "benign";
            var c = commit == "-" ? "" : " @ `" + commit[..12] + "`";
            sb.AppendLine(ci, $"| {source} | {label} | {of.Count(s => s.Split == Split.Train)} | {of.Count(s => s.Split == Split.Validation)} | {of.Count(s => s.Split == Split.Test)} | {repo}{c} | {path} | {licence} |");
        }

        sb.AppendLine();
        sb.AppendLine("## Classifier alone on the test split");
        sb.AppendLine();
        sb.AppendLine("The whole detector (rules and classifier over every normalised view) is measured by `rampart guard eval`; see");
        sb.AppendLine("`bench/results/guard-injection.md`. The classifier alone, at its threshold:");
        sb.AppendLine();
        sb.AppendLine("| source | n | precision | recall | F1 | FPR |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var m in metrics)
        {
            sb.AppendLine(ci, $"| {m.Source} | {m.Total} | {F(m.Precision)} | {F(m.Recall)} | {F(m.F1)} | {F(m.FalsePositiveRate)} |");
        }

        return sb.ToString();
    }

    private static string F(double d) => double.IsNaN(d) ? "-" : d.ToString("0.000", CultureInfo.InvariantCulture);
}
