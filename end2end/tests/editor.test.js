// The editor with the real server and the real segmentation model: bring a photo in three ways,
// change the background, refine with the brush, export, reload, and check what went over the wire.
// Each test opens its own browser context (its own storage) and brings in its own photos, so one
// failure does not cascade; only the server and the browser process are shared.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { openEditor, cutOut, setRange, waitForCutouts } from '../support/editor.js';
import { launchBrowser, startServer, editorReady } from '../support/server.js';

const root = resolve(import.meta.dirname, '..', '..');
const PHOTO = join(root, 'segmentation', 'reference', 'inputs', 'chelsea.png');
const PDF = join(root, 'services', 'tests', 'corpus', 'document.pdf');
const CORRUPT = join(root, 'services', 'tests', 'corpus', 'corrupt-chunk.png');
const ARTIFACTS = join(root, 'end2end', 'artifacts');
const UPLOAD_PATH = '/api/v1/cutouts';

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

// This test's own editor (fresh context and storage), closed when the test ends, pass or fail.
async function freshEditor(t) {
  const editor = await openEditor(browser, server);
  t.after(() => editor.context.close());
  return editor;
}

// The server's copy of the current result: the cutout PNG, whose alpha is the model's mask.
async function serverMask(page) {
  const href = await page.getByTestId('result-link').getAttribute('href');
  assert.match(href, /^\/r\/[^?]+\?key=/);
  const res = await fetch(`${server.base}${href}`);
  assert.equal(res.status, 200);
  return PNG.sync.read(Buffer.from(await res.arrayBuffer()));
}

async function exportPng(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), png: PNG.sync.read(readFileSync(path)) };
}

function alphaAt(png, x, y) {
  return png.data[(y * png.width + x) * 4 + 3];
}

// A point well inside the subject: the opaque pixel whose square around it is opaque, nearest the
// centre of the opaque pixels.
function innerPoint(mask, radius) {
  let best = null;
  const opaque = (x, y) => alphaAt(mask, x, y) === 255;
  for (let y = radius; y < mask.height - radius; y += 3) {
    for (let x = radius; x < mask.width - radius; x += 3) {
      if (!opaque(x, y)) continue;
      let all = true;
      for (let dy = -radius; dy <= radius && all; dy += 2) {
        for (let dx = -radius; dx <= radius && all; dx += 2) all = opaque(x + dx, y + dy);
      }
      if (!all) continue;
      const d = Math.hypot(x - mask.width / 2, y - mask.height / 2);
      if (!best || d < best.d) best = { x, y, d };
    }
  }
  assert.ok(best, 'the mask has a solid region');
  return best;
}

// Where photo pixel (x, y) is on the page.
async function pagePoint(page, x, y) {
  const canvas = page.getByTestId('canvas');
  await canvas.scrollIntoViewIfNeeded();
  const [scale, ox, oy] = (await canvas.getAttribute('data-transform')).split(' ').map(Number);
  const box = await canvas.boundingBox();
  const ratio = await page.evaluate(() => window.devicePixelRatio);
  return { x: box.x + (x * scale + ox) / ratio, y: box.y + (y * scale + oy) / ratio };
}

// One stroke of the eraser (hard, 24 px) across photo pixel `spot`; returns where it started on the
// page. The undo button is there once the stroke is in the edit.
async function eraseAcross(page, spot) {
  await page.getByTestId('tool-erase').click();
  await setRange(page, 'brush-hardness', 100);
  await setRange(page, 'brush-size', 24);
  const a = await pagePoint(page, spot.x - 4, spot.y);
  const b = await pagePoint(page, spot.x + 4, spot.y);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 4 });
  await page.mouse.up();
  await page.getByTestId('undo').waitFor({ state: 'visible' });
  return a;
}

async function bytesOf(path) {
  return readFileSync(path).toString('base64');
}

// Drops the photo on the editor as `name`.
async function dropPhoto(page, name) {
  const b64 = await bytesOf(PHOTO);
  const transfer = await page.evaluateHandle(
    ([data, name]) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: 'image/png' }));
      return dt;
    },
    [b64, name],
  );
  await page.getByTestId('dropzone').dispatchEvent('dragover', { dataTransfer: transfer });
  await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer });
}

// Pastes the photo into the editor as `name`, as a clipboard paste does.
async function pastePhoto(page, name) {
  const b64 = await bytesOf(PHOTO);
  await page.evaluate(
    ([data, name]) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: 'image/png' }));
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
    },
    [b64, name],
  );
}

// The page's requests to the cutout API.
function uploadsOf(requests) {
  return requests.filter((r) => new URL(r.url).pathname === UPLOAD_PATH);
}

describe('the editor, with the real model', () => {
  test('a photo chosen with the file picker is cut out and shown', async (t) => {
    const { page } = await freshEditor(t);
    await page.screenshot({ path: join(ARTIFACTS, '01-empty-editor.png') });
    await cutOut(page, PHOTO);
    await page.screenshot({ path: join(ARTIFACTS, '02-cutout-over-checkerboard.png') });
    assert.equal(await page.getByTestId('queue-item').count(), 1);
    const mask = await serverMask(page);
    assert.deepEqual([mask.width, mask.height], [photo.width, photo.height]);
    const transparent = mask.data.filter((_, i) => i % 4 === 3 && mask.data[i] === 0).length;
    const opaque = mask.data.filter((_, i) => i % 4 === 3 && mask.data[i] === 255).length;
    assert.ok(transparent > 1000 && opaque > 1000, `a real cut: ${transparent} clear, ${opaque} solid pixels`);
    // No Pexels key on this server: no photo search, the bundled photos only.
    assert.equal(await page.getByTestId('library').isHidden(), true);
    assert.ok((await page.locator('[data-testid^="preset-"]').count()) >= 5);
  });

  test('a photo dropped on the editor is cut out', async (t) => {
    const { page } = await freshEditor(t);
    await dropPhoto(page, 'dropped-cat.png');
    await waitForCutouts(page, 1);
    await page.locator('.queue-item.current', { hasText: 'dropped-cat.png' }).waitFor();
  });

  test('a photo pasted from the clipboard is cut out', async (t) => {
    const { page } = await freshEditor(t);
    await pastePhoto(page, 'pasted-cat.png');
    await waitForCutouts(page, 1);
    await page.locator('.queue-item.current', { hasText: 'pasted-cat.png' }).waitFor();
  });

  test('a colour background exports as a PNG with the colour exactly where the mask is clear', async (t) => {
    const { page } = await freshEditor(t);
    // Pasted, so the export is named after the pasted file.
    await pastePhoto(page, 'pasted-cat.png');
    await waitForCutouts(page, 1);
    const mask = await serverMask(page);
    await page.getByTestId('swatch-93c5fd').click();
    assert.equal(await page.getByTestId('swatch-93c5fd').getAttribute('aria-pressed'), 'true');
    await page.screenshot({ path: join(ARTIFACTS, '03-colour-background.png') });
    const { name, png } = await exportPng(page);
    assert.equal(name, 'pasted-cat-imgigo.png');
    assert.deepEqual([png.width, png.height], [photo.width, photo.height]);
    let clear = 0;
    let edgesThatDiffer = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      assert.equal(png.data[i + 3], 255, 'a colour background is opaque everywhere');
      if (mask.data[i + 3] === 0) {
        clear++;
        assert.deepEqual([...png.data.subarray(i, i + 3)], [0x93, 0xc5, 0xfd], `pixel ${i / 4} shows the colour`);
      } else if (mask.data[i + 3] === 255) {
        for (let c = 0; c < 3; c++) assert.ok(Math.abs(png.data[i + c] - photo.data[i + c]) <= 2, `pixel ${i / 4} shows the photo`);
      } else if (mask.data[i + 3] >= 16) {
        // A partial edge: the subject's colour as the server estimated it (its cutout's colour), over
        // the new background, not the photo's mix with the old one.
        const a = mask.data[i + 3] / 255;
        const bg = [0x93, 0xc5, 0xfd];
        for (let c = 0; c < 3; c++) {
          const estimated = mask.data[i + c] * a + bg[c] * (1 - a);
          assert.ok(Math.abs(png.data[i + c] - estimated) <= 3, `pixel ${i / 4}: ${png.data[i + c]} for ${estimated.toFixed(1)}`);
          if (Math.abs(photo.data[i + c] * a + bg[c] * (1 - a) - estimated) > 3) edgesThatDiffer++;
        }
      }
    }
    assert.ok(clear > 1000);
    assert.ok(edgesThatDiffer > 100, `the estimated edge colours differ from the photo's (${edgesThatDiffer} values)`);
  });

  test('a transparent PNG export has exactly the mask as its alpha, and the photo on the subject', async (t) => {
    const { page } = await freshEditor(t);
    await cutOut(page, PHOTO);
    const mask = await serverMask(page);
    await page.getByTestId('bg-transparent').click();
    const { png } = await exportPng(page);
    let mismatched = 0;
    for (let i = 3; i < png.data.length; i += 4) if (png.data[i] !== mask.data[i]) mismatched++;
    assert.equal(mismatched, 0, 'alpha equals the mask on every pixel');
    for (let i = 0; i < png.data.length; i += 4) {
      if (png.data[i + 3] !== 255) continue;
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(png.data[i + c] - photo.data[i + c]) <= 2);
    }
  });

  test('the erase brush clears the subject, undo brings it back', async (t) => {
    const { page } = await freshEditor(t);
    await cutOut(page, PHOTO);
    const mask = await serverMask(page);
    const spot = innerPoint(mask, 14);
    const a = await eraseAcross(page, spot);
    assert.ok(a.y > 0 && a.y < 900, `the spot is on screen: ${JSON.stringify(a)}`);
    assert.equal(await page.getByTestId('undo').isEnabled(), true);
    await page.screenshot({ path: join(ARTIFACTS, '04-erased-with-brush.png') });
    const erased = (await exportPng(page)).png;
    assert.equal(alphaAt(erased, spot.x, spot.y), 0, 'erased under the brush');
    assert.equal(alphaAt(erased, 2, 2), alphaAt(mask, 2, 2), 'untouched elsewhere');

    await page.getByTestId('undo').click();
    const undone = (await exportPng(page)).png;
    for (let i = 3; i < undone.data.length; i += 4) assert.equal(undone.data[i], mask.data[i]);
    await page.getByTestId('redo').click();
    assert.equal(alphaAt((await exportPng(page)).png, spot.x, spot.y), 0, 'redo erases again');
    // Ctrl+Z works as well.
    await page.getByTestId('tool-move').focus();
    await page.keyboard.press('Control+z');
    assert.equal(alphaAt((await exportPng(page)).png, spot.x, spot.y), 255);
    await page.keyboard.press('Control+Shift+z');
  });

  test('a reload restores the workspace from IndexedDB exactly', async (t) => {
    const { page } = await freshEditor(t);
    await cutOut(page, PHOTO);
    // A brush stroke, so there is an undo history to bring back.
    await eraseAcross(page, innerPoint(await serverMask(page), 14));
    await page.getByTestId('swatch-fde68a').click();
    await page.getByTestId('crop-enabled').check();
    await setRange(page, 'crop-margin', 0);
    const before = (await exportPng(page)).png;
    const items = await page.getByTestId('queue-item').count();
    const link = await page.getByTestId('result-link').getAttribute('href');
    await page.reload();
    await page.locator('[data-testid="stage"][data-ready="true"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('queue-item').count(), items);
    assert.equal(await page.getByTestId('result-link').getAttribute('href'), link);
    assert.equal(await page.getByTestId('swatch-fde68a').getAttribute('aria-pressed'), 'true');
    assert.equal(await page.getByTestId('crop-enabled').isChecked(), true);
    assert.equal(await page.getByTestId('undo').isEnabled(), true, 'the undo history came back too');
    await page.getByTestId('stage').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, '05-restored-after-reload.png') });
    const after = (await exportPng(page)).png;
    assert.deepEqual([after.width, after.height], [before.width, before.height]);
    const [x, y, w, h] = (await page.getByTestId('canvas').getAttribute('data-output')).split(' ').map(Number);
    assert.equal(await page.getByTestId('export-size').textContent(), `Full resolution: ${w} × ${h} pixels (cropped)`);
    assert.deepEqual([after.width, after.height], [w, h], 'the export is the cropped area');
    assert.ok(w * h < photo.width * photo.height && x >= 0 && y >= 0, `cropped to the subject: ${[x, y, w, h]}`);
    assert.ok(Buffer.compare(after.data, before.data) === 0, 'the same pixels after the reload');
  });

  test('a shadow, an outline and the Amazon layout come back after a reload and export the same pixels', async (t) => {
    const { page, problems } = await freshEditor(t);
    await cutOut(page, PHOTO);
    await page.getByTestId('shadow-kind').selectOption('drop');
    await setRange(page, 'shadow-opacity', 80);
    await setRange(page, 'outline-width', 6);
    await page.getByTestId('outline-color').fill('#ff0000');
    await page.getByTestId('market-amazon').click();
    assert.equal(await page.getByTestId('market-amazon').getAttribute('aria-pressed'), 'true');
    assert.equal(await page.getByTestId('export-size').textContent(), 'Marketplace size: 2000 × 2000 pixels');
    await page.getByTestId('stage').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, '07-shadow-outline-amazon.png') });
    const before = (await exportPng(page)).png;
    assert.deepEqual([before.width, before.height], [2000, 2000], "Amazon's size");
    const at = (png, x, y) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4)];
    assert.deepEqual(at(before, 3, 3), [255, 255, 255, 255], 'white around the subject');
    let red = 0;
    for (let i = 0; i < before.data.length; i += 4) {
      if (before.data[i] > 200 && before.data[i + 1] < 60 && before.data[i + 2] < 60) red++;
    }
    assert.ok(red > 2000, `the red outline is drawn (${red} pixels)`);

    await page.reload();
    await page.locator('[data-testid="stage"][data-ready="true"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('shadow-kind').inputValue(), 'drop');
    assert.equal(await page.getByTestId('shadow-opacity').inputValue(), '80');
    assert.equal(await page.getByTestId('outline-width').inputValue(), '6');
    assert.equal(await page.getByTestId('outline-color').inputValue(), '#ff0000');
    assert.equal(await page.getByTestId('market-amazon').getAttribute('aria-pressed'), 'true');
    const after = (await exportPng(page)).png;
    assert.deepEqual([after.width, after.height], [2000, 2000]);
    assert.ok(Buffer.compare(after.data, before.data) === 0, 'the same pixels after the reload');

    // Without the shadow, pixels only get lighter: the shadow darkened them, and only beside the subject.
    await page.getByTestId('shadow-kind').selectOption('none');
    const plain = (await exportPng(page)).png;
    let shaded = 0;
    for (let i = 0; i < plain.data.length; i += 4) {
      const dark = before.data[i] + before.data[i + 1] + before.data[i + 2];
      const light = plain.data[i] + plain.data[i + 1] + plain.data[i + 2];
      if (dark !== light) {
        assert.ok(dark < light, `pixel ${i / 4}: the shadow darkens (${dark} against ${light})`);
        shaded++;
      }
    }
    assert.ok(shaded > 5000, `the shadow shows (${shaded} pixels)`);
    // Undo brings the shadow back; the full-resolution button leaves the marketplace size.
    await page.getByTestId('undo').click();
    assert.equal(await page.getByTestId('shadow-kind').inputValue(), 'drop');
    await page.getByTestId('market-none').click();
    assert.match(await page.getByTestId('export-size').textContent(), /^Full resolution: /);
    assert.deepEqual(problems, []);
  });

  test('a file that is not a photo gets a readable error and is never uploaded', async (t) => {
    const { page, requests } = await freshEditor(t);
    const uploadsBefore = uploadsOf(requests).length;
    await page.getByTestId('file-input').setInputFiles(PDF);
    const notice = page.getByTestId('notice');
    await notice.waitFor();
    assert.match(await notice.textContent(), /document\.pdf.*isn't a photo we can read\. Choose a JPEG, PNG or WebP image\./);
    assert.equal(await notice.getAttribute('role'), 'alert');
    await page.locator('[data-testid="queue-item"][data-status="failed"]').first().waitFor();
    assert.equal(uploadsOf(requests).length, uploadsBefore);

    // A PNG the server cannot decode: the server's reason, then what to do.
    await page.getByTestId('file-input').setInputFiles(CORRUPT);
    await page.locator('[data-testid="notice"]', { hasText: 'corrupt-chunk.png' }).waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId('notice').textContent(), /Try another copy of the photo/);
    await page.getByTestId('notice').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, '06-error-message.png') });
  });

  test('only the upload carries image data; the workspace never leaves the browser', async (t) => {
    const { page, problems, requests } = await freshEditor(t);
    // Everything the tests above do in their own pages, in this one: photos in by picker, drop and
    // paste; background, brush, crop, export, reload; a file that is not a photo, a corrupt PNG.
    await cutOut(page, PHOTO);
    await dropPhoto(page, 'dropped-cat.png');
    await waitForCutouts(page, 2);
    await pastePhoto(page, 'pasted-cat.png');
    await waitForCutouts(page, 3);
    await page.locator('.queue-item.current', { hasText: 'pasted-cat.png' }).waitFor();
    await page.getByTestId('swatch-93c5fd').click();
    await exportPng(page);
    await eraseAcross(page, innerPoint(await serverMask(page), 14));
    await page.getByTestId('crop-enabled').check();
    await exportPng(page);
    await page.reload();
    await page.locator('[data-testid="stage"][data-ready="true"]').waitFor({ timeout: 30_000 });
    await exportPng(page);
    await page.getByTestId('file-input').setInputFiles(PDF);
    await page.locator('[data-testid="queue-item"][data-status="failed"]').first().waitFor();
    await page.getByTestId('file-input').setInputFiles(CORRUPT);
    await page.locator('[data-testid="notice"]', { hasText: 'corrupt-chunk.png' }).waitFor({ timeout: 60_000 });

    const uploads = uploadsOf(requests);
    assert.equal(uploads.length, 4, 'picker, drop, paste and the corrupt PNG');
    for (const upload of uploads) {
      assert.equal(upload.method, 'POST');
      assert.match(upload.type, /^multipart\/form-data; boundary=/);
    }
    const imageMagic = [Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.from([0xff, 0xd8, 0xff]), Buffer.from('WEBP'), Buffer.from('data:image')];
    for (const r of requests) {
      if (new URL(r.url).pathname === UPLOAD_PATH) continue;
      if (!r.body) {
        // Chromium leaves out bodies it streams from files; only bodiless methods may get here.
        assert.ok(['GET', 'HEAD', 'DELETE'].includes(r.method), `${r.method} ${r.url} sends a body we cannot see`);
        continue;
      }
      for (const magic of imageMagic) assert.ok(!r.body.includes(magic), `${r.method} ${r.url} carries image data`);
      assert.ok(r.body.length < 4096, `${r.method} ${r.url} sends ${r.body.length} bytes`);
    }
    assert.deepEqual(problems.filter((p) => !p.includes('422') && !p.includes('Unprocessable')), []);
  });

  test('clear history empties the browser and deletes the server copies', async (t) => {
    const { page } = await freshEditor(t);
    await cutOut(page, PHOTO);
    const link = await page.getByTestId('result-link').getAttribute('href');
    await page.getByTestId('clear-history').click();
    await page.getByTestId('confirm-yes').click();
    await page.locator('[data-testid="notice"]', { hasText: 'History cleared' }).waitFor();
    assert.equal(await page.getByTestId('queue-item').count(), 0);
    assert.equal(await page.locator('[data-testid="stage"]').getAttribute('data-ready'), 'false');
    const names = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    assert.deepEqual(names, []);
    assert.equal((await fetch(`${server.base}${link}`)).status, 404, 'the result link is gone');
    await page.reload();
    await editorReady(page, 30_000);
    assert.equal(await page.getByTestId('queue-item').count(), 0);
  });

  test('when the browser\'s storage is full, the image still opens and the editor says it will not be kept', async () => {
    const small = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const tab = await small.newPage();
    // The browser allows this site (almost) no storage. (Chromium applies the override only before
    // the site first stores something, so the room-making path is covered by the unit tests.)
    const cdp = await small.newCDPSession(tab);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.base, quotaSize: 1000 });
    await tab.goto(`${server.base}/`);
    await editorReady(tab, 30_000);
    await tab.getByTestId('file-input').setInputFiles(PHOTO);
    await tab.locator('[data-testid="notice"]', { hasText: 'storage for this site is full' }).waitFor({ timeout: 120_000 });
    assert.match(await tab.getByTestId('notice').textContent(), /won't come back after a reload\. Clear history, or free some space/);
    await tab.locator('[data-testid="stage"][data-ready="true"]').waitFor();
    // Editing and export still work on the image kept in memory.
    await tab.getByTestId('swatch-000000').click();
    const [download] = await Promise.all([tab.waitForEvent('download'), tab.getByTestId('download').click()]);
    assert.equal(PNG.sync.read(readFileSync(await download.path())).width, photo.width);
    await tab.reload();
    await editorReady(tab, 30_000);
    assert.equal(await tab.getByTestId('queue-item').count(), 0, 'nothing half-stored comes back');
    await small.close();
  });

  test('on a phone-sized screen everything fits and works by keyboard', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const small = await phone.newPage();
    await small.goto(`${server.base}/`);
    await editorReady(small, 30_000);
    await small.getByTestId('file-input').setInputFiles(PHOTO);
    await small.locator('[data-testid="stage"][data-ready="true"]').waitFor({ timeout: 120_000 });
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px)`);
    await small.screenshot({ path: join(ARTIFACTS, '07-phone.png'), fullPage: true });
    // Keyboard: E picks the eraser, and the tool buttons say which one is on.
    await small.keyboard.press('e');
    assert.equal(await small.getByTestId('tool-erase').getAttribute('aria-pressed'), 'true');
    // Every control has a name a screen reader can say.
    const unnamed = await small.evaluate(() =>
      [...document.querySelectorAll('.editor button, .editor input, .editor select')]
        .filter((el) => !(el.getAttribute('aria-label') || el.labels?.[0]?.textContent?.trim() || el.textContent.trim() || el.title))
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unnamed, []);
    await phone.close();
  });

  test('clear history says when a server copy could not be deleted', async () => {
    const own = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const tab = await own.newPage();
    // The server cannot be reached for the DELETE (the upload and downloads still go through).
    await tab.route('**/r/**', (route) => (route.request().method() === 'DELETE' ? route.abort('failed') : route.continue()));
    await tab.goto(`${server.base}/`);
    await editorReady(tab, 30_000);
    await tab.getByTestId('file-input').setInputFiles(PHOTO);
    await tab.locator('[data-testid="stage"][data-ready="true"]').waitFor({ timeout: 120_000 });
    const link = await tab.getByTestId('result-link').getAttribute('href');
    await tab.getByTestId('clear-history').click();
    await tab.getByTestId('confirm-yes').click();
    const notice = tab.locator('[data-testid="notice"]', { hasText: 'History cleared' });
    await notice.waitFor();
    const text = await notice.textContent();
    assert.match(text, /nothing of your images is left in this browser/);
    assert.match(text, /1 copy on the server could not be deleted; it expires 7 days after it was made/);
    assert.doesNotMatch(text, /download links are deleted/);
    assert.equal(await tab.getByTestId('queue-item').count(), 0);
    // It was told the truth: the copy is still there. Delete it now that the server answers.
    assert.equal((await fetch(`${server.base}${link}`)).status, 200);
    assert.equal((await fetch(`${server.base}${link}`, { method: 'DELETE' })).status, 204);
    await own.close();
  });
});
