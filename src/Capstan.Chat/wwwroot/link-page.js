// The link page's script: check a code (shows what it would link), then confirm it.
import { $, api, signedIn } from '/assets/app.js';

function say(where, text) {
  for (const id of ['#error', '#done']) $(id).hidden = true;
  if (where) { $(where).textContent = text; $(where).hidden = false; }
}

const code = () => $('#code').value.trim();
const post = (path) => api(path, { method: 'POST', body: JSON.stringify({ code: code() }) });

$('#code-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('#confirm-box').hidden = true;
  say(null);
  try {
    const r = await post('/api/link/check');
    $('#what').textContent = r.message;
    $('#confirm-box').hidden = false;
  } catch (e) { say('#error', e.message); }
});

$('#confirm').addEventListener('click', async () => {
  $('#confirm-box').hidden = true;
  try { say('#done', (await post('/api/link')).message); $('#code').value = ''; }
  catch (e) { say('#error', e.message); }
});

await signedIn();
