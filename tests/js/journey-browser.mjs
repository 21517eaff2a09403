// The whole journey through the three consoles of `passport up`, in real headless
// Chromium (Debian's, driven by playwright-core), as the people who use them would:
//
// 1. RA console: the first administrator adds an RA's account; the RA signs in with the
//    first password, finds the new starter, makes an invitation; the QR code on screen
//    and the PIN go to the terminal wallet (the caller runs `passport wallet accept`);
//    the page sees the wallet collect.
// 2. Operator console: the operator finds one of the credentials just issued and its
//    status, and the trusted issuers.
// 3. Onboarding console: an officer starts the onboarding and shows the QR code; the
//    terminal wallet answers it (`passport wallet present`); the page updates by itself;
//    HR decides; the grants show.
//
// Usage: node journey-browser.mjs <issuer-url> <registry-url> <verifier-url>
//          <ra-admin-password> <operator-admin-password> <onboarding-admin-password> <dir>
// Talks to its caller on stdio: prints {"offer": "<png>", "pin": "…"} and then
// {"request": "<png>"} when a QR code is on screen, each time waiting for one line on
// stdin (the wallet has answered); prints {"ok": true, ...} at the end, or exits 1.

import {callerLines, expect, launchChromium, unlabelledControls} from './browser-lib.mjs';

const [issuer, registry, verifier, raPassword, operatorPassword, onboardingPassword, dir] =
  process.argv.slice(2);
const lines = callerLines();
const nextLine = lines.next;

const browser = await launchChromium();
const errors = [];
const report = {};

async function signedIn(base, username, password) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', error => errors.push(String(error)));
  await page.goto(`${base}/`);
  expect(page.url().includes('/login'), `not sent to sign in: ${page.url()}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.getByRole('button', {name: 'Sign out'}).waitFor();
  // A password somebody else chose (printed by `passport up`, or shown to an administrator)
  // must be replaced before anything else.
  if(page.url().includes('/console/password')) {
    await page.getByRole('heading', {name: 'Choose your own password'}).waitFor();
    await page.getByLabel('The password you were given').fill(password);
    const own = `${username}'s own passphrase for the journey`;
    await page.getByLabel('New password', {exact: true}).fill(own);
    await page.getByLabel('New password again').fill(own);
    await page.getByRole('button', {name: 'Change password'}).click();
    await page.waitForURL(url => !url.pathname.startsWith('/console/password'));
    report.passwordsChosen = (report.passwordsChosen ?? 0) + 1;
  }
  return page;
}

try {
  // 1. The RA console. The first administrator adds the RA who will do the work.
  const admin = await signedIn(issuer, 'admin', raPassword);
  await admin.getByRole('link', {name: 'Accounts'}).click();
  await admin.getByRole('button', {name: 'Add an account'}).click();
  await admin.getByLabel('Username').fill('rita.ra');
  await admin.getByLabel('Full name').fill('Rita Ra');
  await admin.getByLabel('Care Identity UUID').fill('555000000031');
  await admin.getByLabel(/^ra: /).check();
  await admin.getByRole('button', {name: 'Add the account'}).click();
  const firstPassword = (await admin.locator('#first-password').innerText()).trim();
  expect(firstPassword.length >= 40, 'a first password is shown');

  const ra = await signedIn(issuer, 'rita.ra', firstPassword);
  expect(await ra.getByRole('link', {name: 'Accounts'}).count() === 0,
    'an RA is offered account management');
  await ra.getByLabel('Find a person').fill('Notreal');
  await ra.getByRole('button', {name: 'Search'}).click();
  await ra.getByRole('link', {name: 'Amara Notreal'}).click();
  report.raUnlabelled = await unlabelledControls(ra);
  await ra.getByRole('button', {name: 'Make the invitation'}).click();
  await ra.getByText('Waiting to be collected').waitFor();
  const pin = (await ra.locator('#pin').innerText()).trim();
  const offerShot = `${dir}/offer.png`;
  await ra.locator('.passport-qr svg').screenshot({path: offerShot});
  console.log(JSON.stringify({offer: offerShot, pin}));
  await nextLine();
  // No reload by hand: the page notices the wallet collecting.
  await ra.locator('#status', {hasText: /^\s*Collected\s*$/}).waitFor({timeout: 20000});
  report.invitation = (await ra.locator('#status').innerText()).trim();
  expect(await ra.locator('#pin').count() === 0, 'the PIN is shown again');
  await ra.getByRole('link', {name: 'Back to Amara Notreal'}).click();
  report.credentials = await ra.locator('tr[data-credential]').evaluateAll(rows =>
    rows.map(row => ({
      id: row.dataset.credential,
      state: row.querySelector('.nhsuk-tag').innerText
    })));
  report.invitedBy = await ra.locator('#invitations tbody tr td:nth-child(2)').first().innerText();

  // 2. The operator console: the credential's status as the registry holds it.
  const operator = await signedIn(registry, 'admin', operatorPassword);
  report.issuers = await operator.locator('#issuers tbody tr').allInnerTexts();
  await operator.getByRole('link', {name: 'Find a credential'}).click();
  await operator.getByLabel('Credential id').fill(report.credentials[0].id);
  await operator.getByRole('button', {name: 'Find'}).click();
  report.operatorStatus = (await operator.locator('#status').innerText()).trim();
  await operator.getByRole('link', {name: 'Audit log'}).first().click();
  report.auditRows = await operator.locator('table tbody tr').count();

  // 3. The onboarding console: the officer shows the request; the wallet answers.
  const desk = await signedIn(verifier, 'admin', onboardingPassword);
  await desk.getByRole('button', {name: 'Start an onboarding'}).click();
  await desk.getByLabel("New starter's name").fill('Amara Notreal');
  await desk.getByLabel('Post at RTH').selectOption('RTH-ACP-01');
  await desk.getByLabel('Staff group').selectOption('Medical and Dental');
  await desk.getByLabel('Temporary mover').check();
  await desk.getByRole('button', {name: 'Start and show the QR code'}).click();
  await desk.getByText('Waiting for the wallet').waitFor();
  const requestShot = `${dir}/request.png`;
  await desk.locator('.passport-qr svg').screenshot({path: requestShot});
  console.log(JSON.stringify({request: requestShot}));
  await nextLine();
  await desk.getByRole('heading', {name: /Checklist: /}).waitFor({timeout: 20000});
  report.checklist = await desk.getByRole('heading', {name: /Checklist: /}).innerText();
  if(await desk.getByRole('button', {name: 'Accept and grant access'}).count() > 0) {
    await desk.getByRole('button', {name: 'Accept and grant access'}).click();
    await desk.getByText('Accepted', {exact: true}).waitFor();
  } else {
    await desk.getByLabel(/Bypass the checklist/).fill(
      "Training records seen on the lead employer's learning system.");
    await desk.getByRole('button', {name: 'Bypass and grant access'}).click();
    await desk.getByText('Bypassed by HR').waitFor();
  }
  report.grants = await desk.locator('#grants li').allInnerTexts();
  report.decision = await desk.locator('#decision').innerText();
  report.errors = errors;
  console.log(JSON.stringify({ok: true, ...report}));
} catch(error) {
  console.log(JSON.stringify({ok: false, error: String(error), ...report}));
  process.exitCode = 1;
} finally {
  await browser.close();
  lines.close();
}
