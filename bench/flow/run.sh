#!/usr/bin/env bash
# Flow benchmarks: `capstan version` vs GitVersion 6.8.2 and `capstan flow release finish` vs git-flow AVH.
#   bench/flow/run.sh [SIZES...]        default sizes: 1000 10000 100000
#   RUNS=5 bench/flow/run.sh 1000 10000
# Builds synthetic GitFlow repositories with git fast-import (make-repo.py: feature merges, release
# branches merged --no-ff into main, annotated tags merged back into develop, ~1k tags and 500 stale
# branches at 100k commits), then times both tools on the same repositories in the same run.
# Prints a Markdown table (also written to bench/.work/flow-results.md). Uses hyperfine when installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$root/bench/.work/flow"
runs="${RUNS:-3}"
sizes=("$@"); [ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000 100000)
mkdir -p "$work"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 GIT_MERGE_AUTOEDIT=no

# The capstan executable when it is runnable, otherwise a small host of the same FlowVerbs.
if [ -n "${CAPSTAN:-}" ]; then capstan="$CAPSTAN"
else
  dotnet build "$here/harness/FlowBench.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
  capstan="$here/harness/bin/Release/net10.0/capstan-flow-bench"
fi
gv="${GITVERSION_DLL:-$HOME/.nuget/packages/gitversion.msbuild/6.8.2/tools/net10.0/gitversion.dll}"
if [ ! -f "$gv" ]; then
  dotnet restore "$root/tests/Capstan.Flow.Tests" --nologo -v quiet >&2
fi
command -v git-flow >/dev/null || { echo "git-flow (AVH) is missing: apt-get install -y git-flow" >&2; exit 1; }

# mean wall seconds of a command: hyperfine when available, else the best of $runs runs
measure() { # measure NAME PREPARE COMMAND
  local name="$1" prepare="$2" cmd="$3"
  if command -v hyperfine >/dev/null; then
    local args=(--runs "$runs" --export-json "$work/$name.json" --style none)
    if [ -n "$prepare" ]; then args+=(--prepare "$prepare"); else args+=(-N); fi
    hyperfine "${args[@]}" "$cmd" >/dev/null 2>&1 || { echo "NaN"; return; }
    python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print(f\"{r['mean']:.3f}\")" "$work/$name.json"
  else
    local best=""
    for _ in $(seq "$runs"); do
      [ -n "$prepare" ] && bash -c "$prepare"
      local s e; s=$(date +%s.%N); bash -c "$cmd" >/dev/null 2>&1; e=$(date +%s.%N)
      local t; t=$(echo "$e - $s" | bc); if [ -z "$best" ] || (( $(echo "$t < $best" | bc) )); then best=$t; fi
    done
    printf "%.3f\n" "$best"
  fi
}
peak_mb() { /usr/bin/time -f "%M" bash -c "$1" 2>&1 >/dev/null | tail -1 | awk '{printf "%.0f", $1/1024}'; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.1f}x' if b>0 else '-')" "$1" "$2"; }

out="$work/../flow-results.md"
{
echo "| commits | tags | branches | capstan cold | capstan warm | GitVersion /nocache | GitVersion cached | cold ratio | warm ratio | capstan peak MB | GitVersion peak MB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} > "$out"
for n in "${sizes[@]}"; do
  repo="$work/repo-$n"
  if [ ! -d "$repo/.git" ]; then
    tags=$(( n / 100 )); [ $tags -gt 1000 ] && tags=1000; [ $tags -lt 5 ] && tags=5
    branches=500; [ $n -lt 10000 ] && branches=50
    git init -q -b main "$repo"
    python3 "$here/make-repo.py" "$n" "$tags" "$branches" | git -C "$repo" fast-import --quiet
    git -C "$repo" checkout -q -f develop
  fi
  ntags=$(git -C "$repo" tag | wc -l); nbranches=$(git -C "$repo" branch | wc -l)
  rm -rf "$repo/.git/capstan-version-cache" "$repo/.git/gitversion_cache"
  c_cold=$(measure "capstan-cold-$n" "" "$capstan version --repo $repo --no-cache --show-variable FullSemVer")
  "$capstan" version --repo "$repo" --show-variable FullSemVer >/dev/null
  c_warm=$(measure "capstan-warm-$n" "" "$capstan version --repo $repo --show-variable FullSemVer")
  g_cold=$(measure "gitversion-cold-$n" "" "dotnet $gv $repo /nocache /showvariable FullSemVer")
  dotnet "$gv" "$repo" /showvariable FullSemVer >/dev/null
  g_warm=$(measure "gitversion-warm-$n" "" "dotnet $gv $repo /showvariable FullSemVer")
  c_mem=$(peak_mb "$capstan version --repo $repo --no-cache --show-variable FullSemVer")
  g_mem=$(peak_mb "dotnet $gv $repo /nocache /showvariable FullSemVer")
  same=$([ "$("$capstan" version --repo "$repo" --no-cache --show-variable FullSemVer)" = "$(dotnet "$gv" "$repo" /nocache /showvariable FullSemVer)" ] && echo "" || echo " (versions differ!)")
  echo "| $n | $ntags | $nbranches | ${c_cold} s | ${c_warm} s | ${g_cold} s | ${g_warm} s | $(ratio "$g_cold" "$c_cold") | $(ratio "$g_warm" "$c_warm") | $c_mem | $g_mem |$same" >> "$out"
done

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
{
echo
echo "| operation | git-flow AVH 1.12.3 | capstan | ratio |"
echo "|---|---:|---:|---:|"
echo "| release finish (merge --no-ff, annotated tag, back-merge, delete) | ${a} s | ${c} s | $(ratio "$a" "$c") |"
echo
echo "Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end of the run; $runs runs each; times are wall-clock means."
} >> "$out"
cat "$out"
