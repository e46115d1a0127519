// The chat page's script (served from /assets so the Content-Security-Policy can forbid inline script).
import { $, el, api, table, attachments, signedIn, linkify } from '/assets/app.js';
let room = (location.hash.slice(1) || 'ops');
let thread = null;
const shown = new Map();
let topics = {};
// Live events that arrive while a room's history is loading wait here, so none is lost in between.
let loading = null;

function render(m) {
  const node = el('div', { class: `msg ${m.authorKind} tone-${m.tone}`, 'data-id': m.id, 'data-testid': 'message' },
    el('div', { class: 'meta' }, el('span', { class: 'author' }, m.author), el('time', { datetime: m.at }, new Date(m.at).toLocaleTimeString()),
      m.editedAt ? el('span', {}, '(edited)') : null,
      m.threadId ? null : el('span', { class: 'actions' }, el('button', { type: 'button', onclick: () => enterThread(m) }, 'Reply in thread'))),
    el('div', { class: 'text' }, linkify(m.text)), table(m.table), attachments(m.attachments));
  return node;
}
function place(m) {
  if (m.room !== room) return;
  const existing = shown.get(m.id);
  const node = render(m);
  if (existing) { existing.replaceWith(node); shown.set(m.id, node); return; }
  shown.set(m.id, node);
  const box = $('#messages');
  if (m.threadId && shown.has(m.threadId)) {
    const root = shown.get(m.threadId);
    let t = root.nextElementSibling;
    if (!t || !t.classList.contains('thread') || t.dataset.root !== m.threadId) { t = el('div', { class: 'thread', 'data-root': m.threadId, 'data-testid': 'thread' }); root.after(t); }
    t.append(node);
  } else box.append(node);
  box.scrollTop = box.scrollHeight;
}
function enterThread(m) {
  thread = m.id; $('#replying').hidden = false; $('#replying-to').textContent = `“${m.text.slice(0, 40)}”`; $('#text').focus();
}
$('#leave-thread').addEventListener('click', () => { thread = null; $('#replying').hidden = true; });

async function loadMessages() {
  const early = loading = [];
  try {
    const history = await api(`/api/rooms/${encodeURIComponent(room)}/messages?limit=200`);
    $('#messages').replaceChildren(); shown.clear();
    for (const m of history) place(m);
    for (const m of early) place(m);
  } finally { if (loading === early) loading = null; }
}
function receive(e) {
  const m = JSON.parse(e.data).message;
  if (loading) loading.push(m); else place(m);
}
async function openRoom(name) {
  room = name; location.hash = name; thread = null; $('#replying').hidden = true;
  for (const a of document.querySelectorAll('#rooms a')) a.classList.toggle('active', a.dataset.room === name);
  $('#room-name').textContent = '#' + name;
  $('#room-topic').textContent = topics[name] || '';
  $('#messages').replaceChildren(); shown.clear();
  await loadMessages();
}

await signedIn();
const rooms = await api('/api/rooms');
for (const r of rooms) $('#rooms').append(el('a', { href: '#' + r.name, 'data-room': r.name, onclick: (e) => { e.preventDefault(); openRoom(r.name); } }, '#' + r.name));
topics = Object.fromEntries(rooms.map(r => [r.name, r.topic]));
if (!topics.hasOwnProperty(room)) room = rooms[0]?.name ?? 'ops';

// Subscribe before loading the history, so a message posted in between is not missed.
const events = new EventSource('/api/events');
events.addEventListener('posted', receive);
events.addEventListener('edited', receive);
let wasDown = false;
function setLive(up) {
  $('#live').textContent = up ? 'live' : 'reconnecting…';
  $('#live').classList.toggle('down', !up);
}
events.addEventListener('error', () => { wasDown = true; setLive(false); });
await openRoom(room);
events.addEventListener('open', async () => {
  // After a dropped connection, catch up on what was said meanwhile.
  if (wasDown) { wasDown = false; await loadMessages(); }
  setLive(true);
});
if (events.readyState === EventSource.OPEN) setLive(true);

// Messages go out one at a time, so the room sees them in the order they were typed.
let sending = Promise.resolve();
$('#composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('#text').value;
  if (!text.trim()) return;
  $('#text').value = '';
  const body = JSON.stringify({ text, threadId: thread, addressed: false });
  const to = `/api/rooms/${encodeURIComponent(room)}/messages`;
  sending = sending.then(() => api(to, { method: 'POST', body })).catch((err) => {
    $('#messages').append(el('div', { class: 'msg capstan tone-error', 'data-testid': 'message' }, el('div', { class: 'text' }, err.message)));
  });
});
