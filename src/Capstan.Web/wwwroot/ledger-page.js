// The ledger page's script (served from /assets so the Content-Security-Policy can forbid inline script).
import { $, el, api, signedIn } from '/assets/app.js';
let oldest = null;
function query(before) {
  const f = new FormData($('#filters'));
  const p = new URLSearchParams({ limit: '100', newest: 'true' });
  for (const [k, v] of f.entries()) if (v) p.set(k, (k === 'since' || k === 'until') ? new Date(v).toISOString() : v);
  return p;
}
async function load(reset) {
  const p = query();
  const rows = await api('/api/ledger?' + p.toString());
  if (reset) $('#rows').replaceChildren();
  const filtered = oldest && !reset ? rows.filter(r => r.seq < oldest) : rows;
  for (const r of filtered.reverse()) {
    $('#rows').append(el('tr', { 'data-testid': 'entry' }, el('td', {}, r.seq), el('td', {}, new Date(r.at).toLocaleString()), el('td', {}, r.actor),
      el('td', {}, r.room ? '#' + r.room : ''), el('td', {}, r.kind), el('td', { class: 'what', title: JSON.stringify(r.data) }, r.summary)));
  }
  $('#status').textContent = rows.length === 0 ? 'Nothing matches.' : `${$('#rows').children.length} entries shown.`;
}
$('#filters').addEventListener('submit', (e) => { e.preventDefault(); load(true); });
await signedIn();
const params = new URLSearchParams(location.search);
for (const [k, v] of params.entries()) { const i = $(`#filters [name=${k}]`); if (i) i.value = v; }
await load(true);
