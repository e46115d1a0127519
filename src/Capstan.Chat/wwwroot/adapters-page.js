// The adapters page's script (served from /assets so the Content-Security-Policy can forbid inline script).
import { $, el, api, signedIn } from '/assets/app.js';
const utc = (t) => t ? new Date(t).toISOString().slice(0, 19).replace('T', ' ') : '—';

async function load() {
  let r;
  try { r = await api('/api/adapters'); }
  catch (e) { $('#error').textContent = e.message; $('#error').hidden = false; return; }
  $('#error').hidden = true;
  $('#message').textContent = r.message;
  $('#adapters').hidden = r.adapters.length === 0;
  // Errors come from remote servers: shown as text only (el never parses HTML).
  $('#rows').replaceChildren(...r.adapters.map(a => el('tr', { 'data-testid': `adapter-${a.platform}` },
    el('td', {}, a.platform), el('td', { 'data-testid': 'state' }, a.detail ? `${a.state} (${a.detail})` : a.state), el('td', {}, utc(a.since)),
    el('td', { 'data-testid': 'last-error' }, a.lastError ? `${a.lastError} (${utc(a.lastErrorAt)})` : '—'), el('td', { 'data-testid': 'reconnects' }, a.reconnects),
    el('td', {}, a.received), el('td', {}, a.answered), el('td', {}, a.ignored), el('td', {}, a.duplicates), el('td', {}, a.sent), el('td', {}, a.queued))));
}

if (await signedIn()) { await load(); setInterval(load, 5000); }
