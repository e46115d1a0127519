// The Hubot 14 side of bench/chat: starts `hubot -a Shell -d -n hubot` with pipes, waits until its
// scripts have loaded, then measures the `whoami` round trip the way capstan-load does for Capstan:
//   sequential   one message at a time, each waiting for its reply;
//   window C     C messages in flight (a new one written as each reply arrives) — like C HTTP clients;
//   all at once  every message written at once, replies counted as they come.
// Usage: node drive.mjs [--n 2000] [--warmup 200] [--clients 16]   → prints JSON on stdout.
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const here = path.dirname(fileURLToPath(import.meta.url))
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []))
const N = parseInt(args.n ?? '2000')
const WARMUP = parseInt(args.warmup ?? '200')
const CLIENTS = parseInt(args.clients ?? '16')

// Hubot complains (harmlessly) about these when they are missing.
for (const d of ['configuration', 'src/scripts']) mkdirSync(path.join(here, d), { recursive: true })
if (!existsSync(path.join(here, '.hubot_history'))) writeFileSync(path.join(here, '.hubot_history'), '')

const hubot = spawn(process.execPath, [path.join(here, 'node_modules/hubot/bin/hubot'), '-a', 'Shell', '-d', '-n', 'hubot'], {
  cwd: here,
  env: { ...process.env, HUBOT_LOG_LEVEL: 'info' },
  stdio: ['pipe', 'pipe', 'pipe']
})
const ansi = /\x1b\[[0-9;]*[A-Za-z]/g
let ready
const loaded = new Promise((resolve) => { ready = resolve })
const waiting = new Map() // request id -> resolve(time)
let buffered = ''
let stderr = ''
const onLine = (line) => {
  const text = line.replace(ansi, '').replace(/^(hubot> )+/, '')
  if (text.includes('No external-scripts.json found')) ready()
  const m = /\(request (\d+)\)\s*$/.exec(text)
  if (m) {
    const done = waiting.get(m[1])
    if (done) { waiting.delete(m[1]); done(process.hrtime.bigint()) }
  }
}
hubot.stdout.setEncoding('utf8')
hubot.stdout.on('data', (chunk) => {
  buffered += chunk
  let i
  while ((i = buffered.indexOf('\n')) >= 0) { onLine(buffered.slice(0, i)); buffered = buffered.slice(i + 1) }
})
hubot.stderr.setEncoding('utf8')
hubot.stderr.on('data', (chunk) => { stderr += chunk; for (const l of chunk.split('\n')) onLine(l) })
hubot.on('exit', (code) => { if (code !== 0 && code !== null) { console.error(`hubot exited ${code}\n${stderr}`); process.exit(1) } })

let nextId = 0
const ask = () => {
  const id = String(++nextId)
  const sent = process.hrtime.bigint()
  const replied = new Promise((resolve) => waiting.set(id, resolve))
  hubot.stdin.write(`hubot whoami ${id}\n`)
  return replied.then((t) => Number(t - sent) / 1e6)
}

const summarise = (mode, clients, latencies, seconds) => {
  const sorted = [...latencies].sort((a, b) => a - b)
  const pct = (p) => Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))] * 1000) / 1000
  return { mode, clients, n: latencies.length, errors: 0, seconds: Math.round(seconds * 1000) / 1000, msgPerSec: Math.round(latencies.length / seconds * 10) / 10, p50Ms: pct(50), p99Ms: pct(99), maxMs: Math.round(sorted[sorted.length - 1] * 1000) / 1000 }
}

const windowed = async (n, clients) => {
  const latencies = []
  let issued = 0
  const start = process.hrtime.bigint()
  const worker = async () => { while (issued < n) { issued++; latencies.push(await ask()) } }
  await Promise.all(Array.from({ length: Math.min(clients, n) }, worker))
  return [latencies, Number(process.hrtime.bigint() - start) / 1e9]
}

const allAtOnce = async (n) => {
  const start = process.hrtime.bigint()
  const replies = []
  let lines = ''
  const ids = []
  for (let i = 0; i < n; i++) {
    const id = String(++nextId)
    ids.push(id)
    replies.push(new Promise((resolve) => waiting.set(id, resolve)).then((t) => Number(t - start) / 1e6))
    lines += `hubot whoami ${id}\n`
  }
  hubot.stdin.write(lines)
  const latencies = await Promise.all(replies)
  return [latencies, Number(process.hrtime.bigint() - start) / 1e9]
}

const timeout = setTimeout(() => { console.error(`hubot did not answer in time\n${stderr}`); hubot.kill(); process.exit(1) }, 300_000)
await loaded
const modes = []
await windowed(WARMUP, 1)
modes.push(summarise('sequential', 1, ...(await windowed(N, 1))))
await windowed(WARMUP, CLIENTS)
modes.push(summarise('concurrent', CLIENTS, ...(await windowed(N, CLIENTS))))
await allAtOnce(WARMUP)
modes.push(summarise('all-at-once', N, ...(await allAtOnce(N))))
clearTimeout(timeout)
hubot.stdin.write('\\q\n')
await new Promise((resolve) => hubot.on('exit', resolve))
console.log(JSON.stringify({ tool: 'hubot-drive', hubot: (await import('./node_modules/hubot/package.json', { with: { type: 'json' } })).default.version, node: process.version, text: 'whoami', n: N, warmup: WARMUP, modes }, null, 2))
