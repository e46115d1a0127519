#!/usr/bin/env bash
# Runs every Capstan test. Installs the Debian packages the tests use (git, git-flow, chromium,
# postgresql, ngircd, prosody, …) and the build needs (gcc and libc6-dev: the linker of the Native AOT
# `capstan` executable, when clang is absent) when they are missing, then runs `dotnet test` on the solution and
# prints one line "N passed, N failed[, N skipped]" counted from the TRX results.
set -euo pipefail
cd "$(dirname "$0")"

# shellcheck source=build/debian-packages.sh
. build/debian-packages.sh
need_packages git git-flow chromium sqlite3 fonts-dejavu-core postgresql gcc libc6-dev ngircd prosody

results="$PWD/TestResults"
rm -rf "$results"
export CAPSTAN_CHROMIUM="${CAPSTAN_CHROMIUM:-/usr/bin/chromium}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
set +e
dotnet test Capstan.slnx --nologo -c Release --logger "trx" --results-directory "$results" "$@"
status=$?
set -e

passed=0; failed=0; skipped=0
for f in "$results"/*.trx; do
  [ -f "$f" ] || continue
  line=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$line"); f2=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$line")
  nx=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$line"); err=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$line")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f2:-0} + ${err:-0})); skipped=$((skipped + ${nx:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "test.sh: dotnet test exited $status (build or run error)"; fi
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
exit "$status"
