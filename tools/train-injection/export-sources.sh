#!/usr/bin/env bash
# Exports the public training data of the injection classifier from local git snapshots (the search tool's fetch, or
# `git clone`) into DATA_DIR, at the pinned commits listed in docs/models/injection-classifier.md. Nothing fetched is
# committed to this repository.
#   usage: export-sources.sh MIRROR_ROOT DATA_DIR
#   MIRROR_ROOT holds <owner>+<name>/repo git directories (e.g. /work/.mirror).
set -euo pipefail
mirror=${1:?MIRROR_ROOT}; out=${2:?DATA_DIR}
mkdir -p "$out"
export_file() { # repo commit path target
  git -C "$mirror/$1/repo" cat-file -e "$2" 2>/dev/null || { echo "missing commit $2 in $1" >&2; exit 1; }
  git -C "$mirror/$1/repo" show "$2:$3" > "$out/$4"
}
export_file HumanCompatibleAI+tensor-trust-data e2385ea9cf448c9641b96e2e39f113ed4979a5b0 benchmarks/hijacking-robustness/v1/hijacking_robustness_dataset.jsonl tensortrust-hijacking.jsonl
export_file HumanCompatibleAI+tensor-trust-data e2385ea9cf448c9641b96e2e39f113ed4979a5b0 benchmarks/extraction-robustness/v1/extraction_robustness_dataset.jsonl tensortrust-extraction.jsonl
export_file sherdencooper+GPTFuzz 1eddeb565740ae311b5f4950492b011a6f866fe7 datasets/prompts/GPTFuzzer.csv gptfuzz.csv
export_file yizhongw+self-instruct 0b26ccaa415992100fa32df62d41b994cf928e23 data/seed_tasks.jsonl self-instruct.jsonl
export_file openai+grade-school-math 3101c7d5072418e28b9008a6636bde82a006892c grade_school_math/data/test.jsonl gsm8k.jsonl
export_file lm-sys+FastChat 0e6d3e4beaab66f4d3f93db72541a4abab8af28d fastchat/llm_judge/data/mt_bench/question.jsonl mtbench.jsonl
export_file lm-sys+FastChat 0e6d3e4beaab66f4d3f93db72541a4abab8af28d fastchat/llm_judge/data/vicuna_bench/question.jsonl vicunabench.jsonl
export_file f+awesome-chatgpt-prompts 82f15563c9284c01ca54f0b915ae1aeda5a0fc3a prompts.csv awesome-chatgpt-prompts.csv
export_file PlexPt+awesome-chatgpt-prompts-zh 367ed18b9c50b702d762c6fbc2885107141acb62 prompts-zh.json awesome-chatgpt-prompts-zh.json
export_file lm-sys+FastChat 0e6d3e4beaab66f4d3f93db72541a4abab8af28d data/dummy_conversation.json fastchat-identity.json
# Anthropic HH-RLHF red-team conversations (harmful requests, not injections): only the small test file is a real blob
git -C "$mirror/anthropics+hh-rlhf/repo" show 354e5c3cb8960630860dd5774a6ac2a58313bf4d:harmless-base/test.jsonl.gz | gunzip > "$out/hh-harmless-test.jsonl"
for i in 1 2 3; do
  export_file XueFuzhao+InstructionWild 047fa6b9abd4a0b2d5ed6f0f9bbc14df5bd6b1d6 data_v2/user_$i.jsonl instructionwild-$i.jsonl
done
# T0 prompt templates (documents followed by a task): 4 prompts from each of the 294 templates
repo="$mirror/yizhongw+self-instruct/repo"; commit=0b26ccaa415992100fa32df62d41b994cf928e23
: > "$out/t0-prompts.jsonl"
for f in $(git -C "$repo" ls-tree -r --name-only "$commit" -- data/finetuning/t0_train_50k/data_per_template); do
  { git -C "$repo" show "$commit:$f" | head -4 || true; } >> "$out/t0-prompts.jsonl"
done
sha256sum "$out"/* > "$out/SHA256SUMS"
echo "exported to $out"
