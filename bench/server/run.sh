#!/usr/bin/env bash
# Registry benchmark (issue 14): upload + scan of a large model against `cp` of the same file in the same run
# (target: within 2x), and API latency percentiles with many registered versions.
#   BENCH_SIZE_MB   model size (default 2048)           BENCH_VERSIONS  versions to register (default 10000)
#   BENCH_SAMPLES   requests timed per endpoint (1000)  BENCH_DIR       scratch folder on the disk to measure (/tmp)
#   RAMPART_DLL     rampart.dll to run (default: Release build, made if missing)
# Prints a Markdown report with the machine's load; the ratio is what to compare across machines.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
size_mb="${BENCH_SIZE_MB:-2048}"
versions="${BENCH_VERSIONS:-10000}"
samples="${BENCH_SAMPLES:-1000}"
dll="${RAMPART_DLL:-$root/src/Rampart.Cli/bin/Release/net10.0/rampart.dll}"
if [[ ! -f "$dll" ]]; then
  dotnet build "$root/src/Rampart.Cli" -c Release -v q -nologo >&2
fi

work="$(mktemp -d "${BENCH_DIR:-/tmp}/rampart-bench.XXXXXX")"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

start_server() { # data folder -> sets url and server_pid
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  url="http://127.0.0.1:$port"
  RAMPART_ADMIN_PASSWORD=bench-admin-password dotnet "$dll" server --data "$1" --listen "$url" >"$1.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    curl -fs "$url/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "server did not start; log: $(tail -5 "$1.log")" >&2
  exit 1
}

stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

seconds() { python3 -c 'import time; print(time.monotonic())'; }

echo "# rampart server benchmark"
echo
echo "- date: $(date -u +%FT%TZ); host: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- rampart: $dll; scratch: $work ($(df -h "$work" | awk 'NR==2 {print $1}'))"
echo

# 1. A safetensors model of size_mb MiB (one F32 tensor; incompressible bytes, not a sparse file).
model="$work/model.safetensors"
python3 - "$model" "$size_mb" <<'PY'
import json, os, struct, sys
path, mib = sys.argv[1], int(sys.argv[2])
size = mib << 20
header = json.dumps({"weight": {"dtype": "F32", "shape": [size // 4], "data_offsets": [0, size]}}).encode()
header += b" " * (-len(header) % 8)
block = os.urandom(1 << 20)
with open(path, "wb") as out:
    out.write(struct.pack("<Q", len(header)) + header)
    for _ in range(mib):
        out.write(block)
PY

start_server "$work/data"
token="$(python3 "$here/setup_token.py" "$url" bench-admin-password bench)"

# Neither side calls fsync (the server does not sync blobs either), so both are measured to the page cache.
t0="$(seconds)"; cp "$model" "$work/copy.safetensors"; t1="$(seconds)"
RAMPART_TOKEN="$token" dotnet "$dll" push "$model" --server "$url" --project bench --artifact big --version 1 --wait >"$work/push.log"
t2="$(seconds)"
state="$(grep -o 'gate: [a-z-]*' "$work/push.log" || true)"
python3 - "$t0" "$t1" "$t2" "$size_mb" "$state" <<'PY'
import sys
t0, t1, t2, mib, state = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
cp, push = t1 - t0, t2 - t1
print("## Upload + scan of a %d MiB model vs cp (same run)" % mib)
print()
print("| step | seconds | MiB/s |")
print("| --- | --- | --- |")
print("| cp | %.2f | %.0f |" % (cp, mib / cp))
print("| rampart push --wait (upload, digest, gate scan; %s) | %.2f | %.0f |" % (state, push, mib / push))
print()
print("ratio push/cp: **%.2fx** (target within 2x)" % (push / cp))
print()
PY
echo "- load after the upload: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
stop_server

# 2. API latency with many versions (a fresh server, so the big model does not weigh on it).
start_server "$work/data-api"
token="$(python3 "$here/setup_token.py" "$url" bench-admin-password api)"
echo "## API latency with $versions registered versions"
echo
python3 "$here/api_p95.py" "$url" "$token" api "$versions" "$samples"
echo
echo "- load after: $(cut -d' ' -f1-3 /proc/loadavg)"
