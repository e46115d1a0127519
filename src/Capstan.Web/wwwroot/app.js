// Shared by every page: who is signed in, the navigation bar, small DOM helpers.
export const $ = (sel, root = document) => root.querySelector(sel);
// Addresses a page may link to or load: http, https, mailto and same-site paths. Anything else (javascript:,
// data:, vbscript:, a scheme hidden behind control characters) is dropped, since the address may come from a person.
export function safeUrl(value) {
  const text = String(value ?? '');
  let url;
  try { url = new URL(text, location.href); } catch { return null; }
  return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? text : null;
}
const urlAttributes = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'srcset']);
// Builds elements with text nodes only (never HTML), so text from people, apps and Git is shown, not run.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) { if (typeof v === 'function') e.addEventListener(k.slice(2), v); }
    else if (urlAttributes.has(k.toLowerCase())) { const u = safeUrl(v); if (u !== null) e.setAttribute(k, u); }
    else if (k.toLowerCase() !== 'style') e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
export async function api(path, options = {}) {
  const res = await fetch(path, { credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, ...options });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) { const err = new Error(body.error || res.statusText); err.status = res.status; throw err; }
  return body;
}
export function table(t) {
  if (!t) return null;
  return el('table', {}, el('thead', {}, el('tr', {}, t.columns.map(c => el('th', {}, c)))),
    el('tbody', {}, t.rows.map(r => el('tr', {}, r.map(c => el('td', {}, c))))));
}
// Files that go with a reply: images are shown inline (a chart), anything else as a link.
export function attachments(list) {
  if (!list || list.length === 0) return null;
  return el('div', { class: 'attachments' }, list.map(a => a.mediaType.startsWith('image/')
    ? el('a', { href: a.link, target: '_blank', title: a.title }, el('img', { src: a.link, alt: a.title, 'data-testid': 'attachment', loading: 'lazy' }))
    : el('a', { href: a.link, 'data-testid': 'attachment' }, a.title)));
}
export async function signedIn() {
  for (const a of document.querySelectorAll('header.top nav a')) if (a.getAttribute('href') === location.pathname) a.classList.add('active');
  try {
    const me = await api('/api/me');
    $('#me-name').textContent = `${me.name} (${me.id})`;
    $('#me').hidden = false;
    $('#new-token')?.addEventListener('click', async () => {
      const t = await api('/api/tokens?label=web', { method: 'POST' });
      prompt('Your new API token (shown once — copy it now):', t.token);
    });
    return me;
  } catch (e) {
    if (e.status === 401) {
      document.body.replaceChildren(el('main', { class: 'notice', 'data-testid': 'signed-out' },
        el('h1', {}, 'Sign in to Capstan'),
        el('p', {}, 'Open the one-time sign-in link that ', el('code', {}, 'capstan up'), ' printed, or ask an admin for one (',
          el('code', {}, 'capstan signin-link --person YOU'), ').')));
    }
    throw e;
  }
}
// Message text with web addresses and job pages (/jobs/j12) as links; everything else stays plain text.
export function linkify(text) {
  const parts = [];
  const re = /(https?:\/\/[^\s`<>"')]+|(?<![\w/])\/jobs\/j\d+)/g;
  let at = 0;
  for (const m of text.matchAll(re)) {
    const href = m[0].replace(/[.,;:]+$/, '');
    if (m.index > at) parts.push(text.slice(at, m.index));
    parts.push(el('a', { href, ...(href.startsWith('/') || href.startsWith(location.origin) ? {} : { target: '_blank', rel: 'noopener' }) }, href));
    at = m.index + href.length;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}
