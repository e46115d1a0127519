// The incidents page's script (served from /assets so the Content-Security-Policy can forbid inline script).
import { $, el, api, signedIn } from '/assets/app.js';
const when = (t) => t ? new Date(t).toLocaleString() : '—';
async function load() {
  const data = await api(`/api/incidents?all=${$('#all').checked}`);
  const f = data.figures;
  $('.figures').replaceChildren(
    el('div', {}, el('b', { 'data-testid': 'opened' }, f.opened), `incidents, last ${f.days} days`),
    el('div', {}, el('b', { 'data-testid': 'mtta' }, f.mttaText), 'mean time to acknowledge'),
    el('div', {}, el('b', { 'data-testid': 'mttr' }, f.mttrText), 'mean time to resolve'));
  $('#rows').replaceChildren(...(data.incidents.length === 0 ? [el('tr', {}, el('td', { colspan: 8 }, 'No incidents. Declare one above or with `incident open "TITLE" sev2` in chat.'))] :
    data.incidents.map(i => el('tr', { 'data-incident': i.id },
      el('td', {}, el('a', { href: `/incidents/${i.number}` }, i.id)), el('td', { class: 'sev' }, i.severity),
      el('td', {}, el('span', { class: `badge ${i.status}` }, i.status)), el('td', {}, i.title), el('td', {}, i.commander),
      el('td', {}, when(i.openedAt)), el('td', {}, i.toAcknowledgeText), el('td', {}, i.toResolveText)))));
  const deliveries = await api('/api/notifications');
  $('#deliveries').replaceChildren(...(deliveries.length === 0 ? [el('tr', {}, el('td', { colspan: 8 }, 'Nothing queued: webhooks and held messages appear here.'))] : deliveries.map(d => el('tr', { 'data-delivery': d.id },
    el('td', {}, d.id), el('td', {}, d.channel), el('td', {}, d.target), el('td', {}, d.event), el('td', {}, el('span', { class: `badge ${d.state}`, 'data-testid': 'delivery-state' }, d.state)),
    el('td', {}, d.attempts), el('td', {}, d.state === 'pending' ? when(d.nextAt) : '—'), el('td', {}, d.lastError ?? '')))));
}
await signedIn();
const first = await api('/api/incidents');
for (const s of first.severities) $('#severity').append(el('option', { value: s.name, title: s.meaning }, `${s.name} — ${s.meaning}`));
$('#all').addEventListener('change', load);
$('#open-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  try {
    const r = await api('/api/incidents', { method: 'POST', body: JSON.stringify({ title: form.get('title'), severity: form.get('severity'), apps: form.get('apps'), commander: form.get('commander') }) });
    location.href = `/incidents/${r.number}`;
  } catch (err) { $('#open-result').textContent = err.message; }
});
await load();
setInterval(load, 5000);
