// Product updates in a real browser with real mail: an admin writes an update on /admin, previews
// it and sends it; the opted-in person's mail arrives at the SMTP sink with its one-click
// unsubscribe link; that link, opened in a fresh browser context (no cookie), shows a page that
// changes nothing until its button is pressed; afterwards the person's account page says "off".
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { launchBrowser, newWatchedPage, startServer } from '../support/server.js';
import { startSmtpSink } from '../support/smtp.js';
import { confirmedAccount, logIn as logInAs, postForm } from '../support/accounts.js';

const PASSWORD = 'a long and private passphrase';
const READER = 'reader@example.com';

let smtp;
let server;
let browser;

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

function logIn(page, email, next) {
  return logInAs({ page, server, email, password: PASSWORD, next });
}

describe('product updates in Chromium', () => {
  test('an admin sends an update; its unsubscribe link turns updates off for the reader', async () => {
    await confirmedAccount({ server, smtp, name: 'Reader', email: READER, password: PASSWORD, extra: { marketing: 'on' } });
    await confirmedAccount({ server, smtp, name: 'Quiet', email: 'quiet@example.com', password: PASSWORD });
    const made = spawnSync(server.bin, ['admin', 'create', '--email', 'editor@example.com', '--name', 'Editor'], {
      input: `${PASSWORD}\n`,
      env: { ...process.env, IMGIGO_DATA_DIR: server.dataDir, IMGIGO_LOG: 'warn' },
      encoding: 'utf8',
    });
    assert.equal(made.status, 0, made.stderr);

    // The admin writes, previews (one reader), and sends.
    const admin = await newWatchedPage(browser);
    await logIn(admin.page, 'editor@example.com', '/admin');
    const form = admin.page.getByTestId('product-updates');
    await form.getByLabel('Subject').fill('Sharper edges in imgigo');
    await form.getByLabel('Text (Markdown)').fill('# Better hair\n\nCutouts keep **fine hair** now.');
    await form.getByRole('button', { name: 'Preview' }).click();
    await admin.page.getByTestId('update-preview').waitFor({ timeout: 20_000 });
    assert.match(await admin.page.getByTestId('update-preview').textContent(), /Cutouts keep \*\*fine hair\*\* now\./);
    assert.match(await admin.page.getByTestId('send-update').textContent(), /Send to 1 person/);
    await admin.page.getByTestId('send-update').click();
    await admin.page.getByTestId('update-queued').waitFor({ timeout: 20_000 });
    await admin.context.close();

    // Only the reader gets it, with the one-click headers and a visible link.
    const mail = await smtp.waitFor((m) => m.includes('Subject: Sharper edges in imgigo'));
    assert.match(mail, /To: reader@example\.com/);
    assert.match(mail, /List-Unsubscribe-Post: List-Unsubscribe=One-Click/);
    const link = mail.match(/https?:\/\/[^\s"<>]+\/mail\/unsubscribe\?t=[0-9a-f.]+/)[0];
    assert.ok(mail.includes(`href="${link}"`), 'the HTML part links it too');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(smtp.messages().filter((m) => m.includes('Subject: Sharper edges in imgigo')).length, 1, 'nobody else');

    // A fresh context (no cookie), as a mail client's browser would be. The link is to the
    // configured public address; the server under test listens elsewhere.
    const path = link.replace(/^https?:\/\/[^/]+/, '');
    const visitor = await newWatchedPage(browser);
    await visitor.page.goto(`${server.base}${path}`);
    const button = visitor.page.getByTestId('unsubscribe');
    await button.waitFor({ timeout: 20_000 });
    const overview = async () => {
      const response = await fetch(`${server.base}/_app/account_overview`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.base, Accept: 'application/json', Cookie: cookie },
        body: '',
      });
      return response.json();
    };
    const login = await postForm(server, 'login', { email: READER, password: PASSWORD });
    const cookie = login.headers.get('set-cookie').split(';')[0];
    assert.equal((await overview()).marketing, true, 'opening the link changed nothing');
    await button.click();
    await visitor.page.getByTestId('unsubscribed').waitFor({ timeout: 20_000 });
    assert.deepEqual(await visitor.context.cookies(), [], 'no cookie was needed or set');
    await visitor.context.close();

    // The reader's account page says so.
    const reader = await newWatchedPage(browser);
    await logIn(reader.page, READER, '/account');
    await reader.page.getByTestId('marketing-state').waitFor({ timeout: 20_000 });
    assert.equal(await reader.page.getByTestId('marketing-state').textContent(), 'Product update mails: off.');
    await reader.context.close();
  });
});
