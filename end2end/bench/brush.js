// Benchmark, not a test: how long one brush step takes on a 12-megapixel photo, against the same on
// the small reference photo in the same browser and run. A step is one pointer move with the erase
// brush: stamping on the full-resolution mask and redrawing the stage, flushed to pixels.
// Run: `make build weights && node end2end/bench/brush.js` (prints a table; nothing is asserted).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser, startServer } from '../support/server.js';

const root = resolve(import.meta.dirname, '..', '..');
const PHOTO = join(root, 'segmentation', 'reference', 'inputs', 'chelsea.png');
const STEPS = 60;

// Puts a photo of `width`×`height` (the cat, scaled) into the editor by pasting it.
async function paste(page, b64, width, height, name) {
  await page.evaluate(
    async ({ b64, width, height, name }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const source = await createImageBitmap(new Blob([bytes]));
      const canvas = new OffscreenCanvas(width, height);
      canvas.getContext('2d').drawImage(source, 0, 0, width, height);
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
      const dt = new DataTransfer();
      dt.items.add(new File([blob], name, { type: 'image/jpeg' }));
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
    },
    { b64, width, height, name },
  );
  try {
    await page.locator('[data-testid="queue-item"][data-status="done"]', { hasText: name }).waitFor({ timeout: 300_000 });
    // An edited image stays open when a new one arrives; open the new one.
    await page.getByRole('button', { name: `Open ${name}` }).click();
    await page.locator('.queue-item.current', { hasText: name }).waitFor({ timeout: 60_000 });
  } catch (err) {
    const state = await page.locator('.queue-item').allTextContents();
    const notices = await page.locator('[data-testid="notice"]').allTextContents();
    throw new Error(`${name} did not open: ${JSON.stringify({ state, notices })}`);
  }
  await page.locator('[data-testid="stage"][data-ready="true"]').waitFor();
}

// Milliseconds per brush step (median and 90th percentile), measured inside the page.
async function brushSteps(page) {
  await page.getByTestId('tool-erase').click();
  return page.evaluate(async (steps) => {
    const canvas = document.querySelector('[data-testid="canvas"]');
    const box = canvas.getBoundingClientRect();
    const ctx = canvas.getContext('2d');
    const fire = (type, i) =>
      canvas.dispatchEvent(
        new PointerEvent(type, {
          bubbles: true,
          pointerId: 1,
          clientX: box.left + box.width * (0.3 + (0.4 * i) / steps),
          clientY: box.top + box.height * 0.5,
        }),
      );
    const times = [];
    fire('pointerdown', 0);
    for (let i = 1; i <= steps; i++) {
      const start = performance.now();
      fire('pointermove', i);
      ctx.getImageData(0, 0, 1, 1); // flush the drawing to pixels
      times.push(performance.now() - start);
      await new Promise((r) => requestAnimationFrame(r));
    }
    fire('pointerup', steps);
    times.sort((a, b) => a - b);
    return { median: times[Math.floor(steps / 2)], p90: times[Math.floor(steps * 0.9)] };
  }, STEPS);
}

// Milliseconds for a full-resolution PNG export, from the click to the download.
async function exportTime(page) {
  const start = Date.now();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
  await download.path();
  return Date.now() - start;
}

const server = await startServer({ model: true });
const browser = await launchBrowser();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${server.base}/`);
  await page.locator('.editor[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  const b64 = readFileSync(PHOTO).toString('base64');
  const rows = [];
  for (const [label, width, height] of [
    ['0.14 MP (451×300)', 451, 300],
    ['12 MP (4000×3000)', 4000, 3000],
  ]) {
    await paste(page, b64, width, height, `${width}x${height}.jpg`);
    const steps = await brushSteps(page);
    const exported = await exportTime(page);
    rows.push({ label, ...steps, exported });
  }
  console.log(`brush step (stamp on the full mask + redraw), ${STEPS} steps, Chromium software raster`);
  for (const r of rows) {
    console.log(`${r.label.padEnd(20)} median ${r.median.toFixed(1)} ms  p90 ${r.p90.toFixed(1)} ms  PNG export ${r.exported} ms`);
  }
  console.log(`ratio 12 MP / small: brush ${(rows[1].median / rows[0].median).toFixed(2)}×, export ${(rows[1].exported / rows[0].exported).toFixed(1)}×`);
} finally {
  await browser.close();
  await server.stop();
}
