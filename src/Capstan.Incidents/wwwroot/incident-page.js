// The incident page's script (served from /assets so the Content-Security-Policy can forbid inline script).
import { $, el, api, signedIn } from '/assets/app.js';
const n = location.pathname.split('/')[2];
let data = null;
const shown = new Set(JSON.parse(sessionStorage.getItem('incident-filters') ?? 'null') ?? ['status', 'chat', 'command', 'update', 'task', 'note', 'notify', 'alert', 'delivery']);
let keyOnly = false;
function render() {
  const i = data.incident;
  document.title = `Capstan · ${i.id}`;
  $('#title').textContent = `${i.id} [${i.severity}] ${i.title}`;
  // replaceChildren turns null into the text "null": leave out the roles nobody holds.
  $('#facts').replaceChildren(...[
    el('div', {}, el('b', {}, el('span', { class: `badge ${i.status}`, 'data-testid': 'status' }, i.status)), 'status'),
    el('div', {}, el('b', { 'data-testid': 'commander' }, i.commander), 'commander'),
    i.comms ? el('div', {}, el('b', {}, i.comms), 'comms') : null, i.scribe ? el('div', {}, el('b', {}, i.scribe), 'scribe') : null,
    el('div', {}, el('b', {}, i.apps.length ? `${i.apps.join(', ')} in ${i.environment}` : i.environment), 'affects'),
    el('div', {}, el('b', { 'data-testid': 'tta' }, i.toAcknowledgeText), 'time to acknowledge'),
    el('div', {}, el('b', { 'data-testid': 'ttr' }, i.toResolveText), 'time to resolve')].filter(Boolean));
  $('#links').replaceChildren(el('a', { href: `/#${i.room}`, 'data-testid': 'room-link' }, `#${i.room}`), ' · ',
    i.postmortem ? el('a', { href: `/incidents/${i.number}/postmortem`, 'data-testid': 'postmortem-link' }, 'postmortem') : el('span', {}, 'no postmortem yet: run ', el('code', {}, `incident postmortem ${i.id}`)));
  $('#filters').replaceChildren(...data.categories.map(c => el('label', {}, el('span', {},
      el('input', { type: 'checkbox', 'data-filter': c, ...(shown.has(c) ? { checked: '' } : {}), onchange: (e) => { e.target.checked ? shown.add(c) : shown.delete(c); sessionStorage.setItem('incident-filters', JSON.stringify([...shown])); rows(); } }), ' ', c))),
    el('label', {}, el('span', {}, el('input', { type: 'checkbox', 'data-filter': 'key-only', onchange: (e) => { keyOnly = e.target.checked; rows(); } }), ' key entries only')));
  rows();
  $('#tasks').replaceChildren(...(data.tasks.length === 0 ? [el('tr', {}, el('td', { colspan: 4 }, 'None yet: `incident task TEXT @person` in chat.'))] :
    data.tasks.map(t => el('tr', {}, el('td', {}, t.id), el('td', {}, t.text), el('td', {}, t.owner ?? '—'), el('td', {}, t.done ? 'done' : 'open')))));
}
function rows() {
  const list = data.timeline.filter(e => shown.has(e.category) && (!keyOnly || e.key));
  $('#rows').replaceChildren(...list.map(e => el('tr', { 'data-seq': e.seq, 'data-category': e.category, class: e.key ? 'key' : '' },
    el('td', {}, el('button', { class: 'star', type: 'button', title: e.key ? 'unmark' : 'mark as key', 'data-testid': 'mark', onclick: () => mark(e) }, e.key ? '★' : '☆')),
    el('td', {}, e.seq), el('td', {}, new Date(e.at).toLocaleTimeString()), el('td', {}, e.actor), el('td', { class: 'cat' }, e.category), el('td', { class: 'text' }, e.text))));
}
async function mark(e) { await api(`/api/incidents/${n}/marks`, { method: 'POST', body: JSON.stringify({ seq: e.seq, key: !e.key }) }); await load(); }
async function load() { data = await api(`/api/incidents/${n}`); render(); }
await signedIn();
try { await load(); } catch (err) { $('#title').textContent = err.message; throw err; }
$('#note-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = ev.target.elements.text;
  await api(`/api/incidents/${n}/notes`, { method: 'POST', body: JSON.stringify({ text: input.value }) });
  input.value = '';
  await load();
});
setInterval(() => load().catch(() => {}), 5000);
