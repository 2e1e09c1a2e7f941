# Sourced by bench/gateway/run.sh and soak.sh: starts the shared stub upstream (nginx returning a fixed chat
# completion on :9201), nginx as a plain proxy_pass (:9202) and with upstream keep-alive (:9204), and
# `rampart gateway run` (:9203: API key auth, a non-binding rate limit, secrets + PII checks on request and answer,
# audit log). Sets WORK, CLI, KEY and GW_PID, writes $WORK/post.json, and stops everything on exit.
# AUDIT_COMMIT_MS (default 0 = fsync before each answer) sets audit.commitIntervalMs of the gateway.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
WORK="$(mktemp -d /tmp/rampart-bench-gw.XXXXXX)"
trap 'kill $(cat "$WORK"/*.pid 2>/dev/null) 2>/dev/null || true; nginx -c "$WORK/nginx.conf" -s stop 2>/dev/null || true' EXIT
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1; pid $WORK/nginx.pid; error_log $WORK/nginx.err; events { worker_connections 1024; }
http { access_log off;
  server { listen 127.0.0.1:9201; location / { default_type application/json;
    return 200 '{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello there, nothing secret here"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}'; } }
  server { listen 127.0.0.1:9202; location / { proxy_pass http://127.0.0.1:9201; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  upstream keep { server 127.0.0.1:9201; keepalive 64; }
  server { listen 127.0.0.1:9204; location / { proxy_pass http://keep; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
NGINX
nginx -c "$WORK/nginx.conf"
[ "${SKIP_BUILD:-0}" = 1 ] || dotnet build src/Rampart.Cli -c Release -v q >/dev/null   # SKIP_BUILD=1: use the last Release build
CLI="dotnet src/Rampart.Cli/bin/Release/net10.0/rampart.dll"
KEY=$($CLI gateway keys create --file "$WORK/keys.json" --principal bench --role bench | head -1)
cat > "$WORK/gateway.yaml" <<YAML
listen: http://127.0.0.1:9203
auth: { apiKeys: keys.json }
audit: { directory: audit, bodies: none, commitIntervalMs: ${AUDIT_COMMIT_MS:-0} }
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
GW_PID=$(cat "$WORK/gw.pid")
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:9203/healthz >/dev/null && break; sleep 0.2; done
printf '%s' '{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"What is the capital of France? Answer in one word please."}]}' > "$WORK/post.json"
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$(cat "$WORK/post.json")'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
LUA
# CPU time (user + system, in microseconds) used so far by the given processes: CPU per request is a figure that a
# busy shared machine disturbs far less than requests/s.
cpu_us() { local t=0 p; for p in "$@"; do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done; echo $(( t * 1000000 / $(getconf CLK_TCK) )); }
NGINX_PIDS="$(cat "$WORK/nginx.pid") $(pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' ')"
# hey at a fixed total rate: $1 = seconds, $2 = requests/s, $3 = URL (10 workers, each at rate/10).
fixed_rate() { hey -z "$1s" -c 10 -q "$(( $2 / 10 ))" -m POST -T application/json -H "Authorization: Bearer $KEY" -D "$WORK/post.json" "$3"; }
