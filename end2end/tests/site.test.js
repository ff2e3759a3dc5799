// The site as a person's browser sees it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser, newWatchedPage, startServer, editorReady } from '../support/server.js';

const root = resolve(import.meta.dirname, '..', '..');

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('imgigo in Chromium', () => {
  test('the home page is rendered on the server, before any script runs', async () => {
    const res = await fetch(`${server.base}/`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<h1>Remove the background from any photo<\/h1>/);
    assert.match(html, /data-hydrated="false"/);
  });

  test('hydration makes the page interactive', async () => {
    const { context, page, problems } = await newWatchedPage(browser);
    await page.goto(`${server.base}/`);
    // Before hydration the picker is disabled: it would do nothing.
    await editorReady(page);
    assert.equal(await page.getByTestId('file-input').isEnabled(), true);
    // A preference is applied at once and kept in localStorage (through gloo-storage).
    await page.getByTestId('theme').selectOption('dark');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('imgigo.theme')));
    assert.equal(saved, 'dark');
    await page.reload();
    await editorReady(page);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    assert.equal(await page.getByTestId('theme').inputValue(), 'dark');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('without the model, a photo gets the server\'s explanation', async () => {
    const { context, page } = await newWatchedPage(browser);
    await page.goto(`${server.base}/`);
    await editorReady(page);
    await page.getByTestId('file-input').setInputFiles(join(root, 'segmentation', 'reference', 'inputs', 'coffee.png'));
    const notice = page.getByTestId('notice');
    await notice.waitFor({ timeout: 20_000 });
    assert.match(await notice.textContent(), /coffee\.png.*Please try again later\./);
    await page.locator('[data-testid="queue-item"][data-status="failed"]').waitFor();
    await context.close();
  });

  test('the privacy page shows the policy, also after client-side navigation', async () => {
    const { context, page, problems } = await newWatchedPage(browser);
    const res = await page.goto(`${server.base}/privacy`);
    assert.equal(res.status(), 200);
    assert.equal(await page.locator('article.policy h1').textContent(), 'Privacy Policy');
    await page.getByRole('heading', { name: '6. Your Rights' }).waitFor();
    // The version names the text shown (the built-in policy): the start of its SHA-256.
    const text = readFileSync(join(root, 'services', 'src', 'privacy', 'privacy_policy.txt'));
    const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
    assert.equal(await page.getByTestId('policy-version').textContent(), `sha256:${digest}`);

    // From the editor, the header link loads the policy through the server function.
    await page.goto(`${server.base}/`);
    await editorReady(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Privacy' }).click();
    await page.getByRole('heading', { name: '3. Where Images Are Processed & Data Security' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/privacy');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('an unknown address shows the 404 page with status 404', async () => {
    const { context, page } = await newWatchedPage(browser);
    const res = await page.goto(`${server.base}/this/does/not/exist`);
    assert.equal(res.status(), 404);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.getByRole('link', { name: 'Back to the editor' }).click();
    await page.getByRole('heading', { name: 'Remove the background from any photo' }).waitFor();
    await context.close();
  });

  test('no console errors, no failed requests, on every page', async () => {
    const { context, page, problems } = await newWatchedPage(browser);
    for (const path of ['/', '/privacy', '/pricing']) {
      await page.goto(`${server.base}${path}`, { waitUntil: 'networkidle' });
    }
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('an anonymous visit sets no cookie and stores nothing', async () => {
    const { context, page } = await newWatchedPage(browser);
    for (const path of ['/', '/privacy', '/missing']) {
      await page.goto(`${server.base}${path}`, { waitUntil: 'networkidle' });
    }
    assert.deepEqual(await context.cookies(), []);
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
    await context.close();
  });

  test('every response carries a strict Content-Security-Policy', async () => {
    const { context, page } = await newWatchedPage(browser);
    const seen = [];
    page.on('response', (r) => seen.push(r));
    const res = await page.goto(`${server.base}/`, { waitUntil: 'networkidle' });
    const csp = res.headers()['content-security-policy'];
    assert.ok(csp, 'CSP header present');
    assert.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.ok(seen.length >= 4, 'page, script, wasm and stylesheet were loaded');
    for (const r of seen) {
      assert.ok(r.headers()['content-security-policy'], `CSP on ${r.url()}`);
      assert.equal(r.headers()['x-content-type-options'], 'nosniff', r.url());
      assert.ok(new URL(r.url()).origin === server.base, `only our own origin: ${r.url()}`);
    }
    await context.close();
  });
});
