#!/usr/bin/env bash
# Memory benchmark for the pickle emulator (issue 17 item 6): peak RSS of `rampart scan` over the process baseline,
# as a ratio of the pickle's size, for several pickle shapes; target <= 3x. The current build is compared with a
# reference commit (default 17dde87, main before the value-stack rework) built from `git archive` in a temp folder,
# in the same run. Writes bench/results/<date>-pickle-memory.md.
#   REF=<commit> RUNS=3 bench/pickle-memory/run.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ref=${REF:-17dde87}
work=${BENCH_WORK:-$root/bench/work}/pickle-memory
mkdir -p "$work"
cd "$root"

dotnet build -c Release src/Rampart.Cli/Rampart.Cli.csproj -nologo -v q
refdir=$(mktemp -d /tmp/rampart-ref.XXXXXX)
trap 'rm -rf "$refdir"' EXIT
git archive "$ref" | tar -x -C "$refdir"
(cd "$refdir" && dotnet build -c Release src/Rampart.Cli/Rampart.Cli.csproj -nologo -v q)

/usr/bin/python3 bench/pickle-memory/generate.py "$work"
/usr/bin/python3 bench/pickle-memory/measure.py "$root/bench/results/$(date -u +%Y-%m-%d)-pickle-memory.md" \
  "$ref=$refdir/src/Rampart.Cli/bin/Release/net10.0/rampart.dll" \
  "branch=$root/src/Rampart.Cli/bin/Release/net10.0/rampart.dll" \
  -- "$work"/*.pkl
