#!/usr/bin/env bash
# Builds what Rampart ships. One script for developers, CI, the container recipe (Dockerfile) and the tests.
#
#   build/build.sh tool [OUT]   dotnet tool package (OUT/rampart.<version>.nupkg; default OUT=artifacts/nupkg)
#   build/build.sh jit  [OUT]   framework-dependent build (needs the .NET runtime; default OUT=artifacts/jit)
#   build/build.sh r2r  [OUT]   self-contained ReadyToRun build for linux-x64 (default OUT=artifacts/r2r)
#   build/build.sh aot  [OUT]   NativeAOT single native binary for linux-x64, without gateway, server, threats
#                               (needs clang and zlib1g-dev; default OUT=artifacts/aot)
#   build/build.sh all          all four
#
# Every output folder holds `rampart` (or the package) and docs/rules/*.md, the rule pages reports link to.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
PROJECT=src/Rampart.Cli/Rampart.Cli.csproj
CONFIGURATION="${CONFIGURATION:-Release}"
RID="${RID:-linux-x64}"

target="${1:-}"
out="${2:-}"
case "$target" in
  tool)
    dotnet pack "$PROJECT" -c "$CONFIGURATION" -o "${out:-artifacts/nupkg}" -p:PackAsTool=true
    ;;
  jit)
    dotnet publish "$PROJECT" -c "$CONFIGURATION" -o "${out:-artifacts/jit}"
    ;;
  r2r)
    dotnet publish "$PROJECT" -c "$CONFIGURATION" -r "$RID" --self-contained -o "${out:-artifacts/r2r}" -p:PublishReadyToRun=true
    ;;
  aot)
    dotnet publish "$PROJECT" -c "$CONFIGURATION" -r "$RID" -o "${out:-artifacts/aot}" -p:RampartAot=true
    ;;
  all)
    "$0" tool && "$0" jit && "$0" r2r && "$0" aot
    ;;
  *)
    sed -n '2,12p' "$0" >&2
    exit 3
    ;;
esac
