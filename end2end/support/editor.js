// The editor for the browser tests: a fresh browser context (its own storage, so nothing one test
// leaves behind reaches the next) with one page on the editor, hydrated, and the ways to bring a
// photo in and wait for its cutout.
import { editorReady, newWatchedPage } from './server.js';

// Opens the editor in a new context; `options` go to `browser.newContext` (viewport 1280×900 unless
// given). Returns the page, what went wrong on it (see newWatchedPage) and every request it made,
// with its body.
export async function openEditor(browser, server, options = {}) {
  const { context, page, problems } = await newWatchedPage(browser, { acceptDownloads: true, viewport: { width: 1280, height: 900 }, ...options });
  const requests = [];
  context.on('request', (r) =>
    requests.push({ method: r.method(), url: r.url(), type: r.headers()['content-type'] ?? '', body: r.postDataBuffer() }),
  );
  await page.goto(`${server.base}/`);
  await editorReady(page, 30_000, server);
  return { context, page, problems, requests };
}

// Waits until `count` images are done and the stage shows one.
export async function waitForCutouts(page, count = 1) {
  await page.locator('[data-testid="queue-item"][data-status="done"]').nth(count - 1).waitFor({ timeout: 180_000 });
  await page.locator('[data-testid="stage"][data-ready="true"]').waitFor({ timeout: 30_000 });
}

// Chooses `files` with the file picker and waits for the `count`th cutout.
export async function cutOut(page, files, count = 1) {
  await page.getByTestId('file-input').setInputFiles(files);
  await waitForCutouts(page, count);
}

// Moves a slider the way a person does: the value changes and an input event fires.
export async function setRange(page, testid, value) {
  await page.getByTestId(testid).evaluate((el, v) => {
    el.value = v;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, String(value));
}
