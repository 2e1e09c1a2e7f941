#!/usr/bin/env bash
# Runs Rampart in CI (used by action.yml and the GitLab template; docs/ci.md). Scans once and writes SARIF and, when
# asked, GitLab's code-quality JSON from that same scan (--also); prints one line per report; exits with rampart's exit
# code (0 clean, 1 findings, 2 inconclusive,
# 3 usage), or writes it to $GITHUB_OUTPUT and exits 0 when RAMPART_DEFER_EXIT=1 (so the SARIF upload still runs).
#
# Environment (all optional):
#   RAMPART_COMMAND      scan (default) or audit
#   RAMPART_PATHS        what to scan, space-separated (default: .)
#   RAMPART_FAIL_ON      info|low|medium|high|critical (default: medium)
#   RAMPART_SARIF        SARIF file to write (default: rampart.sarif)
#   RAMPART_CODEQUALITY  GitLab code-quality JSON file to write (default: none)
#   RAMPART_ARGS         extra arguments for rampart (e.g. --policy rampart.yaml)
#   RAMPART_VERSION      version of the `rampart` dotnet tool to install when rampart is not on PATH
#   RAMPART_SOURCE       extra NuGet source (folder or URL) to install the tool from
set -uo pipefail

if ! command -v rampart >/dev/null 2>&1; then
  tool_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/rampart-tool"
  dotnet tool install --tool-path "$tool_dir" rampart \
    ${RAMPART_VERSION:+--version "$RAMPART_VERSION"} ${RAMPART_SOURCE:+--add-source "$RAMPART_SOURCE"} >&2 || exit 3
  export PATH="$tool_dir:$PATH"
fi

command="${RAMPART_COMMAND:-scan}"
case "$command" in scan|audit) ;; *) echo "rampart-ci: RAMPART_COMMAND must be scan or audit (got '$command')" >&2; exit 3 ;; esac
read -r -a paths <<< "${RAMPART_PATHS:-.}"
read -r -a extra <<< "${RAMPART_ARGS:-}"
sarif="${RAMPART_SARIF:-rampart.sarif}"

also=()
if [ -n "${RAMPART_CODEQUALITY:-}" ]; then
  also=(--also "codequality=$RAMPART_CODEQUALITY")
fi

rampart "$command" "${paths[@]}" "${extra[@]}" --fail-on "${RAMPART_FAIL_ON:-medium}" --no-progress --format sarif --output "$sarif" "${also[@]}"
code=$?

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "exit-code=$code"; echo "sarif-file=$sarif"; } >> "$GITHUB_OUTPUT"
fi
if [ "${RAMPART_DEFER_EXIT:-0}" = "1" ]; then
  exit 0
fi
exit "$code"
