// Shared by the jobs pages: state badges, times, and following the room event stream.
import { el } from '/assets/app.js';

export function badge(state) {
  return el('span', { class: `badge job-${state}`, 'data-testid': 'state' }, state.replace('-', ' '));
}
export function when(at) { return at ? new Date(at).toLocaleString() : '—'; }
export function took(job) {
  const s = Math.max(0, ((job.endedAt ? new Date(job.endedAt) : new Date()) - new Date(job.createdAt)) / 1000);
  return s < 60 ? `${s.toFixed(1)} s` : s < 3600 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
export function progress(job) {
  if (job.percent === null || job.percent === undefined) return null;
  // Set through the CSSOM: a style attribute is inline style, which the Content-Security-Policy refuses.
  const fill = el('span');
  fill.style.width = `${Math.max(0, Math.min(100, Number(job.percent) || 0))}%`;
  return el('span', { class: 'bar', title: `${job.percent.toFixed(0)}%` }, fill, el('em', {}, `${job.percent.toFixed(0)}%`));
}
// Calls `changed(message)` for room events (a job's progress message is edited as it runs), and
// `reconnected()` after the stream dropped, so the page can catch up. Returns the EventSource.
export function follow(changed, reconnected, status) {
  const events = new EventSource('/api/events');
  let wasDown = false;
  const on = (e) => changed(JSON.parse(e.data).message);
  events.addEventListener('posted', on);
  events.addEventListener('edited', on);
  events.addEventListener('error', () => { wasDown = true; status(false); });
  events.addEventListener('open', () => { status(true); if (wasDown) { wasDown = false; reconnected(); } });
  return events;
}
// Runs `load` now and again whenever asked, never two at once, merging requests that arrive meanwhile.
export function refresher(load) {
  let running = null, again = false;
  const run = async () => {
    if (running) { again = true; return running; }
    running = (async () => { try { do { again = false; await load(); } while (again); } finally { running = null; } })();
    return running;
  };
  return run;
}
