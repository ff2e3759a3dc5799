// Accounts in a real browser against the real server, with mail going to a real SMTP server on
// loopback: register → the verification mail arrives → follow its link → log in → create an API
// key → use it like curl would → log out. No cookie exists until the login.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser, newWatchedPage, startServer } from '../support/server.js';
import { startSmtpSink } from '../support/smtp.js';
import { hydrated } from '../support/accounts.js';

const root = resolve(import.meta.dirname, '..', '..');
const artifacts = join(root, 'end2end', 'artifacts');
const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';

let smtp;
let server;
let browser;

before(async () => {
  smtp = await startSmtpSink();
  server = await startServer({ model: true, env: { IMGIGO_SMTP_URL: smtp.url, IMGIGO_MAIL_FROM: 'imgigo <no-reply@imgigo.test>' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.stop();
});

describe('accounts in Chromium', () => {
  test('register, verify by mail, log in, create and use an API key, log out', async () => {
    const { context, page, problems } = await newWatchedPage(browser);

    // Visiting the public pages stores nothing.
    for (const path of ['/', '/privacy', '/developers', '/register', '/login']) {
      await page.goto(`${server.base}${path}`);
    }
    assert.deepEqual(await context.cookies(), [], 'no cookie for an anonymous visitor');

    await page.goto(`${server.base}/register`);
    await hydrated(page, server);
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('Email address').fill(EMAIL);
    await page.getByLabel('Password (at least 12 characters)').fill(PASSWORD);
    await page.getByLabel('I am 13 years old or older.').check();
    await page.getByLabel(/I have read and accept the/).check();
    assert.equal(await page.getByLabel('Send me product updates by mail').isChecked(), false, 'marketing is opt-in');
    assert.equal(await page.getByLabel('Count my visits in the anonymous statistics').isChecked(), false, 'statistics are opt-in');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByTestId('check-inbox').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(artifacts, '08-registered.png') });
    assert.deepEqual(await context.cookies(), [], 'registering does not set a cookie');

    // The verification mail arrives at the SMTP server, with a text and an HTML part.
    const mail = await smtp.waitFor((m) => m.includes('Subject: Confirm your email address for imgigo'));
    assert.match(mail, /To: ada@example\.com/);
    assert.match(mail, /Content-Type: text\/plain/);
    assert.match(mail, /Content-Type: text\/html/);
    const link = mail.match(/http:\/\/127\.0\.0\.1:\d+\/verify\?token=[A-Za-z0-9_-]+/)?.[0];
    assert.ok(link, 'the mail carries the verification link');
    assert.ok(link.startsWith(server.base), `the link points at this server: ${link}`);

    // Before verifying, logging in is refused with a reason.
    await page.goto(`${server.base}/login`);
    await hydrated(page, server);
    await page.getByLabel('Email address').first().fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'confirm your email address' }).waitFor({ timeout: 20_000 });

    await page.goto(link);
    await hydrated(page, server);
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await page.getByText('Your address is confirmed.').waitFor({ timeout: 20_000 });
    assert.deepEqual(await context.cookies(), [], 'verifying does not set a cookie');

    // Log in: the one cookie appears, HttpOnly and SameSite=Lax.
    await page.goto(`${server.base}/login`);
    await hydrated(page, server);
    await page.getByLabel('Email address').first().fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${server.base}/account`, { timeout: 20_000 });
    await page.getByTestId('signed-in-as').waitFor();
    assert.match(await page.getByTestId('signed-in-as').textContent(), /Ada Lovelace.*ada@example\.com/);
    const cookies = await context.cookies();
    assert.equal(cookies.length, 1, JSON.stringify(cookies));
    assert.equal(cookies[0].name, 'imgigo_session');
    assert.equal(cookies[0].httpOnly, true);
    assert.equal(cookies[0].sameSite, 'Lax');
    assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session cookie');

    // Create an API key: shown once.
    await page.getByLabel('Name for the key').fill('laptop script');
    await page.getByRole('button', { name: 'Create a key' }).click();
    const shown = page.getByTestId('new-api-key');
    await shown.waitFor({ timeout: 20_000 });
    const key = (await shown.textContent()).trim();
    assert.match(key, /^imgigo_[A-Za-z0-9_-]{43}$/);
    await page.getByTestId('api-keys').getByText('laptop script').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(artifacts, '09-account-with-key.png'), fullPage: true });
    await smtp.waitFor((m) => m.includes('Subject: A new imgigo API key was created'));

    // Use it as curl would: no browser, no cookie, just the header.
    const photo = readFileSync(join(root, 'segmentation', 'reference', 'inputs', 'coffee.png'));
    const withKey = await fetch(`${server.base}/api/v1/cutouts?size=preview`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/png', 'X-Api-Key': key },
      body: photo,
    });
    assert.equal(withKey.status, 200, await withKey.clone().text());
    assert.equal(withKey.headers.get('content-type'), 'image/png');
    assert.equal(withKey.headers.get('x-ratelimit-limit'), '60', 'the key has its own, larger limit');
    const anonymous = await fetch(`${server.base}/api/v1/cutouts?size=preview`, {
      method: 'POST', headers: { 'Content-Type': 'image/png' }, body: photo,
    });
    assert.equal(anonymous.headers.get('x-ratelimit-limit'), '10');
    const wrong = await fetch(`${server.base}/api/v1/cutouts`, {
      method: 'POST', headers: { 'Content-Type': 'image/png', 'X-Api-Key': `${key.slice(0, -2)}xx` }, body: photo,
    });
    assert.equal(wrong.status, 401);

    // The key list shows when it was last used.
    await page.reload();
    await hydrated(page, server);
    await page.getByTestId('api-keys').waitFor();
    assert.doesNotMatch(await page.getByTestId('api-keys').textContent(), /never/);

    // Log out: the cookie goes, and the account page sends us to log in.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${server.base}/`, { timeout: 20_000 });
    assert.deepEqual((await context.cookies()).filter((c) => c.name === 'imgigo_session'), []);
    await page.goto(`${server.base}/account`);
    assert.match(page.url(), /\/login\?next=%2Faccount$/);
    assert.deepEqual(problems.filter((p) => !p.includes('401') && !p.includes('403')), []);
    await context.close();
  });

  test('a cross-site form post is refused', async () => {
    const res = await fetch(`${server.base}/_app/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://evil.test' },
      body: `email=${encodeURIComponent(EMAIL)}&password=${encodeURIComponent(PASSWORD)}`,
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('set-cookie'), null);
  });
});
