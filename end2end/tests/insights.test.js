// The admin's dashboard in a real browser after a scripted day: two visitors (a desktop Firefox and
// an iPhone) load three pages, an upload is refused (no model here: 503), one person signs up; the
// admin opens /admin/insights and today's bars and points carry exactly those numbers, as do the
// table and the CSV. The headless browser the admin uses is a robot to the counter, and a signed-in
// admin with statistics off is not counted either, so nothing else adds to the numbers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { launchBrowser, newWatchedPage, startServer } from '../support/server.js';
import { startSmtpSink } from '../support/smtp.js';
import { confirmedAccount, logIn, postForm } from '../support/accounts.js';

const PASSWORD = 'a long and private passphrase';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

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

describe('the insights dashboard in Chromium', () => {
  test('a scripted day shows up in the charts, the table and the CSV', async () => {
    for (const [userAgent, paths] of [
      [FIREFOX, ['/', '/pricing']],
      [IPHONE, ['/privacy']],
    ]) {
      const visitor = await newWatchedPage(browser, { userAgent });
      for (const path of paths) {
        const response = await visitor.page.goto(`${server.base}${path}`);
        assert.equal(response.status(), 200, path);
      }
      await visitor.context.close();
    }
    const refused = await fetch(`${server.base}/api/v1/cutouts`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/png' },
      body: 'not a photo',
    });
    assert.equal(refused.status, 503, 'no model in this server');
    await confirmedAccount({ server, smtp, name: 'Newcomer', email: 'new@example.com', password: PASSWORD });
    const made = spawnSync(server.bin, ['admin', 'create', '--email', 'boss@example.com', '--name', 'Boss'], {
      input: `${PASSWORD}\n`,
      env: { ...process.env, IMGIGO_DATA_DIR: server.dataDir, IMGIGO_LOG: 'warn' },
      encoding: 'utf8',
    });
    assert.equal(made.status, 0, made.stderr);

    const admin = await newWatchedPage(browser);
    await logIn({ page: admin.page, server, email: 'boss@example.com', password: PASSWORD, next: '/admin' });
    await admin.page.getByRole('link', { name: 'Insights' }).click();
    await admin.page.waitForURL(`${server.base}/admin/insights`);
    const today = new Date().toISOString().slice(0, 10);
    const value = async (chart, series) =>
      Number(
        await admin.page
          .locator(`[data-testid="chart-${chart}"] [data-day="${today}"][data-series="${series}"]`)
          .getAttribute('data-value'),
      );
    assert.equal(await value('traffic', 'page loads'), 3);
    assert.equal(await value('traffic', 'visitors'), 2);
    assert.equal(await value('cutouts', 'cutouts'), 0);
    assert.equal(await value('refusals', '503 busy or no model'), 1);
    assert.equal(await value('refusals', '429 too many'), 0);
    assert.equal(await value('signups', 'signups'), 1);
    assert.equal(await admin.page.locator('svg[data-testid^="chart-"]').count(), 6);
    assert.equal(await value('credits', 'credits bought'), 0);

    const cells = await admin.page.locator(`[data-testid="insights-table"] tr[data-day="${today}"] td`).allTextContents();
    assert.deepEqual(cells, [today, '3', '2', '0', '', '', '0', '0', '0', '0', '1', '1', '0']);

    const cookie = (await admin.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const csv = await (await fetch(`${server.base}/admin/insights.csv?days=30`, { headers: { Cookie: cookie } })).text();
    const lines = csv.trim().split('\n');
    assert.equal(lines.length, 31);
    assert.equal(lines.at(-1), `${today},3,2,0,,,0,0,0,0,1,1,0`);
    await admin.context.close();
    // The signed-out dashboard asks for a login; an ordinary account is refused.
    const ordinary = await postForm(server, 'login', { email: 'new@example.com', password: PASSWORD });
    const theirs = ordinary.headers.get('set-cookie').split(';')[0];
    assert.equal((await fetch(`${server.base}/admin/insights`, { headers: { Cookie: theirs } })).status, 403);
  });
});
