// Hubot (3.5 with hubot-irc 0.4.2) against a real ngIRCd, measured the way bench/platforms measures Capstan's IRC adapter:
// 8 people's raw clients, each in its own channel, say "!whoami" and wait for the first line of the answer.
//   npm install && node bench.js [N=200] [CLIENTS=8]
// Starts ngIRCd (Debian's /usr/sbin/ngircd) on free ports with a generated config, and Hubot with the IRC adapter.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const N = parseInt(process.argv[2] || '200', 10);
const CLIENTS = parseInt(process.argv[3] || '8', 10);

const freePort = () => new Promise((ok) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); }); });
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

function client(port, nick, channel) {
  return new Promise((ok) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    const c = { sock, waiters: [], answers: 0, joined: false, hubotJoined: false };
    sock.setEncoding('utf8');
    sock.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        if (line.startsWith('PING')) sock.write('PONG' + line.slice(4) + '\r\n');
        if (/ 001 /.test(line)) sock.write(`JOIN ${channel}\r\n`);
        if (/ 366 /.test(line)) { c.joined = true; ok(c); }
        if (/^:hubot!\S+ JOIN/.test(line)) c.hubotJoined = true;
        if (/^:hubot!\S+ PRIVMSG \S+ :You are/.test(line)) { c.answers++; const w = c.waiters.shift(); if (w) w(); }
      }
    });
    sock.write(`NICK ${nick}\r\nUSER bob 0 * :bob\r\n`);
  });
}

function say(c, channel, text) {
  return new Promise((ok) => { c.waiters.push(ok); c.sock.write(`PRIVMSG ${channel} :${text}\r\n`); });
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubot-ngircd-'));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const conf = path.join(dir, 'ngircd.conf');
  fs.writeFileSync(conf, `[Global]\nName = irc.bench.test\nInfo = bench\nAdminInfo1 = bench\nListen = 127.0.0.1\nPorts = ${port}\n[Limits]\nMaxConnectionsIP = 0\nMaxNickLength = 20\n[Options]\nDNS = no\nIdent = no\nPAM = no\n`);
  fs.chmodSync(conf, 0o644);
  const ngircd = spawn('/usr/sbin/ngircd', ['--nodaemon', '--config', conf], { stdio: 'ignore' });
  await sleep(500);
  const channels = Array.from({ length: CLIENTS }, (_, i) => `#r${i}`);
  const people = [];
  for (let i = 0; i < CLIENTS; i++) people.push(await client(port, `bob${i}`, channels[i]));
  const env = { ...process.env, HUBOT_IRC_SERVER: '127.0.0.1', HUBOT_IRC_PORT: String(port), HUBOT_IRC_ROOMS: channels.join(','), HUBOT_IRC_NICK: 'hubot', HUBOT_IRC_UNFLOOD: 'false', HUBOT_LOG_LEVEL: process.env.HUBOT_LOG_LEVEL || 'error' };
  // Hubot 3's command is CoffeeScript: run it with the coffee it depends on.
  const coffee = path.join(__dirname, 'node_modules', '.bin', 'coffee');
  const hubotBin = path.join(__dirname, 'node_modules', 'hubot', 'bin', 'hubot');
  const before = Date.now();
  const stop = () => { try { hubot.kill(); } catch { /* gone */ } try { ngircd.kill(); } catch { /* gone */ } };
  process.on('exit', stop);
  const hubot = spawn(coffee, [hubotBin, '-a', 'irc', '-n', 'hubot', '--alias', '!', '-r', path.join(__dirname, 'scripts')], { env, cwd: __dirname, stdio: ['ignore', 'inherit', 'inherit'] });
  while (!people.every((p) => p.hubotJoined)) { if (Date.now() - before > 30000) throw new Error('Hubot did not join the channels'); await sleep(50); }
  for (let i = 0; i < Math.min(50, N); i++) await say(people[0], channels[0], '!whoami');
  const lat = [];
  for (let i = 0; i < Math.min(N, 200); i++) { const t = process.hrtime.bigint(); await say(people[0], channels[0], '!whoami'); lat.push(Number(process.hrtime.bigint() - t) / 1e6); }
  const t0 = process.hrtime.bigint();
  await Promise.all(people.map(async (p, c) => { for (let i = c; i < N; i += CLIENTS) await say(p, channels[c], '!whoami'); }));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rss = fs.readFileSync(`/proc/${hubot.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)[1];
  console.log(`| hubot 3.5 + hubot-irc 0.4.2 | ngIRCd 26.1 (Debian) | ${(N / seconds).toFixed(0)} | ${pct(lat, 50).toFixed(2)} | ${pct(lat, 99).toFixed(2)} | — | — | — | RSS ${Math.round(rss / 1024)} MiB (whole process) |`);
  people.forEach((p) => p.sock.destroy());
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
