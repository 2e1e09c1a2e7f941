#!/usr/bin/env bash
# Gateway latency/throughput: the same upstream (nginx returning a fixed chat completion), measured with Debian's wrk
# at a fixed connection count: direct, through nginx proxy_pass, and through `rampart gateway run` (API key auth, rate
# limit, secrets+PII checks on request and answer, audit log with fsync). Usage: bench/gateway/run.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS="${1:-10}"; CONN="${2:-16}"
WORK="$(mktemp -d /tmp/rampart-bench-gw.XXXXXX)"
trap 'kill $(cat "$WORK"/*.pid 2>/dev/null) 2>/dev/null || true; nginx -c "$WORK/nginx.conf" -s stop 2>/dev/null || true' EXIT
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1; pid $WORK/nginx.pid; error_log $WORK/nginx.err; events { worker_connections 1024; }
http { access_log off;
  server { listen 127.0.0.1:9201; location / { default_type application/json;
    return 200 '{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello there, nothing secret here"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}'; } }
  server { listen 127.0.0.1:9202; location / { proxy_pass http://127.0.0.1:9201; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  upstream keep { server 127.0.0.1:9201; keepalive 64; }
}
NGINX
nginx -c "$WORK/nginx.conf"
dotnet build src/Rampart.Cli -c Release -v q >/dev/null
CLI="dotnet src/Rampart.Cli/bin/Release/net10.0/rampart.dll"
KEY=$($CLI gateway keys create --file "$WORK/keys.json" --principal bench --role bench | head -1)
cat > "$WORK/gateway.yaml" <<YAML
listen: http://127.0.0.1:9203
auth: { apiKeys: keys.json }
audit: { directory: audit, bodies: none }
clusters: { up: { destinations: ["http://127.0.0.1:9201"] } }
routes:
  - name: chat
    path: /v1/chat/completions
    protocol: openai-chat
    cluster: up
    allow: [ { role: bench, operations: [chat] } ]
    rateLimit: { requestsPerMinute: 100000000 }
    checks: { secrets: redact, pii: redact }
YAML
$CLI gateway run --config "$WORK/gateway.yaml" > "$WORK/gw.log" 2>&1 & echo $! > "$WORK/gw.pid"
sleep 5
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"What is the capital of France? Answer in one word please."}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
LUA
run() { wrk -t2 -c"$CONN" -d"${SECS}s" --latency -s "$WORK/post.lua" "$2/v1/chat/completions" > "$WORK/$1.txt"; \
  printf "| %s | %s | %s | %s |\n" "$1" "$(awk '/Requests\/sec/{print $2}' "$WORK/$1.txt")" "$(awk '$1=="50%"{print $2}' "$WORK/$1.txt")" "$(awk '$1=="99%"{print $2}' "$WORK/$1.txt")"; }
wrk -t2 -c"$CONN" -d3s -s "$WORK/post.lua" http://127.0.0.1:9203/v1/chat/completions >/dev/null   # warm-up (JIT)
echo "| target | req/s | p50 | p99 |"; echo "| --- | --- | --- | --- |"
run direct http://127.0.0.1:9201
run nginx-proxy http://127.0.0.1:9202
run rampart http://127.0.0.1:9203
echo "gateway RSS after run: $(ps -o rss= -p "$(cat "$WORK/gw.pid")" | awk '{print $1/1024 " MiB"}')"
grep -c . "$WORK/audit/"*.jsonl | sed 's/^/audit lines: /'
