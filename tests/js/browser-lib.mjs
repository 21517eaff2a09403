// What the console browser tests share: Debian's Chromium through playwright-core, the
// line-by-line conversation with the Rust test on stdio, and the checks they both make.

import {chromium} from 'playwright-core';
import {createInterface} from 'node:readline';

export const expect = (condition, message) => {
  if(!condition) {
    throw new Error(message);
  }
};

export const launchChromium = () => chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless=new']
});

// The caller writes one line when the wallet has answered what is on the screen.
export function callerLines() {
  const lines = createInterface({input: process.stdin});
  return {
    next: () => new Promise(resolve => lines.once('line', resolve)),
    close: () => lines.close()
  };
}

// Form controls a screen reader could not name.
export const unlabelledControls = page =>
  page.locator('input:not([type=hidden]), select, textarea')
    .evaluateAll(controls => controls.filter(c =>
      !(c.labels && c.labels.length) && !c.getAttribute('aria-label')).length);
