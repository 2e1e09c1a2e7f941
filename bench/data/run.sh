#!/usr/bin/env bash
# rampart data scan over a generated CSV against `wc -l` and `grep -c @` of the same file, in the same run, with
# peak memory (GNU time); then `rampart data encrypt` and `decrypt` of a multi-GB file (the CSV repeated ENC_COPIES
# times, default 3) against `cp` and `openssl enc -aes-256-ctr` of the same file, with peak memory, and a byte-for-byte
# check of the round trip. Usage: bench/data/run.sh [SIZE_MB] (default 1024). Results go to $RESULTS (default bench/data/results.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MB="${1:-1024}"
ENC_COPIES="${ENC_COPIES:-3}"
RESULTS="${RESULTS:-bench/data/results.md}"
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
[ "${SKIP_BUILD:-0}" = "1" ] || dotnet build src/Rampart.Cli -c Release -v q -nologo >/dev/null
RAMPART="src/Rampart.Cli/bin/Release/net10.0/rampart"
# measure COMMAND...: "seconds peak-KiB" of one run. `data scan` exits 1 when it has findings (the planted e-mail
# addresses), so 0 and 1 count as a run; anything else (inconclusive, usage error, crash) stops the benchmark rather
# than reporting the time of a failure.
measure() {
  local code=0
  /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >"$WORK/out" 2>"$WORK/err" || code=$?
  if [ "$code" -gt 1 ]; then
    echo "bench: '$*' exited $code: $(tail -n 3 "$WORK/err")" >&2
    exit 1
  fi
  tail -n 1 "$WORK/t"
}
BYTES=$(stat -c %s "$CSV")
read -r WC_S WC_KB < <(measure wc -l "$CSV")
read -r GREP_S GREP_KB < <(measure grep -c @ "$CSV")
read -r SCAN_S SCAN_KB < <(measure "$RAMPART" data scan "$CSV" --format json --no-label-noise)
read -r SCANML_S SCANML_KB < <(measure "$RAMPART" data scan "$CSV" --format json)
ROWS=$(( $(wc -l <"$CSV") - 1 ))

# Encryption round trip of a multi-GB file. The references read and write the same bytes: cp (the floor) and
# openssl's AES-256-CTR (a streaming cipher without the per-chunk tags).
BIG="$WORK/big.bin"
for _ in $(seq 1 "$ENC_COPIES"); do cat "$CSV"; done >"$BIG"
BIG_BYTES=$(stat -c %s "$BIG")
"$RAMPART" data keygen -o "$WORK/data.key" >/dev/null
read -r CP_S CP_KB < <(measure cp "$BIG" "$WORK/big.cp")
rm -f "$WORK/big.cp"
read -r OSSL_S OSSL_KB < <(measure openssl enc -aes-256-ctr -pbkdf2 -pass pass:bench -in "$BIG" -out "$WORK/big.ctr")
rm -f "$WORK/big.ctr"
read -r ENC_S ENC_KB < <(measure "$RAMPART" data encrypt "$BIG" -o "$WORK/big.enc" --key-file "$WORK/data.key")
read -r DEC_S DEC_KB < <(measure "$RAMPART" data decrypt "$WORK/big.enc" -o "$WORK/big.dec" --key-file "$WORK/data.key")
if cmp -s "$BIG" "$WORK/big.dec"; then ROUND_TRIP="identical"; else ROUND_TRIP="DIFFERENT"; fi
ENC_BYTES=$(stat -c %s "$WORK/big.enc")
rm -f "$WORK/big.enc" "$WORK/big.dec" "$BIG"
# table REFERENCE REFERENCE_SECONDS "name:seconds:peak-KiB"...: one Markdown table, times as ratios to the reference.
table() {
  local reference="$1" base="$2" row name s kb
  shift 2
  echo "| command | seconds | peak RSS (MiB) | ratio to $reference |"
  echo "| --- | ---: | ---: | ---: |"
  for row in "$@"; do
    IFS=: read -r name s kb <<<"$row"
    echo "| \`$name\` | $s | $(( kb / 1024 )) | $(python3 -c "print(f'{$s/max($base,0.01):.1f}x')") |"
  done
}
{
  echo "# rampart data benchmark"
  echo
  echo "$(date -u +%Y-%m-%d) on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; \`bench/data/run.sh $SIZE_MB\`."
  echo
  echo "## Scan: $BYTES bytes, $ROWS rows"
  echo
  table "wc -l" "$WC_S" "wc -l:$WC_S:$WC_KB" "grep -c @:$GREP_S:$GREP_KB" \
    "rampart data scan --no-label-noise:$SCAN_S:$SCAN_KB" "rampart data scan:$SCANML_S:$SCANML_KB"
  echo
  echo "## Encryption: $BIG_BYTES bytes in, $ENC_BYTES bytes encrypted; round trip $ROUND_TRIP"
  echo
  table "cp" "$CP_S" "cp:$CP_S:$CP_KB" "openssl enc -aes-256-ctr:$OSSL_S:$OSSL_KB" \
    "rampart data encrypt:$ENC_S:$ENC_KB" "rampart data decrypt:$DEC_S:$DEC_KB"
} > "$RESULTS"
cat "$RESULTS"
[ "$ROUND_TRIP" = "identical" ]
