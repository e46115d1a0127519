// The dashboard page's script (served from /assets so the Content-Security-Policy can forbid inline script).
import { $, el, api, signedIn } from '/assets/app.js';
let envs = [];
const ago = (at) => { const s = Math.max(0, (Date.now() - new Date(at)) / 1000); return s < 60 ? `${Math.round(s)}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : s < 86400 ? `${Math.round(s / 3600)}h ago` : `${Math.round(s / 86400)}d ago`; };
function cell(app, e) {
  return el('td', { class: 'cell', 'data-app': app.name, 'data-env': e.name, 'data-testid': `cell-${app.name}-${e.name}`, onclick: () => details(app.name, e.name) },
    el('div', { class: 'versions' }, e.liveVersion ?? '—', e.desiredVersion && e.desiredVersion !== e.liveVersion ? el('span', { class: 'sub' }, ` → ${e.desiredVersion}`) : null),
    el('div', { class: 'badges' }, el('span', { class: `badge ${e.sync}`, 'data-testid': 'sync' }, e.sync), ' ', el('span', { class: `badge ${e.health}`, 'data-testid': 'health' }, e.health)),
    e.url ? el('div', { class: 'sub' }, el('a', { href: e.url, target: '_blank', rel: 'noopener noreferrer' }, e.url.replace('http://', ''))) : null,
    e.lastDeploy ? el('div', { class: 'sub' }, `${e.lastDeploy.version} by ${e.lastDeploy.by}, ${ago(e.lastDeploy.at)} (${e.lastDeploy.commit.slice(0, 7)})`) : null,
    e.lock ? el('div', { class: 'lock' }, `🔒 locked by ${e.lock.by}: ${e.lock.reason}`) : null,
    e.held ? el('div', { class: 'lock' }, `⏸ on hold: ${e.heldReason}`) : null,
    e.detail && e.health !== 'Healthy' ? el('div', { class: 'sub' }, e.detail.split('\n')[0]) : null);
}
function row(app) {
  return el('tr', { 'data-app': app.name }, el('th', {}, app.name, el('div', { class: 'sub' }, app.description)), envs.map(n => { const e = app.environments.find(x => x.name === n); return e ? cell(app, e) : el('td', {}); }));
}
async function details(app, env) {
  const [diff, history] = await Promise.all([api(`/api/apps/${app}/diff/${env}`), api(`/api/apps/${app}/history?limit=20`)]);
  $('#diff').hidden = false; $('#diff-title').textContent = `${app} in ${env}: ${diff.inSync ? 'in sync' : 'pending change'}`;
  $('#diff-lines').textContent = diff.lines.join('\n');
  $('#history').hidden = false; $('#history-title').textContent = `History of ${app}`;
  $('#history-rows').replaceChildren(...history.map(h => el('tr', {}, el('td', {}, new Date(h.at).toLocaleString()), el('td', {}, h.environment), el('td', {}, h.version),
    el('td', {}, el('span', { class: `badge ${h.outcome === 'healthy' ? 'Healthy' : h.outcome === 'failed' ? 'Failed' : 'Unknown'}` }, h.outcome)), el('td', {}, h.by), el('td', {}, h.commit.slice(0, 7)), el('td', {}, h.detail))));
}
await signedIn();
const apps = await api('/api/apps');
envs = apps[0]?.environments.map(e => e.name) ?? [];
$('#head').append(el('tr', {}, el('th', {}, 'app'), envs.map(e => el('th', {}, e))));
if (apps.length === 0) $('#body').append(el('tr', {}, el('td', {}, 'No apps yet: add apps/NAME.yaml to the config repo.')));
for (const a of apps) $('#body').append(row(a));
// Incidents: what is open now, and the last 30 days' time to acknowledge and to resolve (from the ledger).
async function incidents() {
  let r;
  try { r = await api('/api/incidents?days=30'); } catch { return; }
  const open = r.incidents.filter(i => i.status !== 'resolved');
  const f = r.figures;
  $('#incident-figures').replaceChildren(
    el('span', { 'data-testid': 'open-incidents' }, open.length === 0 ? 'No open incidents' : `${open.length} open: `),
    ...open.map((i, k) => [k ? ', ' : '', el('a', { href: `/incidents/${i.number}` }, `${i.id} [${i.severity}] ${i.title}`)]).flat(),
    ` · last ${f.days} days: ${f.opened} opened, MTTA `, el('b', { 'data-testid': 'mtta' }, f.mttaText),
    ', MTTR ', el('b', { 'data-testid': 'mttr' }, f.mttrText), ' · ', el('a', { href: '/incidents' }, 'all incidents'));
}
await incidents();
setInterval(incidents, 15000);
const events = new EventSource('/api/apps-events');
events.addEventListener('app', (e) => {
  const app = JSON.parse(e.data); if (!app) return;
  const existing = document.querySelector(`#body tr[data-app="${CSS.escape(app.name)}"]`);
  const fresh = row(app);
  if (existing) existing.replaceWith(fresh); else $('#body').append(fresh);
});
