#!/usr/bin/env bash
# Integrity hashing benchmark: `rampart hash` against `openssl dgst -sha256` over the same files, in the same run.
# Reports ratios (never absolute targets) and peak RSS. Inputs are generated into a temporary folder (not the
# repository) and deleted afterwards. Usage: bench/integrity/run.sh [RESULT_FILE]
#   targets (issue 4): 1.5 GiB file >= 0.9x OpenSSL throughput; sharded-checkpoint folder >= 1.7x faster than OpenSSL
#   hashing the files one after another; peak RSS flat between a 0.5 GiB and a 1.5 GiB file.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
result="${1:-}"
work="$(mktemp -d "${TMPDIR:-/tmp}/rampart-integrity-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
repeats="${REPEATS:-3}"

echo "building rampart (Release) into $work/bin" >&2
dotnet build "$repo/src/Rampart.Cli" -c Release -o "$work/bin" -v q -nologo >/dev/null
rampart=(dotnet "$work/bin/rampart.dll")

# Pseudo-random bytes quickly: AES-CTR keystream of zeros (incompressible, like weights).
# (head closes the pipe early, so openssl dies of SIGPIPE: not an error here.)
gen() { (set +o pipefail; openssl enc -aes-128-ctr -nosalt -pass pass:rampart -pbkdf2 -in /dev/zero 2>/dev/null | head -c "$2" > "$1"); }

echo "generating inputs" >&2
gen "$work/half.bin" $((512 * 1024 * 1024))
gen "$work/big.bin" $((1536 * 1024 * 1024))
mkdir -p "$work/ckpt"
for i in 1 2 3 4 5 6 7 8; do gen "$work/ckpt/model-0000$i-of-00008.safetensors" 200000000; done
for i in $(seq 1 300); do gen "$work/ckpt/small-$i.json" 4096; done

# best wall time (s) and peak RSS (KiB) of N runs of a command
measure() {
  local best="" rss=0
  for _ in $(seq 1 "$repeats"); do
    /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null
    read -r wall kib < "$work/t"
    if [[ -z "$best" ]] || awk "BEGIN{exit !($wall < $best)}"; then best="$wall"; fi
    if (( kib > rss )); then rss="$kib"; fi
  done
  echo "$best $rss"
}

cat "$work/big.bin" "$work/half.bin" "$work/ckpt"/* > /dev/null  # warm the page cache once for both tools

read -r o_big _ < <(measure openssl dgst -sha256 "$work/big.bin")
read -r r_big r_big_rss < <(measure "${rampart[@]}" hash "$work/big.bin")
read -r _ r_half_rss < <(measure "${rampart[@]}" hash "$work/half.bin")
mapfile -t ckpt_files < <(find "$work/ckpt" -type f | sort)
read -r o_ckpt _ < <(measure openssl dgst -sha256 "${ckpt_files[@]}")
read -r r_ckpt r_ckpt_rss < <(measure "${rampart[@]}" hash "$work/ckpt")
read -r r_shards _ < <(measure "${rampart[@]}" hash --serialization shards "$work/ckpt")

ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
report=$(cat <<REPORT
| measurement | OpenSSL (s) | rampart (s) | ratio (OpenSSL time / rampart time) | target |
|---|---|---|---|---|
| 1.5 GiB file, files serialization | $o_big | $r_big | $(ratio "$o_big" "$r_big")x | >= 0.9x |
| 8 x 200 MB + 300 x 4 KiB folder, files | $o_ckpt | $r_ckpt | $(ratio "$o_ckpt" "$r_ckpt")x | >= 1.7x |
| same folder, shards (1 GB shards) | $o_ckpt | $r_shards | $(ratio "$o_ckpt" "$r_shards")x | (info) |

Peak RSS of \`rampart hash\`: 0.5 GiB file $((r_half_rss / 1024)) MiB, 1.5 GiB file $((r_big_rss / 1024)) MiB, checkpoint folder $((r_ckpt_rss / 1024)) MiB.

Best of $repeats runs each, page cache warm; rampart times include .NET start-up (about 0.1 s). $(nproc) cores, $(openssl version | cut -d' ' -f1-2).
REPORT
)
echo "$report"
if [[ -n "$result" ]]; then echo "$report" >> "$result"; fi
