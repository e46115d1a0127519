// The postmortem page's script (served from /assets so the Content-Security-Policy can forbid inline script).
import { signedIn } from '/assets/app.js';
await signedIn();
