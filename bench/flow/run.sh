#!/usr/bin/env bash
# Flow benchmarks: `capstan version` vs GitVersion 6.8.2 and `capstan flow release finish` vs git-flow AVH.
#   bench/flow/run.sh [SIZES...]        default sizes: 1000 10000 100000
#   RUNS=5 bench/flow/run.sh 1000 10000
#   bench/flow/run.sh 1030000           the 1M case: 10,000 releases with a hotfix each (GitVersion runs once there)
#   COMMIT_GRAPH=1 bench/flow/run.sh 100000 1030000   with git's commit-graph file written first (see below)
# Builds synthetic GitFlow repositories with git fast-import (make-repo.py: feature merges, release
# branches merged --no-ff into main, annotated tags merged back into develop, ~1k tags and 500 stale
# branches at 100k commits; above 500k commits a release every ~100 commits, each with a hotfix), then times both
# tools on the same repositories in the same run. Generated repositories are kept in FLOW_WORK (default
# bench/.work/flow; the 1M one takes ~6 minutes to generate, so point FLOW_WORK at /tmp to keep it between runs).
# Prints a Markdown table (also written to bench/.work/flow-results.md). GitVersion runs up to GV_MAX commits
# (default 1100000), once per cell above GV_RUNS_MAX commits (default 100000): its 1M run takes about a minute.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${FLOW_WORK:-$root/bench/.work/flow}"
runs="${RUNS:-3}"
sizes=("$@"); [ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000 100000)
mkdir -p "$work"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 GIT_MERGE_AUTOEDIT=no

# The real capstan executable: publishing src/Capstan gives the Native AOT `capstan` (which runs the flow, version
# and changelog verbs measured here) beside capstan-server, the JIT app published ReadyToRun (precompiled, so a short
# command does not wait for the JIT). Set CAPSTAN=/path/to/capstan to measure another build (CAPSTAN=.../capstan-server
# for the JIT app). The harness hosts the in-process measurements. bench/flow/startup.py measures start-up interleaved.
dotnet build "$here/harness/FlowBench.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
harness="$here/harness/bin/Release/net10.0/capstan-flow-bench"
if [ -n "${CAPSTAN:-}" ]; then capstan="$CAPSTAN"
else
  dotnet publish "$root/src/Capstan/Capstan.csproj" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$work/../capstan-r2r" --nologo -v quiet -clp:ErrorsOnly >&2
  capstan="$work/../capstan-r2r/capstan"
fi
# GitVersion /nocache took over 15 minutes at 100k commits before 6.x; set GV_MAX to measure larger repositories with Capstan only.
gv_max="${GV_MAX:-1100000}"
gv_runs_max="${GV_RUNS_MAX:-100000}"
gv="${GITVERSION_DLL:-$HOME/.nuget/packages/gitversion.msbuild/6.8.2/tools/net10.0/gitversion.dll}"
if [ ! -f "$gv" ]; then
  dotnet restore "$root/tests/Capstan.Flow.Tests" --nologo -v quiet >&2
fi
command -v git-flow >/dev/null || { echo "git-flow (AVH) is missing: apt-get install -y git-flow" >&2; exit 1; }

# best wall-clock seconds of $runs runs, with that run's CPU seconds (user + sys): "WALL CPU"
measure() { # measure NAME PREPARE COMMAND   (RUNS=N before the call overrides the count for that call)
  local name="$1" prepare="$2" cmd="$3" best="" cpu="" count="${RUNS:-$runs}"
  for _ in $(seq "$count"); do
    [ -n "$prepare" ] && bash -c "$prepare" >/dev/null 2>&1
    /usr/bin/time -o "$work/$name.time" -f "%e %U %S" bash -c "$cmd" >/dev/null 2>&1 || true
    local w u s; read -r w u s < <(tail -1 "$work/$name.time")
    if [ -z "$best" ] || (( $(echo "$w < $best" | bc) )); then best=$w; cpu=$(echo "$u + $s" | bc); fi
  done
  printf "%.2f %.2f\n" "$best" "$cpu"
}
fmt() { read -r w c <<<"$1"; echo "${w} s (CPU ${c} s)"; }
wall() { echo "${1%% *}"; }
peak_mb() { /usr/bin/time -f "%M" bash -c "$1" 2>&1 >/dev/null | tail -1 | awk '{printf "%.0f", $1/1024}'; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.1f}x' if b>0 else '-')" "$1" "$2"; }

out="$work/../flow-results.md"
{
echo "| commits | tags | branches | capstan cold (no caches) | capstan after 1 new commit (saved graph) | capstan warm, refs just changed (content key) | capstan warm, refs settled (stat key) | GitVersion /nocache | GitVersion cached | cold ratio | warm ratio | peak MB capstan / GitVersion |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} > "$out"
for n in "${sizes[@]}"; do
  repo="$work/repo-$n"
  if [ ! -d "$repo/.git" ]; then
    tags=$(( n / 100 )); [ $tags -gt 1000 ] && tags=1000; [ $tags -lt 5 ] && tags=5
    branches=500; [ $n -lt 10000 ] && branches=50
    hotfix=0; [ $n -gt 500000 ] && { tags=$(( n / 100 )); hotfix=1; }
    git init -q -b main "$repo"
    python3 "$here/make-repo.py" "$n" "$tags" "$branches" "$hotfix" | git -C "$repo" fast-import --quiet
    git -C "$repo" checkout -q -f develop
  fi
  # COMMIT_GRAPH=1: with git's commit-graph file (what `git gc` and `git maintenance` write), which capstan reads instead of
  # inflating every commit; by default the repositories have none (fast-import writes none), the worst case.
  if [ "${COMMIT_GRAPH:-0}" = 1 ]; then git -C "$repo" commit-graph write --reachable
  else rm -rf "$repo/.git/objects/info/commit-graph" "$repo/.git/objects/info/commit-graphs"; fi
  ntags=$(git -C "$repo" tag | wc -l); nbranches=$(git -C "$repo" branch | wc -l)
  rm -rf "$repo/.git/capstan-version-cache" "$repo/.git/gitversion_cache"
  c_cold=$(measure "capstan-cold-$n" "" "$capstan version --repo $repo --no-cache --show-variable FullSemVer")
  "$capstan" version --repo "$repo" --show-variable FullSemVer >/dev/null
  c_incr=$(measure "capstan-incremental-$n" "git -C $repo -c user.name=Bench -c user.email=bench@example.com commit -q --allow-empty -m 'one more'" \
    "$capstan version --repo $repo --show-variable FullSemVer")
  # Warm right after the last commit: the refs changed less than 5 s ago, so the cache is keyed by their contents.
  "$capstan" version --repo "$repo" --show-variable FullSemVer >/dev/null
  c_fresh=$(measure "capstan-warm-fresh-$n" "" "$capstan version --repo $repo --show-variable FullSemVer")
  # Warm once the refs have settled (unchanged for 5 s): keyed by the ref files' names, sizes and times.
  sleep 6
  "$capstan" version --repo "$repo" --show-variable FullSemVer >/dev/null
  c_warm=$(measure "capstan-warm-$n" "" "$capstan version --repo $repo --show-variable FullSemVer")
  c_mem=$(peak_mb "$capstan version --repo $repo --no-cache --show-variable FullSemVer")
  if [ "$n" -le "$gv_max" ]; then
    gv_runs=$runs; [ "$n" -gt "$gv_runs_max" ] && gv_runs=1
    g_cold=$(RUNS=$gv_runs measure "gitversion-cold-$n" "" "dotnet $gv $repo /nocache /showvariable FullSemVer")
    dotnet "$gv" "$repo" /showvariable FullSemVer >/dev/null
    g_warm=$(RUNS=$gv_runs measure "gitversion-warm-$n" "" "dotnet $gv $repo /showvariable FullSemVer")
    g_mem=$(peak_mb "dotnet $gv $repo /nocache /showvariable FullSemVer")
    same=$([ "$("$capstan" version --repo "$repo" --no-cache --show-variable FullSemVer)" = "$(dotnet "$gv" "$repo" /nocache /showvariable FullSemVer)" ] && echo "" || echo " (versions differ!)")
    echo "| $n | $ntags | $nbranches | $(fmt "$c_cold") | $(fmt "$c_incr") | $(fmt "$c_fresh") | $(fmt "$c_warm") | $(fmt "$g_cold") | $(fmt "$g_warm") | $(ratio "$(wall "$g_cold")" "$(wall "$c_cold")") | $(ratio "$(wall "$g_warm")" "$(wall "$c_warm")") | $c_mem / $g_mem |$same" >> "$out"
  else
    echo "| $n | $ntags | $nbranches | $(fmt "$c_cold") | $(fmt "$c_incr") | $(fmt "$c_fresh") | $(fmt "$c_warm") | not run (> GV_MAX) | – | – | – | $c_mem / – |" >> "$out"
  fi
done
inc_ms=$("$harness" bench-version "$work/repo-${sizes[-1]}" "$runs")

# release finish: the same small repository with release/9.9.0 started, copied fresh before every run
template="$work/finish-template"
rm -rf "$template"; git init -q -b main "$template"
python3 "$here/make-repo.py" 200 5 5 | git -C "$template" fast-import --quiet
git -C "$template" checkout -q -f develop
git -C "$template" config user.name Bench; git -C "$template" config user.email bench@example.com
git -C "$template" flow init -d >/dev/null 2>&1
git -C "$template" branch -D -q "$(git -C "$template" branch --format='%(refname:short)' | grep '^release/')"
git -C "$template" checkout -q -b release/9.9.0 develop
git -C "$template" config gitflow.branch.release/9.9.0.base develop
echo bump > "$template/VERSION"; git -C "$template" add VERSION; git -C "$template" commit -q -m "bump 9.9.0"
t="$work/finish-copy"
a=$(measure finish-avh "rm -rf $t && cp -a $template $t" "cd $t && git flow release finish -m 'Release 9.9.0' 9.9.0")
c=$(measure finish-capstan "rm -rf $t && cp -a $template $t" "$capstan flow release finish --repo $t -m 'Release 9.9.0' 9.9.0")
ms=$("$harness" bench-finish "$template" "$runs" 9.9.0)
inproc=$(python3 -c "import sys; print(f'{float(sys.argv[1])/1000:.3f}')" "$ms")
{
echo
echo "In-process (as the chat server runs it), one new commit then \`version\` on ${sizes[-1]} commits: ${inc_ms} ms mean."
echo
echo "| operation | git-flow AVH 1.12.3 | capstan (new process) | ratio | capstan in-process (server) | ratio |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| release finish (merge --no-ff, annotated tag, back-merge, delete) | $(fmt "$a") | $(fmt "$c") | $(ratio "$(wall "$a")" "$(wall "$c")") | ${inproc} s | $(ratio "$(wall "$a")" "$inproc") |"
echo
echo "Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end of the run; best of $runs runs each (wall clock, with that run's CPU time); git's commit-graph file: $([ "${COMMIT_GRAPH:-0}" = 1 ] && echo written || echo none)."
} >> "$out"
cat "$out"
