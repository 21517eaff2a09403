// The onboarding console in real headless Chromium (Debian's, driven by playwright-core):
// an officer signs in, starts an onboarding and shows the QR code; the test harness reads
// the QR code from this screenshot and has the wallet answer it; the page updates by
// itself; HR signs in and bypasses the checklist with a justification; the grants show.
//
// Usage: node console-browser.mjs <verifier-url> <officer> <hr> <password> <screenshot.png>
// Talks to its caller on stdio: prints {"qr": "<png path>"} when the QR code is on
// screen, then waits for one line on stdin (the wallet has answered); prints
// {"ok": true, ...} at the end, or exits 1 with the reason.

import {callerLines, expect, launchChromium, unlabelledControls} from './browser-lib.mjs';

const [base, officer, hr, password, screenshot] = process.argv.slice(2);
const lines = callerLines();
const nextLine = lines.next;

const browser = await launchChromium();
const report = {};
try {
  const officerContext = await browser.newContext();
  const page = await officerContext.newPage();
  const errors = [];
  page.on('pageerror', error => errors.push(String(error)));

  // Signed out: the console sends the officer to sign in, and back after.
  await page.goto(`${base}/`);
  expect(page.url().includes('/login'), `not sent to sign in: ${page.url()}`);
  await page.getByLabel('Username').fill(officer);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', {name: 'Sign in'}).click();
  expect(await page.locator('.nhsuk-error-summary').isVisible(),
    'a wrong password shows the error summary');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.getByRole('heading', {name: 'Onboarding at RTH'}).waitFor();

  await page.getByRole('button', {name: 'Start an onboarding'}).click();
  await page.getByLabel("New starter's name").fill('Amara Notreal');
  await page.getByLabel('Post at RTH').selectOption('RTH-ACP-01');
  await page.getByLabel('Staff group').selectOption('Medical and Dental');
  await page.getByLabel('Temporary mover').check();
  await page.getByRole('button', {name: 'Start and show the QR code'}).click();
  await page.getByText('Waiting for the wallet').waitFor();
  const onboarding = page.url();

  // The QR code as the new starter's phone would see it.
  await page.locator('.passport-qr svg').screenshot({path: screenshot});
  console.log(JSON.stringify({qr: screenshot}));
  await nextLine();

  // No reload by hand: the page notices the answer itself.
  await page.getByRole('heading', {name: /Checklist: /}).waitFor({timeout: 20000});
  report.checklist = await page.getByRole('heading', {name: /Checklist: /}).innerText();
  report.requirements = await page.locator('tr[data-requirement]').evaluateAll(rows =>
    rows.map(row => ({
      requirement: row.dataset.requirement,
      state: row.querySelector('.nhsuk-tag').innerText
    })));
  expect(await page.getByRole('button', {name: 'Bypass and grant access'}).count() === 0,
    'an officer is offered the bypass');

  // HR, in a browser of their own.
  const hrContext = await browser.newContext();
  const hrPage = await hrContext.newPage();
  hrPage.on('pageerror', error => errors.push(String(error)));
  await hrPage.goto(onboarding);
  await hrPage.getByLabel('Username').fill(hr);
  await hrPage.getByLabel('Password').fill(password);
  await hrPage.getByRole('button', {name: 'Sign in'}).click();
  await hrPage.getByRole('button', {name: 'Bypass and grant access'}).waitFor();
  expect(hrPage.url() === onboarding, `sign-in did not lead back: ${hrPage.url()}`);
  expect(await hrPage.getByRole('button', {name: 'Accept and grant access'}).count() === 0,
    'an incomplete checklist offers accept');
  const justification = hrPage.getByLabel(/Bypass the checklist/);
  await justification.fill('too short');
  await hrPage.getByRole('button', {name: 'Bypass and grant access'}).click();
  expect(await hrPage.locator('.nhsuk-error-summary').isVisible(), 'a short justification is refused');
  expect(await hrPage.getByLabel(/Bypass the checklist/).inputValue() === 'too short',
    'what was typed is kept');
  await hrPage.getByLabel(/Bypass the checklist/).fill(
    "Training records seen on the lead employer's learning system.");
  await hrPage.getByRole('button', {name: 'Bypass and grant access'}).click();
  await hrPage.getByText('Bypassed by HR').waitFor();
  report.grants = await hrPage.locator('#grants li').allInnerTexts();
  report.decision = await hrPage.locator('#decision').innerText();

  // Accessibility basics: one h1, every form control labelled, the skip link first.
  report.h1 = await hrPage.locator('h1').count();
  report.unlabelled = await unlabelledControls(hrPage);
  await hrPage.keyboard.press('Tab');
  report.firstFocus = await hrPage.evaluate(() => document.activeElement.textContent.trim());
  report.errors = errors;
  console.log(JSON.stringify({ok: true, ...report}));
} catch(error) {
  console.log(JSON.stringify({ok: false, error: String(error), ...report}));
  process.exitCode = 1;
} finally {
  await browser.close();
  lines.close();
}
