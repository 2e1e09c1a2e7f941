#!/usr/bin/env bash
# rampart data scan over a generated CSV against `wc -l` and `grep -c @` of the same file, in the same run, with
# peak memory (GNU time). Usage: bench/data/run.sh [SIZE_MB] (default 1024). Results go to bench/data/results.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MB="${1:-1024}"
WORK="$(mktemp -d /tmp/rampart-data-bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
CSV="$WORK/data.csv"
/usr/bin/python3 - "$CSV" "$SIZE_MB" <<'PY'
import random, sys
path, size = sys.argv[1], int(sys.argv[2]) * 1024 * 1024
random.seed(1)
words = "the model was trained on clean data and it works well for most users today but some reviews say delivery slow".split()
with open(path, "w") as f:
    f.write("id,name,email,age,income,text,label\n")
    i = 0
    while f.tell() < size:
        lines = []
        for _ in range(10000):
            email = f"user{i}@corp.test" if i % 50 == 0 else ""
            text = " ".join(random.choice(words) for _ in range(12))
            lines.append(f"{i},Person {i % 977},{email},{18 + i % 70},{20000 + (i * 7919) % 130000},{text},{i % 3}\n")
            i += 1
        f.write("".join(lines))
PY
dotnet build src/Rampart.Cli -c Release -v q -nologo >/dev/null
RAMPART="src/Rampart.Cli/bin/Release/net10.0/rampart"
measure() { /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >"$WORK/out" 2>/dev/null || true; cat "$WORK/t" | tail -n 1; }
BYTES=$(stat -c %s "$CSV")
read -r WC_S WC_KB < <(measure wc -l "$CSV")
read -r GREP_S GREP_KB < <(measure grep -c @ "$CSV")
read -r SCAN_S SCAN_KB < <(measure "$RAMPART" data scan "$CSV" --format json --no-label-noise)
read -r SCANML_S SCANML_KB < <(measure "$RAMPART" data scan "$CSV" --format json)
ROWS=$(( $(wc -l <"$CSV") - 1 ))
{
  echo "# rampart data scan benchmark"
  echo
  echo "$(date -u +%Y-%m-%d) on $(nproc) cores; file: $BYTES bytes, $ROWS rows (bench/data/run.sh $SIZE_MB)."
  echo
  echo "| command | seconds | peak RSS (MiB) | ratio to wc -l |"
  echo "| --- | ---: | ---: | ---: |"
  for row in "wc -l:$WC_S:$WC_KB" "grep -c @:$GREP_S:$GREP_KB" "rampart data scan --no-label-noise:$SCAN_S:$SCAN_KB" "rampart data scan:$SCANML_S:$SCANML_KB"; do
    IFS=: read -r name s kb <<<"$row"
    echo "| \`$name\` | $s | $(( kb / 1024 )) | $(python3 -c "print(f'{$s/max($WC_S,0.01):.1f}x')") |"
  done
} > bench/data/results.md
cat bench/data/results.md
