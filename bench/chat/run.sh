#!/usr/bin/env bash
# Chat command round trip: Capstan vs Hubot 14 (Shell adapter), same machine, same run, same N.
#   bench/chat/run.sh                     N=2000 messages per mode, 200 warm-up, 16 concurrent clients
#   N=5000 WARMUP=3000 CLIENTS=32 bench/chat/run.sh
# Capstan: `capstan up` on a fresh temporary data folder and a free port; capstan-load posts `whoami` to
# POST /api/rooms/ops/messages over raw HTTP/1.1 keep-alive sockets (each answer arrives only after the message, command,
# policy decision and reply are durable in the SQLite ledger). Hubot: hubot/drive.mjs pipes
# `hubot whoami N` into `hubot -a Shell -d -n hubot`. Afterwards `capstan ledger verify` must find every
# entry intact. Two floors are measured in the same run, so the ratios can be read against what this machine allows:
#   the HTTP floor  bench/chat/HttpFloor answers the same endpoint with Capstan's own answer bytes and does nothing
#                   else (same Kestrel and runtime settings), driven by the same capstan-load;
#   the disk floor  `capstan-load sync` times a 4 KiB overwrite + fsync in the data folder's file system.
# Disk: the data folder's capstan.db and its WAL are measured right after the load and again once the server has been
# idle (its checkpoint truncates the WAL; polled for up to IDLE_WAIT seconds), and divided by the answered messages.
# ONLY=capstan runs the Capstan side alone (no HTTP floor, no Hubot), for disk figures when npm is not at hand.
# Prints the JSON of all drivers, then a Markdown table with the ratios.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
N="${N:-2000}"; WARMUP="${WARMUP:-200}"; CLIENTS="${CLIENTS:-16}"; IDLE_WAIT="${IDLE_WAIT:-20}"; ONLY="${ONLY:-}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== building Capstan and capstan-load (Release)" >&2
dotnet build "$root/src/Capstan/Capstan.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
dotnet build "$here/CapstanLoad/CapstanLoad.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
dotnet build "$here/HttpFloor/HttpFloor.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
capstan="$root/src/Capstan/bin/Release/net10.0/capstan"
load="$here/CapstanLoad/bin/Release/net10.0/capstan-load"
floor="$here/HttpFloor/bin/Release/net10.0/http-floor"
if [ -z "$ONLY" ] && [ ! -d "$here/hubot/node_modules/hubot" ]; then
  echo "== installing hubot 14 (npm ci)" >&2
  (cd "$here/hubot" && npm ci --no-audit --no-fund >&2)
fi

work="$(mktemp -d)"
data="$work/data"
pid=""
floor_pid=""
stop() { if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then kill -TERM "$1"; wait "$1" 2>/dev/null || true; fi; }
cleanup() { stop "$pid"; stop "$floor_pid"; rm -rf "$work"; }
trap cleanup EXIT

echo "== capstan up --data $data --port 0" >&2
"$capstan" up --data "$data" --port 0 >"$work/up.log" 2>&1 &
pid=$!
for _ in $(seq 300); do [ -s "$data/server.json" ] && break; kill -0 "$pid" 2>/dev/null || { cat "$work/up.log" >&2; exit 1; }; sleep 0.1; done
url="$(sed -n 's/.*"Url":"\([^"]*\)".*/\1/p' "$data/server.json")"
token="$("$capstan" token create --data "$data" --person bob | grep -o 'cap_[A-Za-z0-9_-]*' | head -1)"
[ -n "$url" ] && [ -n "$token" ] || { echo "could not start Capstan or create a token" >&2; cat "$work/up.log" >&2; exit 1; }

echo "== Capstan: $N messages per mode (warm-up $WARMUP), sequential and $CLIENTS clients, at $url" >&2
"$load" --url "$url" --token "$token" --text whoami --n "$N" --warmup "$WARMUP" --clients "1,$CLIENTS" >"$work/capstan.json"
curl -sf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"text":"whoami"}' "$url/api/rooms/ops/messages" >"$work/answer.json"
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
disk() { echo "{\"db\": $(size "$data/capstan.db"), \"wal\": $(size "$data/capstan.db-wal")}"; }
after_run="$(disk)"
echo "== disk right after the load: $after_run; waiting up to ${IDLE_WAIT}s for the idle checkpoint" >&2
for _ in $(seq $(( IDLE_WAIT * 10 ))); do [ "$(size "$data/capstan.db-wal")" -le 4194304 ] && break; sleep 0.1; done
sleep 1   # a checkpoint that just finished has written everything it will
after_idle="$(disk)"
echo "== disk after idle: $after_idle" >&2
echo "{\"afterRun\": $after_run, \"afterIdle\": $after_idle}" >"$work/disk.json"
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
echo "== capstan ledger verify" >&2
verify="$("$capstan" ledger verify --data "$data")" || { echo "$verify" >&2; echo "LEDGER VERIFY FAILED" >&2; exit 1; }
echo "$verify" >&2
if [ -n "$ONLY" ]; then
  cat "$work/capstan.json" "$work/disk.json"
  CAP="$work/capstan.json" DISK="$work/disk.json" node --input-type=module -e '
import { readFileSync } from "node:fs"
const cap = JSON.parse(readFileSync(process.env.CAP, "utf8")), disk = JSON.parse(readFileSync(process.env.DISK, "utf8"))
const answered = cap.modes.reduce((s, m) => s + cap.warmup + m.n - m.errors, 0) + 1 // warm-ups, measured, the curl
const per = (d) => Math.round((d.db + d.wal) / answered), mb = (b) => (b / 1048576).toFixed(1) + " MB"
console.log(`\n| mode | Capstan msg/s | p50 ms | p99 ms | errors | disk B/msg (whole run: after load / after idle) |\n|---|---:|---:|---:|---:|---:|`)
for (const m of cap.modes) console.log(`| ${m.mode} (${m.clients}) | ${m.msgPerSec} | ${m.p50Ms} | ${m.p99Ms} | ${m.errors} | ${per(disk.afterRun)} / ${per(disk.afterIdle)} |`)
console.log(`\nDisk for ${answered} answered messages: right after the load db ${mb(disk.afterRun.db)} + WAL ${mb(disk.afterRun.wal)} = ${per(disk.afterRun)} bytes per message; after idle db ${mb(disk.afterIdle.db)} + WAL ${mb(disk.afterIdle.wal)} = ${per(disk.afterIdle)} bytes per message.`)
'
  exit 0
fi
echo "== HTTP floor: the same endpoint answered with Capstan's own answer bytes, nothing else done" >&2
"$floor" --answer "$work/answer.json" --url-file "$work/floor.url" >"$work/floor.log" 2>&1 &
floor_pid=$!
for _ in $(seq 300); do [ -s "$work/floor.url" ] && break; kill -0 "$floor_pid" 2>/dev/null || { cat "$work/floor.log" >&2; exit 1; }; sleep 0.1; done
"$load" --url "$(cat "$work/floor.url")" --token none --text whoami --n "$N" --warmup "$WARMUP" --clients "1,$CLIENTS" >"$work/floor.json"
stop "$floor_pid"; floor_pid=""
echo "== disk floor: 4 KiB overwrite + fsync in the data folder" >&2
"$load" sync --dir "$data" --n 2000 >"$work/sync.json"
echo "== Hubot 14: $N messages per mode (warm-up $WARMUP), sequential, $CLIENTS in flight, all at once" >&2
node "$here/hubot/drive.mjs" --n "$N" --warmup "$WARMUP" --clients "$CLIENTS" >"$work/hubot.json"

expected=$(( (2 * (N + WARMUP)) * 4 ))   # per message: message (naming its token), command, decision, reply

cat "$work/capstan.json" "$work/disk.json" "$work/floor.json" "$work/sync.json" "$work/hubot.json"
CAP="$work/capstan.json" DISK="$work/disk.json" FLOOR="$work/floor.json" SYNC="$work/sync.json" HUB="$work/hubot.json" VERIFY="$verify" EXPECTED="$expected" CPUS="$(nproc)" node --input-type=module -e '
import { readFileSync } from "node:fs"
const cap = JSON.parse(readFileSync(process.env.CAP, "utf8")), hub = JSON.parse(readFileSync(process.env.HUB, "utf8"))
const floor = JSON.parse(readFileSync(process.env.FLOOR, "utf8")), sync = JSON.parse(readFileSync(process.env.SYNC, "utf8"))
const disk = JSON.parse(readFileSync(process.env.DISK, "utf8"))
const answered = cap.modes.reduce((s, m) => s + cap.warmup + m.n - m.errors, 0) + 1 // warm-ups, measured, the curl
const per = (d) => Math.round((d.db + d.wal) / answered), mb = (b) => (b / 1048576).toFixed(1) + " MB"
const find = (d, mode) => d.modes.find((m) => m.mode === mode)
const r = (a, b) => (a / b).toFixed(2) + "×"
const checked = Number((/(\d+) entries/.exec(process.env.VERIFY) ?? [])[1] ?? 0)
console.log(`\n### Chat command round trip — N=${cap.n}, warm-up ${cap.warmup}, ${process.env.CPUS} CPUs, hubot ${hub.hubot} on node ${hub.node}\n`)
console.log("| mode | Capstan msg/s | Capstan disk B/msg (whole run: after load / after idle) | Hubot msg/s | throughput Capstan/Hubot | Capstan p50 ms | Hubot p50 ms | Capstan p99 ms | Hubot p99 ms | p99 Capstan/Hubot | HTTP floor msg/s | floor/Hubot |")
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for (const mode of ["sequential", "concurrent"]) {
  const c = find(cap, mode), h = find(hub, mode), f = find(floor, mode)
  const label = mode === "sequential" ? "sequential (1 at a time)" : `concurrent (${c.clients} clients / ${h.clients} in flight)`
  console.log(`| ${label} | ${c.msgPerSec} | ${per(disk.afterRun)} / ${per(disk.afterIdle)} | ${h.msgPerSec} | ${r(c.msgPerSec, h.msgPerSec)} | ${c.p50Ms} | ${h.p50Ms} | ${c.p99Ms} | ${h.p99Ms} | ${r(c.p99Ms, h.p99Ms)} | ${f.msgPerSec} | ${r(f.msgPerSec, h.msgPerSec)} |`)
}
const a = find(hub, "all-at-once")
console.log(`| Hubot all ${a.n} written at once | — | — | ${a.msgPerSec} | — | — | ${a.p50Ms} | — | ${a.p99Ms} | — | — | — |`)
console.log(`\nDisk floor: a 4 KiB overwrite + fsync in the data folder takes ${sync.p50Us} µs (p50; p99 ${sync.p99Us} µs): one client waiting for each durable answer gets at most ${sync.syncsPerSec} answers a second, before any other work. The HTTP floor answers the same endpoint with the bytes Capstan answered and does nothing else.`)
console.log(`\nCapstan disk for ${answered} answered messages: right after the load capstan.db ${mb(disk.afterRun.db)} + WAL ${mb(disk.afterRun.wal)}; after idle ${mb(disk.afterIdle.db)} + WAL ${mb(disk.afterIdle.wal)}.`)
console.log(`\nCapstan errors: ${cap.modes.reduce((s, m) => s + m.errors, 0)}. Ledger: ${process.env.VERIFY} (at least ${process.env.EXPECTED} expected from the benchmark: message, command, decision, reply per message).`)
if (checked < Number(process.env.EXPECTED)) { console.error("the ledger holds fewer entries than messages were answered"); process.exit(1) }
'
