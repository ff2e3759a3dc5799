// Login's `next=` in a real browser: `/login?next=/%09/evil.test` arrives as `/<tab>/evil.test`,
// which Chromium would turn into `//evil.test` (it drops tabs from a URL) and so leave the site.
// The server only follows plain local paths, so the browser must end on this site's `/account`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { launchBrowser, newWatchedPage, pageHydrated, startServer } from '../support/server.js';

const EMAIL = 'next@example.com';
const PASSWORD = 'correct horse battery staple';

function hydrated(page) {
  return pageHydrated(page, { timeout: 20_000, server });
}

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // A confirmed account, made the way an operator does it (no mail round trip needed here).
  const made = spawnSync(server.bin, ['admin', 'create', '--email', EMAIL, '--name', 'Next'], {
    input: `${PASSWORD}\n`,
    env: { ...process.env, IMGIGO_DATA_DIR: server.dataDir, IMGIGO_LOG: 'warn' },
    encoding: 'utf8',
  });
  assert.equal(made.status, 0, made.stderr);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('login next= in Chromium', () => {
  for (const next of ['/%09/evil.test', '/%0d%0a/evil.test', '/%5Cevil.test', '//evil.test']) {
    test(`next=${next} ends on this site's /account`, async () => {
      const { context, page } = await newWatchedPage(browser);
      // Any attempt to reach the other host is recorded and answered here, never sent out.
      const elsewhere = [];
      await context.route(
        (url) => url.hostname !== '127.0.0.1',
        (route) => {
          elsewhere.push(route.request().url());
          return route.fulfill({ status: 200, contentType: 'text/html', body: '<p>evil</p>' });
        },
      );
      await page.goto(`${server.base}/login?next=${next}`);
      await hydrated(page);
      await page.getByLabel('Email address').first().fill(EMAIL);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${server.base}/account`, { timeout: 20_000 });
      assert.equal(new URL(page.url()).origin, server.base);
      assert.deepEqual(elsewhere, [], 'the browser never left the site');
      await context.close();
    });
  }
});
