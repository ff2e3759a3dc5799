// The API keys on the account page: a new key comes with a Copy button (by mouse or keyboard, it
// says "Copied" for a moment), the name field is cleared for the next key, and every key in the list
// says its status — Active, Paused while processing is restricted, Revoked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newWatchedPage, startServer } from '../support/server.js';
import { startSmtpSink } from '../support/smtp.js';
import { confirmedAccount as registerAndConfirm, hydrated } from '../support/accounts.js';

const EMAIL = 'keys@example.com';
const PASSWORD = 'a long and private passphrase';

let smtp;
let server;
let browser;

// Registers and confirms the suite's account.
function confirmedAccount() {
  return registerAndConfirm({ server, smtp, name: 'Key Keeper', email: EMAIL, password: PASSWORD });
}

before(async () => {
  smtp = await startSmtpSink();
  server = await startServer({ env: { IMGIGO_SMTP_URL: smtp.url } });
  browser = await launchBrowser();
  await confirmedAccount();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.stop();
});

describe('API keys on the account page', () => {
  test('copy a new key by keyboard, the name is cleared, each key says its status', async () => {
    const { context, page } = await newWatchedPage(browser, { permissions: ['clipboard-read', 'clipboard-write'] });
    await page.goto(`${server.base}/login`);
    await hydrated(page, server);
    await page.getByLabel('Email address').first().fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${server.base}/account`, { timeout: 20_000 });
    await hydrated(page, server);
    await page.getByTestId('no-keys').waitFor({ timeout: 20_000 });

    const name = page.getByLabel('Name for the key');
    await name.fill('build server');
    await page.getByRole('button', { name: 'Create a key' }).click();
    const secret = (await page.getByTestId('new-api-key').textContent({ timeout: 20_000 })).trim();
    assert.match(secret, /^imgigo_/);
    await page.getByTestId('api-keys').getByText('build server').waitFor({ timeout: 20_000 });
    assert.equal(await name.inputValue(), '', 'the name field is ready for the next key');

    // Copy: a real button (in the tab order), worked with the keyboard.
    const copy = page.getByRole('button', { name: 'Copy', exact: true });
    assert.equal(await copy.evaluate((el) => el.tabIndex), 0);
    await copy.focus();
    await page.keyboard.press('Enter');
    const copied = page.getByRole('button', { name: 'Copied', exact: true });
    await copied.waitFor({ timeout: 5_000 });
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    // "Copied" only for a moment, then ready again; Space works too.
    await copy.waitFor({ timeout: 10_000 });
    await page.evaluate(() => navigator.clipboard.writeText('something else'));
    await copy.focus();
    await page.keyboard.press('Space');
    await copied.waitFor({ timeout: 5_000 });
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);

    const row = (key) => page.getByTestId('api-key').filter({ hasText: key });
    const status = async (key) => (await row(key).getByTestId('key-status').textContent()).trim();
    assert.equal(await status('build server'), 'Active');

    // Restriction pauses every key; lifting it makes them active again.
    await page.getByTestId('toggle-restriction').click();
    await page.getByTestId('restriction-state').filter({ hasText: 'restricted since' }).waitFor({ timeout: 20_000 });
    await row('build server').getByTestId('key-status').filter({ hasText: 'Paused' }).waitFor({ timeout: 20_000 });
    assert.equal(await status('build server'), 'Paused (processing is restricted)');
    const refused = await fetch(`${server.base}/v1.0/account`, { headers: { 'X-Api-Key': secret } });
    assert.equal(refused.status, 403, 'paused means refused');
    await page.getByTestId('toggle-restriction').click();
    await page.getByTestId('restriction-state').filter({ hasText: 'not restricted' }).waitFor({ timeout: 20_000 });
    await row('build server').getByTestId('key-status').filter({ hasText: 'Active' }).waitFor({ timeout: 20_000 });

    // A second key, then revoke the first: it stays listed as revoked.
    await name.fill('laptop');
    await page.getByRole('button', { name: 'Create a key' }).click();
    await page.getByTestId('api-keys').getByText('laptop').waitFor({ timeout: 20_000 });
    assert.equal(await name.inputValue(), '');
    await page.getByRole('button', { name: 'Revoke build server' }).click();
    await row('build server').getByTestId('key-status').filter({ hasText: 'Revoked' }).waitFor({ timeout: 20_000 });
    assert.match(await status('build server'), /^Revoked \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    assert.equal(await status('laptop'), 'Active');
    assert.equal(await row('build server').getByRole('button', { name: /Revoke/ }).count(), 0, 'nothing left to revoke');
    assert.equal((await fetch(`${server.base}/v1.0/account`, { headers: { 'X-Api-Key': secret } })).status, 403, 'a revoked key is refused (remove.bg answers 403)');
    await context.close();
  });
});
