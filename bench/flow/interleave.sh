#!/usr/bin/env bash
# Two capstan builds side by side on one repository, interleaved so both see the same load:
#   bench/flow/interleave.sh BEFORE_CAPSTAN AFTER_CAPSTAN REPO [ROUNDS]
# Per round, for each build: a cold version (--no-cache), then a new empty commit and the version after it (the result
# cache misses), then the same command again (cached; the refs changed less than 5 s ago, so keyed by content).
# Prints one line per run: build, case, wall seconds, CPU seconds (user + sys) and peak resident KB (/usr/bin/time).
# The repository gains ROUNDS x 2 empty commits on its checked-out branch. The load average is printed before and after.
set -euo pipefail
before="$1" after="$2" repo="$3" rounds="${4:-5}"
t() { /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.3f s wall  %.3f s CPU  %d KB", $1, $2 + $3, $4}'; }
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$rounds"); do
  for b in before after; do
    bin=${!b}
    echo "$b cold    $(t "$bin" version --repo "$repo" --no-cache --show-variable FullSemVer)"
  done
  for b in before after; do
    bin=${!b}
    git -C "$repo" -c user.name=Bench -c user.email=bench@example.com commit -q --allow-empty -m "round $i $b"
    echo "$b after1  $(t "$bin" version --repo "$repo" --show-variable FullSemVer)"
    echo "$b cached  $(t "$bin" version --repo "$repo" --show-variable FullSemVer)"
  done
done
# Both builds must give the same answer on the final state.
cmp <("$before" version --repo "$repo" --no-cache) <("$after" version --repo "$repo" --no-cache) && echo "same answer: $("$after" version --repo "$repo" --no-cache --show-variable FullSemVer)"
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
