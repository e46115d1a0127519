// The job page's script (served from /assets so the Content-Security-Policy can forbid inline script).
import { $, el, api, table, signedIn } from '/assets/app.js';
import { badge, when, took, progress, follow, refresher } from '/assets/jobs.js';
const id = decodeURIComponent(location.pathname.split('/').pop());
document.querySelector('header.top nav a[href="/jobs"]')?.classList.add('active');
await signedIn();
const grid = (t) => { const e = table(t); e?.classList.add('grid'); return e; };
let job = null;
let have = 0;
const output = $('#output');
const load = refresher(async () => {
  let d;
  try { d = await api(`/api/jobs/${encodeURIComponent(id)}?from=${have}`); }
  catch (e) { document.querySelector('main').replaceChildren(el('h1', {}, 'No such job'), el('p', { 'data-testid': 'error' }, e.message), el('p', {}, el('a', { href: '/jobs' }, 'All jobs'))); throw e; }
  job = d.job;
  document.title = `Capstan · ${job.id} ${job.title}`;
  $('#title').textContent = `${job.id} · ${job.title}`;
  $('#state').replaceChildren(badge(job.state));
  $('#progress').replaceChildren(...[progress(job)].filter(Boolean));
  $('#status').textContent = job.finished ? '' : job.status;
  $('#facts').replaceChildren(...[['kind', job.kind], ['by', job.actor], ['room', `#${job.room}`], ['started', when(job.createdAt)],
    ['ended', when(job.endedAt)], [job.finished ? 'took' : 'running for', took(job)], ['timeout', job.timeout]].flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  $('#summary').hidden = !job.summary; $('#summary').textContent = job.summary ?? '';
  $('#summary').className = `summary job-${job.state}`;
  $('#cancel').hidden = job.finished;
  if (d.output.length > 0 && d.outputFrom === have) {
    output.append(document.createTextNode((have > 0 ? '\n' : '') + d.output.join('\n')));
    have = d.outputCount;
  }
  $('#count').textContent = `${d.outputCount} line(s)`;
  $('#result').hidden = !d.result; $('#result-table').replaceChildren(...[grid(d.result)].filter(Boolean));
  $('#tables').hidden = d.tables.length === 0;
  $('#tables').replaceChildren(...d.tables.map(t => el('div', { class: 'named', 'data-testid': 'table' }, el('h2', {}, `${t.name} · ${t.table.rows.length} row(s)`), grid(t.table))));
});
const setLive = (up) => { $('#live').textContent = up ? 'live' : 'reconnecting…'; $('#live').classList.toggle('down', !up); };
// The job's progress message (in its thread) is edited as it runs, so its events say when to read it again.
follow((m) => { if (job && (m.id === job.progressMessage || m.threadId === job.thread)) load(); }, load, setLive);
$('#cancel').addEventListener('click', async () => {
  const r = await api(`/api/rooms/${encodeURIComponent(job.room)}/messages`, { method: 'POST', body: JSON.stringify({ text: `cancel ${job.id}`, threadId: job.thread }) })
    .catch((e) => ({ replies: [{ text: e.message }] }));
  $('#cancel-reply').textContent = r.replies?.map(x => x.text).join(' ') ?? '';
  load();
});
await load();
