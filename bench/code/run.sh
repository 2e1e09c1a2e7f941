#!/usr/bin/env bash
# Code review benchmark: `rampart scan` over the .py files of every Python standard library on the machine
# (Debian's /usr/lib/python3.*, every pyenv version; site-/dist-packages excluded) against `cat` of the same files,
# in the same run. The files are reached through a folder of symbolic links (bench/work/code-stdlib/), so both
# commands read exactly the same files. Writes bench/results/<date>-code.md.
#   RUNS=3 bench/code/run.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=${BENCH_WORK:-$root/bench/work}/code-stdlib
cd "$root"
dotnet build -c Release src/Rampart.Cli/Rampart.Cli.csproj -nologo -v q
python3 bench/code/measure.py "$root/src/Rampart.Cli/bin/Release/net10.0/rampart.dll" "$work" "$root/bench/results" "${RUNS:-3}"
