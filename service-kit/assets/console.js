// Marks the page as having JavaScript (the NHS.UK frontend styles on it) and starts the
// frontend's components. A file, not an inline script, so the pages' CSP can forbid those.
import { initAll } from '/assets/nhsuk-frontend.min.js';

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported');
initAll();

// A page waiting for something (a wallet's answer) names where to ask; it reloads when the
// answer changes. Without JavaScript the page's own "Check again" link does the same.
const waiting = document.querySelector('[data-poll]');
// Asking keeps the session alive: an unattended screen stops asking after 15 minutes, so
// its session can end (the page's own "Check again" link still works).
const stopAskingAt = Date.now() + 15 * 60 * 1000;
if (waiting) {
  const ask = async () => {
    if (Date.now() > stopAskingAt) {
      return;
    }
    try {
      const response = await fetch(waiting.dataset.poll, { credentials: 'same-origin' });
      if (response.redirected) {
        // The session ended: reloading leads to the sign-in page and back here after.
        window.location.reload();
        return;
      }
      if (response.ok) {
        const { status } = await response.json();
        if (status !== waiting.dataset.status) {
          // A page made by a form post names where to go, so as not to post it again.
          if (waiting.dataset.next) {
            window.location.assign(waiting.dataset.next);
          } else {
            window.location.reload();
          }
          return;
        }
      }
    } catch (error) {
      // Offline for a moment: ask again later.
    }
    setTimeout(ask, 2000);
  };
  setTimeout(ask, 2000);
}
