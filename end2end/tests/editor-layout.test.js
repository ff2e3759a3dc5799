// The editor as a new user meets it (issue 14): after a cutout the result and its main actions are
// on screen at desktop and phone sizes, messages appear where the person looks, every state tells
// the truth, destructive actions ask first, and the small things (theme, shortcuts, selected
// states) work. Real server, real model; each test has its own browser context and storage.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { cutOut, openEditor, setRange } from '../support/editor.js';
import { launchBrowser, startServer, editorReady, pageHydrated } from '../support/server.js';

const root = resolve(import.meta.dirname, '..', '..');
const PHOTO = join(root, 'segmentation', 'reference', 'inputs', 'chelsea.png');
const PDF = join(root, 'services', 'tests', 'corpus', 'document.pdf');
const TRUNCATED = join(root, 'services', 'tests', 'corpus', 'truncated.jpg');
const ARTIFACTS = join(root, 'end2end', 'artifacts');

let server;
let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer({ model: true });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const photo = PNG.sync.read(readFileSync(PHOTO));

// A fresh browser profile (own storage) with one page on the editor, hydrated.
function editor(viewport = { width: 1280, height: 800 }, extra = {}) {
  return openEditor(browser, server, { viewport, ...extra });
}

// Whether the element is wholly inside the window and is what a person sees at its centre (not
// covered, not clipped away by a scrolled container).
async function onScreen(page, testid) {
  return page.getByTestId(testid).evaluate((el) => {
    const r = el.getBoundingClientRect();
    const inside = r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth + 0.5 && r.bottom <= window.innerHeight + 0.5;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    const label = el.closest('label');
    const seen = !!hit && (el === hit || el.contains(hit) || (label && label.contains(hit)));
    return { inside, seen, box: [Math.round(r.left), Math.round(r.top), Math.round(r.right), Math.round(r.bottom)] };
  });
}

async function sidewaysOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

describe('the editor after a cutout, at every size', () => {
  for (const [width, height, mobile] of [
    [1280, 800, false],
    [1920, 1080, false],
    [390, 844, true],
  ]) {
    test(`at ${width}×${height} the whole cutout, its actions and the backgrounds are on screen`, async () => {
      const extra = mobile ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {};
      const { context, page } = await editor({ width, height }, extra);
      assert.equal(await page.locator('.hero').isVisible(), true, 'the introduction greets a first visit');
      await cutOut(page, PHOTO);
      // The page brings the result into view by itself; nothing is scrolled by the test.
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(ARTIFACTS, `10-after-cutout-${width}x${height}.png`) });
      assert.equal(await page.locator('.hero').isVisible(), false, 'the introduction steps aside');
      for (const id of ['stage', 'download', 'export-format', 'copy', 'bg-transparent', 'bg-blur', 'bg-color', 'swatch-ffffff']) {
        const seen = await onScreen(page, id);
        assert.ok(seen.inside && seen.seen, `${id} is on screen at ${width}×${height}: ${JSON.stringify(seen)}`);
      }
      // The whole cutout fits the stage: the output rectangle maps inside the canvas.
      const fit = await page.getByTestId('canvas').evaluate((canvas) => {
        const [scale, ox, oy] = canvas.dataset.transform.split(' ').map(Number);
        const [, , w, h] = canvas.dataset.output.split(' ').map(Number);
        return { left: ox, top: oy, right: ox + w * scale, bottom: oy + h * scale, width: canvas.width, height: canvas.height };
      });
      assert.ok(fit.left >= -1 && fit.top >= -1 && fit.right <= fit.width + 1 && fit.bottom <= fit.height + 1, `fitted: ${JSON.stringify(fit)}`);
      assert.ok(await sidewaysOverflow(page) <= 0, 'no sideways scrolling');
      await context.close();
    });
  }
});

describe('messages and states that tell the truth', () => {
  test('copying says so on the button and in a message in view', async () => {
    const { context, page } = await editor({ width: 1280, height: 800 });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
    await cutOut(page, PHOTO);
    await page.getByTestId('copy').click();
    await page.locator('[data-testid="copy"]', { hasText: 'Copied' }).waitFor({ timeout: 20_000 });
    const notice = page.locator('[data-testid="notice"]', { hasText: 'Copied to the clipboard' });
    await notice.waitFor();
    const box = await notice.boundingBox();
    const copy = await page.getByTestId('copy').boundingBox();
    assert.ok(box.y >= 0 && box.y + box.height <= 800, `the message is in the window: ${JSON.stringify(box)}`);
    assert.ok(Math.abs(box.y - copy.y) < 700, 'and near the button');
    // The button goes back to its name.
    await page.locator('[data-testid="copy"]', { hasText: /^Copy$/ }).waitFor({ timeout: 10_000 });
    await context.close();
  });

  test('after a failed upload the stage stops saying "Working on it"', async () => {
    const { context, page } = await editor();
    // Before the first photo there is only the introduction and the picker: no stage yet.
    assert.equal(await page.getByTestId('stage').count(), 0);
    assert.equal(await page.locator('.hero').isVisible(), true);
    await page.getByTestId('file-input').setInputFiles(PDF);
    await page.locator('[data-testid="queue-item"][data-status="failed"]').waitFor();
    await page.getByTestId('notice').waitFor();
    const said = await page.getByTestId('stage-message').textContent();
    assert.doesNotMatch(said, /Working on it/);
    assert.match(said, /could not be cut out/);
    await context.close();
  });

  test('an incomplete JPEG is refused in words a person understands', async () => {
    const { context, page } = await editor();
    await page.getByTestId('file-input').setInputFiles(TRUNCATED);
    await page.locator('[data-testid="queue-item"][data-status="failed"]').waitFor({ timeout: 60_000 });
    const notice = await page.getByTestId('notice').textContent();
    assert.match(notice, /truncated\.jpg/);
    assert.match(notice, /incomplete/i);
    assert.doesNotMatch(notice, /Your browser could not read this image/);
    assert.doesNotMatch(await page.getByTestId('stage-message').textContent(), /Working on it/);
    assert.equal(await page.getByTestId('stage').getAttribute('data-ready'), 'false');
    await context.close();
  });

  test('a photo without a subject says so instead of showing an empty "Ready" result', async () => {
    const { context, page } = await editor();
    // A plain grey sheet: nothing to cut out.
    const grey = new PNG({ width: 320, height: 240 });
    grey.data.fill(128);
    for (let i = 3; i < grey.data.length; i += 4) grey.data[i] = 255;
    await page.getByTestId('file-input').setInputFiles({ name: 'grey.png', mimeType: 'image/png', buffer: PNG.sync.write(grey) });
    await page.locator('[data-testid="queue-item"][data-status="failed"]').waitFor({ timeout: 120_000 });
    assert.match(await page.getByTestId('notice').textContent(), /grey\.png.*subject/i);
    assert.equal(await page.getByTestId('stage').getAttribute('data-ready'), 'false');
    assert.doesNotMatch(await page.getByTestId('queue-status').textContent(), /Ready/);
    await context.close();
  });

  test('"Choose photos" says it is not ready before the page\'s code has loaded', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The client bundle never arrives (a slow or failed download): the page stays server-rendered.
    await page.route('**/pkg/*.wasm', (route) => route.abort());
    await page.goto(`${server.base}/`);
    const pick = page.getByTestId('pick');
    assert.equal(await pick.getAttribute('aria-disabled'), 'true');
    assert.match(await pick.textContent(), /Loading the editor/);
    assert.equal(await page.getByTestId('file-input').isDisabled(), true);
    assert.ok(Number(await pick.evaluate((el) => getComputedStyle(el).opacity)) < 0.8, 'it looks unavailable');
    await page.unroute('**/pkg/*.wasm');
    await page.reload();
    await editorReady(page, 30_000);
    assert.equal(await pick.getAttribute('aria-disabled'), 'false');
    assert.match(await pick.textContent(), /Choose photos/);
    await context.close();
  });

  test('a crop to the subject stays inside the photo', async () => {
    const { context, page } = await editor();
    await cutOut(page, PHOTO);
    await page.getByTestId('crop-enabled').check();
    for (const margin of [0, 20, 50]) {
      await setRange(page, 'crop-margin', margin);
      for (const aspect of ['free', 'original']) {
        await page.getByTestId('crop-aspect').selectOption(aspect);
        await page.waitForTimeout(100);
        const [x, y, w, h] = (await page.getByTestId('canvas').getAttribute('data-output')).split(' ').map(Number);
        assert.ok(x >= 0 && y >= 0 && x + w <= photo.width && y + h <= photo.height, `margin ${margin} ${aspect}: ${[x, y, w, h]} inside ${photo.width}×${photo.height}`);
        if (aspect === 'original') assert.ok(Math.abs(w / h - photo.width / photo.height) < 0.01, 'the photo\'s proportions');
      }
    }
    await context.close();
  });
});

describe('a long queue, destructive actions and small things', () => {
  test('with many photos the queue keeps the current one in sight and names whole', async () => {
    const { context, page } = await editor({ width: 1280, height: 800 });
    const bytes = readFileSync(PHOTO);
    const names = Array.from({ length: 5 }, (_, i) => `holiday-at-the-sea-${i + 1}-2026.png`);
    await cutOut(page, names.map((name) => ({ name, mimeType: 'image/png', buffer: bytes })), names.length);
    // The last one is open and in sight in the queue's strip.
    const last = page.locator('.queue-item', { hasText: names.at(-1) });
    await last.locator('.thumb').click();
    await page.locator('.queue-item.current', { hasText: names.at(-1) }).waitFor();
    await page.waitForTimeout(600);
    const inStrip = await page.locator('.queue-item.current').evaluate((item) => {
      const q = item.closest('.queue').getBoundingClientRect();
      const r = item.getBoundingClientRect();
      return r.left >= q.left - 1 && r.right <= q.right + 1;
    });
    assert.ok(inStrip, 'the current image is visible in the queue');
    // Names are not cut: each shows whole (on up to two lines).
    for (const el of await page.getByTestId('queue-name').all()) {
      const cut = await el.evaluate((n) => n.scrollHeight > n.clientHeight + 1 || n.scrollWidth > n.clientWidth + 1);
      assert.equal(cut, false, `${await el.textContent()} shows whole`);
    }
    await page.screenshot({ path: join(ARTIFACTS, '11-long-queue.png') });
    await context.close();
  });

  test('removing an image and clearing the history ask first', async () => {
    const { context, page } = await editor();
    await cutOut(page, PHOTO);
    const link = await page.getByTestId('result-link').getAttribute('href');
    // One image: ×, then Cancel keeps it; ×, then Remove deletes it and its server copy.
    await page.getByRole('button', { name: 'Remove chelsea.png from history' }).click();
    const dialog = page.getByTestId('confirm');
    await dialog.waitFor();
    assert.match(await dialog.textContent(), /Remove “chelsea\.png”\?.*cannot be undone/);
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'confirm-no', 'the safe answer has the focus');
    await page.getByTestId('confirm-no').click();
    assert.equal(await page.getByTestId('queue-item').count(), 1);
    assert.equal((await fetch(`${server.base}${link}`)).status, 200, 'nothing deleted');
    await page.getByRole('button', { name: 'Remove chelsea.png from history' }).click();
    await page.getByTestId('confirm-yes').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="queue-item"]').length === 0);
    for (let i = 0; i < 50 && (await fetch(`${server.base}${link}`)).status !== 404; i++) await page.waitForTimeout(100);
    assert.equal((await fetch(`${server.base}${link}`)).status, 404, 'the server copy is deleted');

    // Clear history: Escape cancels, the button confirms.
    await cutOut(page, PHOTO);
    await page.getByTestId('clear-history').click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('queue-item').count(), 1);
    await page.getByTestId('clear-history').click();
    await page.getByTestId('confirm-yes').click();
    await page.locator('[data-testid="notice"]', { hasText: 'History cleared' }).waitFor();
    assert.equal(await page.getByTestId('queue-item').count(), 0);
    await context.close();
  });

  test('the theme chosen in the footer holds on every page, and can be changed there', async () => {
    const { context, page } = await editor();
    await page.getByTestId('theme').selectOption('dark');
    for (const path of ['/privacy', '/cookies', '/developers', '/login']) {
      await page.goto(`${server.base}${path}`);
      await pageHydrated(page, { server });
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark', path);
      const paper = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      assert.equal(paper, 'rgb(11, 16, 32)', `${path} is dark`);
      assert.equal(await page.getByTestId('theme').inputValue(), 'dark', `${path} shows the choice`);
    }
    await page.getByTestId('theme').selectOption('light');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
    await context.close();
  });

  test('a custom colour and an own image show as selected; the shortcuts have a help', async () => {
    const { context, page } = await editor();
    await cutOut(page, PHOTO);
    await page.getByTestId('bg-color').evaluate((el) => {
      el.value = '#123456';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    assert.match(await page.getByTestId('bg-color-label').getAttribute('class'), /selected/);
    assert.equal(await page.locator('.swatch-dot[aria-pressed="true"]').count(), 0);
    await page.getByTestId('swatch-ffffff').click();
    assert.doesNotMatch(await page.getByTestId('bg-color-label').getAttribute('class'), /selected/);
    await page.getByTestId('bg-own-input').setInputFiles(join(root, 'segmentation', 'reference', 'inputs', 'coffee.png'));
    await page.locator('[data-testid="bg-own"].selected').waitFor();
    assert.match(await page.getByTestId('bg-own').textContent(), /Your own image ✓/);
    assert.equal(await page.getByTestId('bg-transparent').getAttribute('aria-pressed'), 'false');

    // "?" opens the shortcuts' help, which names the keys found nowhere else.
    await page.getByTestId('tool-move').focus();
    await page.keyboard.press('?');
    const help = page.getByTestId('shortcuts');
    assert.equal(await help.evaluate((d) => d.open), true);
    const text = await help.textContent();
    for (const key of ['[', ']', 'Ctrl', 'Z', 'Shift', 'E', 'R', 'V']) assert.ok(text.includes(key), `${key} in the help`);
    await page.keyboard.press('Escape');
    assert.equal(await help.evaluate((d) => d.open), false);
    await context.close();
  });
});

describe('no sideways scrolling on phones', () => {
  test('every page fits 320–430 px wide, header included', async () => {
    const context = await browser.newContext({ isMobile: true, hasTouch: true, deviceScaleFactor: 2, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    for (const width of [320, 360, 390, 414, 430]) {
      await page.setViewportSize({ width, height: 844 });
      for (const path of ['/', '/privacy', '/cookies', '/developers', '/login', '/register', '/forgot', '/privacy/request', '/pricing', '/nowhere']) {
        await page.goto(`${server.base}${path}`);
        await pageHydrated(page, { server });
        const overflow = await sidewaysOverflow(page);
        assert.ok(overflow <= 0, `${path} at ${width} px scrolls sideways by ${overflow} px`);
        // A visitor's header ends with "Log in" (a signed-in person's name takes its place).
        const login = await page.locator('.site-header nav a[href="/login"]', { hasText: 'Log in' }).boundingBox();
        assert.ok(login && login.x >= 0 && login.x + login.width <= width, `the header's Log in link shows whole at ${width} px`);
      }
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.base}/`);
    await page.screenshot({ path: join(ARTIFACTS, '12-phone-header.png') });
    await context.close();
  });
});
