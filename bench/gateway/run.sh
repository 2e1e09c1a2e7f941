#!/usr/bin/env bash
# Gateway latency/throughput (issue 11), all targets in front of the same upstream (nginx returning a fixed chat
# completion), in one run:
#  1. saturation, Debian's wrk at a fixed connection count: direct, nginx proxy_pass (plain, and with upstream
#     keep-alive), and `rampart gateway run` (see setup.sh for what the gateway does on each request);
#  2. a fixed rate (default 500 requests/s), Debian's hey (10 workers): p50/p99 direct, nginx, rampart, and the p99
#     Rampart adds over direct.
# Usage: bench/gateway/run.sh [seconds] [connections]. Env: RATE (default 500); AUDIT_COMMIT_MS (see setup.sh);
# TRACE=1 also records a sampled-thread-time trace of the gateway during its saturation run
# ($WORK/gateway.speedscope.json; needs `dotnet tool install -g dotnet-trace`), summarised by profile.py.
SECS="${1:-10}"; CONN="${2:-16}"; RATE="${RATE:-500}"
source "$(dirname "$0")/setup.sh"
# One saturation row: requests/s, p50, p99, and CPU microseconds per request of the gateway and of nginx (which
# serves the upstream in every row, and the proxy in the nginx rows).
sat() {
  local g0 n0 g1 n1 requests
  g0=$(cpu_us "$GW_PID"); n0=$(cpu_us $NGINX_PIDS)
  wrk -t2 -c"$CONN" -d"${SECS}s" --latency -s "$WORK/post.lua" "$2/v1/chat/completions" > "$WORK/$1.txt"
  g1=$(cpu_us "$GW_PID"); n1=$(cpu_us $NGINX_PIDS)
  requests=$(awk '/requests in/{print $1}' "$WORK/$1.txt")
  echo $(( (g1 - g0) / requests )) > "$WORK/$1.gcpu"; echo $(( (n1 - n0) / requests )) > "$WORK/$1.ncpu"
  printf "| %s | %s | %s | %s | %s | %s |\n" "$1" "$(awk '/Requests\/sec/{print $2}' "$WORK/$1.txt")" "$(awk '$1=="50%"{print $2}' "$WORK/$1.txt")" \
    "$(awk '$1=="99%"{print $2}' "$WORK/$1.txt")" "$(cat "$WORK/$1.gcpu")" "$(cat "$WORK/$1.ncpu")"; }
wrk -t2 -c"$CONN" -d3s -s "$WORK/post.lua" http://127.0.0.1:9203/v1/chat/completions >/dev/null   # warm-up (JIT)
echo "Saturation: wrk -t2 -c$CONN -d${SECS}s"
echo "| target | req/s | p50 | p99 | gateway CPU µs/req | nginx CPU µs/req |"; echo "| --- | --- | --- | --- | --- | --- |"
sat direct http://127.0.0.1:9201
sat nginx-proxy http://127.0.0.1:9202
sat nginx-keepalive http://127.0.0.1:9204
if [ "${TRACE:-0}" = "1" ]; then
  "${HOME}/.dotnet/tools/dotnet-trace" collect -p "$GW_PID" --profile dotnet-sampled-thread-time --format Speedscope \
    --duration "00:00:00:$(printf '%02d' "$SECS")" -o "$WORK/gateway.nettrace" > "$WORK/trace.log" 2>&1 &
  TRACE_PID=$!
  sleep 1
fi
sat rampart http://127.0.0.1:9203
[ -n "${TRACE_PID:-}" ] && wait "$TRACE_PID"
rps() { awk '/Requests\/sec/{print $2}' "$WORK/$1.txt"; }
ratio() { awk -v a="$(rps "$1")" -v b="$(rps "$2")" 'BEGIN{printf "%.2fx", a/b}'; }
echo "throughput rampart / nginx-proxy: $(ratio rampart nginx-proxy); rampart / nginx-keepalive: $(ratio rampart nginx-keepalive)"
# CPU spent on proxying one request: the gateway's own; nginx's minus what its upstream server costs (the direct row).
proxy_cpu() { echo $(( $(cat "$WORK/$1.ncpu") - $(cat "$WORK/direct.ncpu") )); }
echo "proxy CPU per request: rampart $(cat "$WORK/rampart.gcpu") µs, nginx-proxy $(proxy_cpu nginx-proxy) µs, nginx-keepalive $(proxy_cpu nginx-keepalive) µs"
echo
echo "Fixed rate: hey -z ${SECS}s -c 10 -q $(( RATE / 10 )) (${RATE} requests/s)"
echo "| target | req/s | p50 | p99 |"; echo "| --- | --- | --- | --- |"
fixed() { fixed_rate "$SECS" "$RATE" "$2/v1/chat/completions" > "$WORK/fixed-$1.txt"; \
  printf "| %s | %s | %s ms | %s ms |\n" "$1" "$(awk '/Requests\/sec/{print $2}' "$WORK/fixed-$1.txt")" \
    "$(awk '$1=="50%"{printf "%.3f", $3*1000}' "$WORK/fixed-$1.txt")" "$(awk '$1=="99%"{printf "%.3f", $3*1000}' "$WORK/fixed-$1.txt")"; }
fixed direct http://127.0.0.1:9201
fixed nginx-proxy http://127.0.0.1:9202
fixed rampart http://127.0.0.1:9203
p99() { awk '$1=="99%"{printf "%.3f", $3*1000}' "$WORK/fixed-$1.txt"; }
echo "added p99 (rampart - direct) at ${RATE} requests/s: $(awk -v a="$(p99 rampart)" -v b="$(p99 direct)" 'BEGIN{printf "%.3f ms", a-b}')"
grep -h "Status code distribution" -A3 "$WORK"/fixed-rampart.txt | tr -s ' ' | paste -sd' ' | sed 's/^/rampart statuses: /'
echo "gateway RSS after run: $(ps -o rss= -p "$GW_PID" | awk '{print $1/1024 " MiB"}')"
grep -c . "$WORK/audit/"*.jsonl | sed 's/^/audit lines: /'
if [ "${TRACE:-0}" = "1" ]; then
  /usr/bin/python3 bench/gateway/profile.py "$WORK"/gateway*.speedscope.json | head -60
fi
