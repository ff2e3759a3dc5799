// The words outside the editor agree with each other and with the code: sign-up asks about
// statistics and product update mails with unticked boxes, the account page shows exactly what was
// ticked (with buttons that say what they switch), /cookies says the same, the session lengths on
// the pages are the configured ones, and deleting the account lands on a page that says so.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newWatchedPage, startServer } from '../support/server.js';
import { startSmtpSink } from '../support/smtp.js';
import { hydrated } from '../support/accounts.js';

const PASSWORD = 'a long and private passphrase';
const STATISTICS = 'Count my visits in the anonymous statistics';
const UPDATES = 'Send me product updates by mail';
// Not the defaults (30 minutes, 12 hours): the pages must say what the server is configured with.
const IDLE_MINUTES = '20';
const MAX_HOURS = '48';

let smtp;
let server;
let browser;

async function verifyLink(email) {
  const mail = await smtp.waitFor((m) => m.includes('Subject: Confirm your email address for imgigo') && m.includes(`To: ${email}`));
  return mail.match(/http:\/\/127\.0\.0\.1:\d+\/verify\?token=[A-Za-z0-9_-]+/)[0];
}

// Signs up through the form, ticking only what `tick` names; confirms the address; logs in.
async function signUpAndLogIn(page, email, tick) {
  await page.goto(`${server.base}/register`);
  await hydrated(page, server);
  const statistics = page.getByLabel(STATISTICS);
  const updates = page.getByLabel(UPDATES);
  assert.equal(await statistics.isChecked(), false, 'statistics start unticked');
  assert.equal(await updates.isChecked(), false, 'product update mails start unticked');
  await page.getByLabel('Name').fill('Grace');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password (at least 12 characters)').fill(PASSWORD);
  await page.getByLabel('I am 13 years old or older.').check();
  await page.getByLabel(/I have read and accept the/).check();
  for (const label of tick) await page.getByLabel(label).check();
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('check-inbox').waitFor({ timeout: 20_000 });

  await page.goto(await verifyLink(email));
  await hydrated(page, server);
  await page.getByRole('button', { name: 'Confirm my email address' }).click();
  await page.getByText('Your address is confirmed.').waitFor({ timeout: 20_000 });

  await page.goto(`${server.base}/login`);
  await hydrated(page, server);
  await page.getByLabel('Email address').first().fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${server.base}/account`, { timeout: 20_000 });
  await hydrated(page, server);
}

before(async () => {
  smtp = await startSmtpSink();
  server = await startServer({
    env: { IMGIGO_SMTP_URL: smtp.url, IMGIGO_SESSION_IDLE_MINUTES: IDLE_MINUTES, IMGIGO_SESSION_MAX_HOURS: MAX_HOURS },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.stop();
});

describe('words that agree with the code', () => {
  test('sign-up asks with unticked boxes; the account page shows exactly what was ticked', async () => {
    const { context, page } = await newWatchedPage(browser);
    await signUpAndLogIn(page, 'stats@example.com', [STATISTICS]);
    assert.equal((await page.getByTestId('analytics-state').textContent()).trim(), 'Anonymous statistics: on.');
    assert.equal((await page.getByTestId('marketing-state').textContent()).trim(), 'Product update mails: off.');
    const history = await page.getByTestId('consent-history').textContent();
    assert.match(history, /Anonymous statistics: on \(at sign-up/);
    assert.match(history, /Product update mails: off \(at sign-up/);

    // Two buttons read "Turn on"/"Turn off"; their accessible names say what each one switches.
    const offStatistics = page.getByRole('button', { name: 'Turn off anonymous statistics', exact: true });
    const onUpdates = page.getByRole('button', { name: 'Turn on product update mails', exact: true });
    assert.equal(await offStatistics.count(), 1);
    assert.equal(await onUpdates.count(), 1);
    assert.equal((await offStatistics.textContent()).trim(), 'Turn off');
    await offStatistics.click();
    await page.getByTestId('analytics-state').filter({ hasText: 'Anonymous statistics: off.' }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Turn on anonymous statistics', exact: true }).waitFor();
    assert.match(await page.getByTestId('consent-history').textContent(), /Anonymous statistics: off \(on this page/);

    // The session lengths shown are the configured ones, here and on /cookies.
    assert.equal(
      (await page.getByTestId('session-lengths').textContent()).trim(),
      `A session ends after ${IDLE_MINUTES} minutes without use and 2 days after logging in.`,
    );
    await context.close();
  });

  test('nothing ticked at sign-up: both are off', async () => {
    const { context, page } = await newWatchedPage(browser);
    await signUpAndLogIn(page, 'quiet@example.com', []);
    assert.equal((await page.getByTestId('analytics-state').textContent()).trim(), 'Anonymous statistics: off.');
    assert.equal((await page.getByTestId('marketing-state').textContent()).trim(), 'Product update mails: off.');
    await page.getByRole('button', { name: 'Turn on anonymous statistics', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Turn on product update mails', exact: true }).waitFor();
    await context.close();
  });

  test('/cookies says what sign-up and the account page do, and the configured session lengths', async () => {
    const { context, page } = await newWatchedPage(browser);
    await page.goto(`${server.base}/cookies`);
    await hydrated(page, server);
    const statistics = await page.getByTestId('statistics').textContent();
    assert.match(statistics, /off unless you turn them on/);
    assert.ok(statistics.includes(STATISTICS), 'names the sign-up question');
    assert.match(statistics, /account page/);
    assert.match(statistics, /Global Privacy Control/);
    assert.match(statistics, /IP address is not written anywhere/);
    assert.doesNotMatch(await page.getByTestId('cookies').textContent(), /if you allow them/);
    assert.equal(
      (await page.getByTestId('session-cookie-lifetime').textContent()).trim(),
      `Ends ${IDLE_MINUTES} minutes after your last visit, 2 days after logging in, or when you log out`,
    );
    assert.deepEqual(await context.cookies(), [], 'still no cookie for a visitor');
    await context.close();
  });

  test('the register page says what an account keeps', async () => {
    const { context, page } = await newWatchedPage(browser);
    await page.goto(`${server.base}/register`);
    const lede = await page.locator('[data-testid="register"] .lede').textContent();
    assert.doesNotMatch(lede, /nothing else/);
    for (const kept of ['sessions', 'API keys', 'choices below', 'deleting the account deletes all of it']) {
      assert.ok(lede.includes(kept), `names ${kept}: ${lede}`);
    }
    await context.close();
  });

  test('deleting the account lands on a page that says it was done', async () => {
    const { context, page } = await newWatchedPage(browser);
    await signUpAndLogIn(page, 'leaving@example.com', [UPDATES]);
    const zone = page.locator('.danger-zone');
    await zone.locator('summary').click();
    const explained = await zone.textContent();
    assert.doesNotMatch(explained, /nothing else to delete/);
    assert.match(explained, /results made with your API keys/);
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByLabel('Yes, delete my account and all its data for good.').check();
    await page.getByTestId('delete-account').click();
    await page.waitForURL(`${server.base}/account/deleted`, { timeout: 20_000 });
    const done = page.getByTestId('account-deleted');
    await done.getByRole('heading', { name: 'Your account is deleted' }).waitFor({ timeout: 20_000 });
    const said = await done.textContent();
    assert.match(said, /Your account and its data are deleted/);
    assert.match(said, /consent records, sessions, API keys/);
    assert.match(said, /Nothing of the account remains with us/);
    assert.match(said, /We sent a confirmation/);
    assert.deepEqual((await context.cookies()).filter((c) => c.name === 'imgigo_session'), [], 'signed out');
    const mail = await smtp.waitFor((m) => m.includes('Subject: Your imgigo account was deleted'));
    assert.match(mail.replace(/\r?\n/g, ' '), /Nothing of the account remains/);

    // The page needs no account: a reload shows it again instead of a log-in form.
    await page.reload();
    await done.waitFor({ timeout: 20_000 });
    assert.equal(new URL(page.url()).pathname, '/account/deleted');
    await context.close();
  });
});
