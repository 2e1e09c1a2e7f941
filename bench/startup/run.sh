#!/usr/bin/env bash
# Start-up of the shipped forms, measured in one run on one machine: JIT (framework-dependent), ReadyToRun
# (self-contained) and NativeAOT, for `rampart --version`, `rampart hash tiny-file` and `rampart scan small.pkl`.
# Builds missing forms with build/build.sh (AOT needs clang and zlib1g-dev), then writes bench/results/startup.md.
#
#   bench/startup/run.sh            # RUNS=20 by default
#   RUNS=50 bench/startup/run.sh
#   SKIP_BUILD=1 bench/startup/run.sh   # use artifacts/{jit,r2r,aot} as they are
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  for form in jit r2r aot; do
    [ -x "artifacts/$form/rampart" ] || build/build.sh "$form" >&2 || echo "bench: the $form build failed; it is left out" >&2
  done
fi
python3 bench/startup/measure.py "${RUNS:-20}" bench/results/startup.md
