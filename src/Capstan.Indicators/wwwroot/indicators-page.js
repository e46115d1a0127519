// The indicators page's script (served from /assets so the Content-Security-Policy can forbid inline script).
import { $, el, api, signedIn } from '/assets/app.js';
const params = new URLSearchParams(location.search);
let filled = false;
const utc = (t) => t ? new Date(t).toISOString().slice(0, 16).replace('T', ' ') : '—';
const hours = (h) => h == null ? '—' : h >= 24 ? `${Math.floor(h / 24)}d ${Math.round(h % 24)}h` : h >= 1 ? `${Math.floor(h)}h ${Math.round((h % 1) * 60)}m` : `${Math.round(h * 60)}m`;

function query() {
  const q = new URLSearchParams();
  if ($('#app').value) q.set('app', $('#app').value);
  if ($('#env').value) q.set('env', $('#env').value);
  const p = $('#period').value;
  if (p === 'custom') {
    if ($('#since').value) q.set('since', $('#since').value);
    if ($('#until').value) q.set('until', $('#until').value);
  } else {
    const now = new Date();
    q.set('since', new Date(now.getTime() - Number(p) * 86400000).toISOString());
  }
  return q;
}

function fill(choices) {
  if (filled) return;
  filled = true;
  for (const a of choices.apps) $('#app').append(el('option', { value: a }, a));
  for (const p of choices.products) $('#app').append(el('option', { value: p }, `${p} (product)`));
  for (const e of choices.environments) $('#env').append(el('option', { value: e }, e));
  $('#app').value = params.get('app') ?? '';
  $('#env').value = params.get('env') ?? choices.defaultEnvironment;
  if (params.get('since')) { $('#period').value = 'custom'; $('#since').value = params.get('since').slice(0, 10); if (params.get('until')) $('#until').value = params.get('until').slice(0, 10); }
  toggleDates();
}

function toggleDates() { const c = $('#period').value === 'custom'; $('#since-box').hidden = !c; $('#until-box').hidden = !c; }

// Filters can change faster than answers arrive: only the newest request may draw the page.
let newest = 0;
async function load(initial) {
  const mine = ++newest;
  const q = initial ? new URLSearchParams(location.search) : query();
  if (initial && !q.get('since') && !q.get('until')) q.set('since', new Date(Date.now() - 30 * 86400000).toISOString());
  $('#error').hidden = true;
  let r;
  try { r = await api('/api/indicators/dora?' + q); }
  catch (e) { if (mine === newest) { $('#error').textContent = e.message; $('#error').hidden = false; } return; }
  if (mine !== newest) return;
  fill(r.choices);
  if (!initial) history.replaceState(null, '', '/indicators?' + query());
  $('#heading').textContent = `DORA for ${r.scope.label} in ${r.scope.environment} ${r.scope.period} (${utc(r.scope.from).slice(0, 10)} – ${utc(r.scope.to).slice(0, 10)}); tiers from the DORA ${r.benchmark} report.`;
  $('#sentence').hidden = !r.noDeploys;
  $('#sentence').textContent = r.sentence ?? '';
  $('#figures').hidden = r.noDeploys;
  $('#rows').replaceChildren(...r.figures.map(f => el('tr', { 'data-testid': `figure-${f.key}` },
    el('td', {}, f.name), el('td', { 'data-testid': 'value' }, f.value == null ? (f.problem ?? f.text) : f.text), el('td', { 'data-testid': 'sample' }, f.sampleText),
    el('td', { 'data-testid': 'tier' }, f.tier ? `${f.tier.name} (${f.tier.band})` : (f.key === 'reworkRate' ? `no tiers published (${r.benchmark})` : '—')))));
  $('#notes').replaceChildren(...r.notes.map(n => el('div', {}, 'Note: ' + n + '.')));
  $('#charts').replaceChildren(...r.charts.map(c => el('img', { src: c.link, alt: c.title, title: c.title, 'data-testid': `chart-${c.name.replace('.png', '')}` })));
  const x = await api('/api/indicators/dora/explain?' + q);
  if (mine !== newest) return;
  $('#deploys').hidden = $('#deploys-title').hidden = x.deploys.length === 0;
  $('#deploy-rows').replaceChildren(...x.deploys.map(d => el('tr', {},
    el('td', {}, utc(d.at)), el('td', {}, d.app), el('td', {}, d.version + (d.kind === 'Rollback' ? ' (rollback)' : d.kind === 'AutomaticRollback' ? ' (automatic rollback)' : '')),
    el('td', {}, d.succeeded ? 'healthy' : 'failed'), el('td', {}, d.commits.length ? `${d.commits.length} since ${d.previousVersion ?? 'the start'}` : (d.leadTimeProblem ?? '—')),
    el('td', {}, hours(d.leadTimeHours)), el('td', {}, d.failedBecause.join('; ') || '—'), el('td', {}, d.failedBecause.length ? (d.recoveredAt ? `${utc(d.recoveredAt)} (${hours(d.recoveryHours)})` : 'not yet') : '—'),
    el('td', {}, d.rework ?? '—'))));
}

for (const id of ['#app', '#env', '#since', '#until']) $(id).addEventListener('change', () => load(false));
$('#period').addEventListener('change', () => { toggleDates(); if ($('#period').value !== 'custom') load(false); });
signedIn();
load(true);
