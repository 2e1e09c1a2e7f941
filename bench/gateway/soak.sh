#!/usr/bin/env bash
# Bounded memory soak of the gateway (issue 11: "memory flat over a 5-minute soak"); not part of the tests.
# Usage: bench/gateway/soak.sh [seconds=300] [rate=500]. Same setup as run.sh (setup.sh): the gateway with auth,
# a rate limit, secrets + PII checks and the audit log in front of nginx; Debian's hey sends a fixed rate for the
# whole time while the gateway's RSS is sampled every 10 s. Prints the samples, first/last/max RSS, and the growth
# from the first minute's end to the last sample (the warm-up minute is left out: JIT and pools settle there).
SECS="${1:-300}"; RATE="${2:-500}"
source "$(dirname "$0")/setup.sh"
fixed_rate "$SECS" "$RATE" http://127.0.0.1:9203/v1/chat/completions > "$WORK/soak-hey.txt" &
HEY=$!
echo "seconds,rss_mib" > "$WORK/rss.csv"
for t in $(seq 0 10 "$SECS"); do
  echo "$t,$(ps -o rss= -p "$GW_PID" | awk '{printf "%.1f", $1/1024}')" >> "$WORK/rss.csv"
  [ "$t" -lt "$SECS" ] && sleep 10
done
wait "$HEY"
cat "$WORK/rss.csv"
awk -F, 'NR>1 {v[NR]=$2; if ($1==60) m=$2; if ($2>max) max=$2; last=$2} NR==2 {first=$2}
  END {printf "first %.1f MiB, after 1 min %.1f MiB, last %.1f MiB, max %.1f MiB, growth after warm-up %.1f MiB\n", first, m, last, max, last-m}' "$WORK/rss.csv"
grep -E "Requests/sec|Status code" -A2 "$WORK/soak-hey.txt" | tr -s ' '
