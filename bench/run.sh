#!/usr/bin/env bash
# Builds Rampart (Release), generates the benchmark inputs under bench/work/ (git-ignored, ~4.3 GB) and times each
# benchmark against its reference command in the same run; writes bench/results/<date>.md.
#   RUNS=5 SLOW_RUNS=3 bench/run.sh        repetitions (SLOW_RUNS for the ~100 MB pickle pairs, whose reference takes minutes)
#   ONLY=b-torch-4gib-vs-4mib bench/run.sh  run some pairs only (comma-separated names)
#   BDN=1 bench/run.sh                      also run the BenchmarkDotNet suite (bench/Rampart.Benchmarks)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${BENCH_WORK:-$root/bench/work}
cd "$root"

dotnet build -c Release src/Rampart.Cli/Rampart.Cli.csproj -nologo -v q
rampart_dll=$root/src/Rampart.Cli/bin/Release/net10.0/rampart.dll
/usr/bin/python3 bench/generate.py "$work"
/usr/bin/python3 bench/measure.py "$rampart_dll" "$work" "$root/bench/results"

if [[ "${BDN:-0}" == 1 ]]; then
  dotnet run -c Release --project bench/Rampart.Benchmarks -- --filter '*' --artifacts "$work/bdn"
  date=$(date -u +%Y-%m-%d)
  for report in "$work"/bdn/results/*-report-github.md; do
    cp "$report" "$root/bench/results/$date-bdn-$(basename "$report" -report-github.md | sed 's/.*\.//').md"
  done
fi
