// The jobs page's script (served from /assets so the Content-Security-Policy can forbid inline script).
import { $, el, api, signedIn } from '/assets/app.js';
import { badge, when, took, progress, follow, refresher } from '/assets/jobs.js';
await signedIn();
const limit = Number(new URLSearchParams(location.search).get('limit')) || 50;
let watched = new Set();
const load = refresher(async () => {
  const jobs = await api(`/api/jobs?limit=${limit}`);
  watched = new Set(jobs.filter(j => j.progressMessage).map(j => j.progressMessage));
  const running = jobs.filter(j => !j.finished).length;
  $('#counts').textContent = `${running} running, ${jobs.length - running} recent.`;
  $('#rows').replaceChildren(...(jobs.length === 0
    ? [el('tr', {}, el('td', { colspan: 10 }, 'No jobs yet. `diag`, `fetch` and long custom commands in chat run as jobs.'))]
    : jobs.map(j => el('tr', { 'data-job': j.id, 'data-testid': 'job-row' },
        el('td', {}, el('a', { href: `/jobs/${j.id}` }, j.id)), el('td', {}, j.kind), el('td', { class: 'what' }, j.title),
        el('td', {}, badge(j.state)), el('td', {}, progress(j)), el('td', {}, j.actor), el('td', {}, '#' + j.room),
        el('td', {}, when(j.createdAt)), el('td', {}, took(j)), el('td', { class: 'what' }, j.summary ?? j.status)))));
});
const setLive = (up) => { $('#live').textContent = up ? 'live' : 'reconnecting…'; $('#live').classList.toggle('down', !up); };
// A new job posts its progress message; a running one edits it. Either way, the list is read again.
follow((m) => { if (m.authorKind === 'capstan' && (watched.has(m.id) || /^Job j\d+ /.test(m.text))) load(); }, load, setLive);
await load();
