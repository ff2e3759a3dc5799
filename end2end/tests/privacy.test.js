// The privacy centre in a real browser: anonymous visits to every public page set no cookie; a
// signed-in person downloads their data as JSON, restricts processing (their API key is refused),
// and deletes the account (logging in fails afterwards).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser, newWatchedPage, startServer } from '../support/server.js';
import { startSmtpSink } from '../support/smtp.js';
import { confirmedAccount as registerAndConfirm, hydrated } from '../support/accounts.js';

const root = resolve(import.meta.dirname, '..', '..');
const artifacts = join(root, 'end2end', 'artifacts');
const EMAIL = 'grace@example.com';
const PASSWORD = 'a long and private passphrase';
const PUBLIC_PAGES = ['/', '/privacy', '/privacy/request', '/cookies', '/developers', '/register', '/login', '/forgot', '/verify', '/reset', '/no-such-page'];

let smtp;
let server;
let browser;

// Registers and confirms the suite's account.
function confirmedAccount() {
  return registerAndConfirm({ server, smtp, name: 'Grace Hopper', email: EMAIL, password: PASSWORD });
}

before(async () => {
  smtp = await startSmtpSink();
  server = await startServer({ env: { IMGIGO_SMTP_URL: smtp.url } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.stop();
});

describe('the privacy centre in Chromium', () => {
  test('anonymous visits to every public page set no cookie', async () => {
    const { context, page } = await newWatchedPage(browser);
    for (const path of PUBLIC_PAGES) {
      await page.goto(`${server.base}${path}`);
      await hydrated(page, server);
    }
    assert.deepEqual(await context.cookies(), []);
    await page.goto(`${server.base}/cookies`);
    assert.match(await page.getByTestId('cookies').textContent(), /imgigo_session/);
    await context.close();
  });

  test('download my data, restrict processing, delete the account', async () => {
    await confirmedAccount();
    const { context, page } = await newWatchedPage(browser, { acceptDownloads: true });
    await page.goto(`${server.base}/login`);
    await hydrated(page, server);
    await page.getByLabel('Email address').first().fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${server.base}/account`, { timeout: 20_000 });
    await hydrated(page, server);

    // Access and portability: a JSON file with the account in it.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download-data').click(),
    ]);
    assert.match(download.suggestedFilename(), /^imgigo-data-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(exported.schema, 'imgigo-export/1');
    assert.equal(exported.users.email, EMAIL);
    assert.equal(exported.consents.length, 3, 'privacy policy, product updates, statistics');

    // Restriction: the account's API key is refused with the reason, until lifted.
    await page.getByLabel('Name for the key').fill('ci');
    await page.getByRole('button', { name: 'Create a key' }).click();
    const key = (await page.getByTestId('new-api-key').textContent({ timeout: 20_000 })).trim();
    const account = () => fetch(`${server.base}/v1.0/account`, { headers: { 'X-Api-Key': key } });
    assert.equal((await account()).status, 200);
    await page.getByTestId('toggle-restriction').click();
    await page.getByTestId('restriction-state').filter({ hasText: 'restricted since' }).waitFor({ timeout: 20_000 });
    const refused = await account();
    assert.equal(refused.status, 403);
    assert.match(JSON.stringify(await refused.json()), /restricted/);
    await page.screenshot({ path: join(artifacts, '10-privacy-centre.png'), fullPage: true });
    await page.getByTestId('toggle-restriction').click();
    await page.getByTestId('restriction-state').filter({ hasText: 'not restricted' }).waitFor({ timeout: 20_000 });
    assert.equal((await account()).status, 200);

    // Deletion: password again, confirm, gone.
    await page.locator('.danger-zone summary').click();
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByLabel('Yes, delete my account and all its data for good.').check();
    await page.getByTestId('delete-account').click();
    await page.waitForURL(`${server.base}/account/deleted`, { timeout: 20_000 });
    await page.getByTestId('account-deleted').getByText('Your account and its data are deleted').waitFor({ timeout: 20_000 });
    assert.deepEqual((await context.cookies()).filter((c) => c.name === 'imgigo_session'), []);
    await smtp.waitFor((m) => m.includes('Subject: Your imgigo account was deleted'));
    assert.equal((await account()).status, 403, 'the key went with the account');

    await page.goto(`${server.base}/login`);
    await hydrated(page, server);
    await page.getByLabel('Email address').first().fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: "don't match an account" }).waitFor({ timeout: 20_000 });
    await context.close();
  });

  test('a request sent from the form reaches the staff queue, and the answer reaches the sender', async () => {
    const { context, page } = await newWatchedPage(browser);
    await page.goto(`${server.base}/privacy/request`);
    await hydrated(page, server);
    await page.getByLabel(/Your email address/).fill('visitor@example.com');
    await page.getByLabel('What is it about?').selectOption('access');
    await page.getByLabel('Your request').fill('Do you hold anything about me?');
    await page.getByRole('button', { name: 'Send the request' }).click();
    const reference = (await page.getByTestId('request-reference').textContent({ timeout: 20_000 })).match(/#(\d+)/)[1];
    await smtp.waitFor((m) => m.includes(`Subject: Your privacy request #${reference} was received`));
    assert.deepEqual(await context.cookies(), [], 'no account, no cookie');

    // The first admin, made the way an operator does it.
    const made = spawnSync(server.bin, ['admin', 'create', '--email', 'admin@example.com', '--name', 'Admin'], {
      input: `${PASSWORD}\n`,
      env: { ...process.env, IMGIGO_DATA_DIR: server.dataDir, IMGIGO_LOG: 'warn' },
      encoding: 'utf8',
    });
    assert.equal(made.status, 0, made.stderr);
    await page.goto(`${server.base}/login?next=/staff`);
    await hydrated(page, server);
    await page.getByLabel('Email address').first().fill('admin@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${server.base}/staff`, { timeout: 20_000 });
    const entry = page.getByTestId('queue-entry').filter({ hasText: `#${reference}` });
    await entry.waitFor({ timeout: 20_000 });
    assert.match(await entry.textContent(), /visitor@example\.com.*open.*Do you hold anything about me\?/s);
    await entry.getByLabel('Answer (mailed to the requester)').fill('Nothing: you have no account with us.');
    await page.screenshot({ path: join(artifacts, '11-staff-queue.png'), fullPage: true });
    await entry.getByRole('button', { name: 'Send the answer' }).click();
    await page.getByTestId('queue-entry').filter({ hasText: `#${reference}` }).filter({ hasText: 'closed' }).waitFor({ timeout: 20_000 });
    const answer = await smtp.waitFor((m) => m.includes(`Subject: An answer to your privacy request #${reference}`));
    assert.match(answer, /Nothing: you have no account with us\./);
    await context.close();
  });
});
