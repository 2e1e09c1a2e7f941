#!/usr/bin/env bash
# Dashboard render benchmark: 10,000 model versions, every page requested 100 times over HttpClient (server-side
# render + loopback), p50/p95 per page beside GET /healthz of the same server. Writes bench/results/dashboard.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSIONS="${1:-10000}"
ROUNDS="${2:-100}"
CONFIG="${CONFIG:-Release}"
dotnet build bench/dashboard -c "$CONFIG" -v q -nologo >/dev/null
{
  echo "# Dashboard render time ($(date -u +%Y-%m-%d), $(nproc) cores)"
  echo
  echo "Command: \`CONFIG=$CONFIG bench/dashboard/run.sh $VERSIONS $ROUNDS\`. SQLite, in-process server on loopback, one client, sequential requests."
  echo
  dotnet "bench/dashboard/bin/$CONFIG/net10.0/DashboardBench.dll" "$VERSIONS" "$ROUNDS"
} | tee bench/results/dashboard.md
