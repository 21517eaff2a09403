// Marks the page as having JavaScript (the NHS.UK frontend styles on it) and starts the
// frontend's components. A file, not an inline script, so the pages' CSP can forbid those.
import { initAll } from '/assets/nhsuk-frontend.min.js';

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported');
initAll();
