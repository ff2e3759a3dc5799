// The background library: with an operator's Pexels key the editor searches Pexels photos through
// our server and uses one as the background, with the photographer's credit; the browser never
// talks to Pexels, and the choice (with its credit) comes back after a reload. Pexels is a local
// stand-in here, answering its search and image routes as Pexels documents them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { openEditor, cutOut } from '../support/editor.js';
import { launchBrowser, startServer } from '../support/server.js';

const root = resolve(import.meta.dirname, '..', '..');
const PHOTO = join(root, 'segmentation', 'reference', 'inputs', 'chelsea.png');
const KEY = 'e2e-pexels-key';
const TEAL = [42, 157, 143];

let pexels;
let server;
let browser;
const seen = [];

function solidPng(width, height, [r, g, b]) {
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([r, g, b, 255], i);
  return PNG.sync.write(png);
}

function startPexels() {
  return new Promise((done) => {
    const http = createServer((req, res) => {
      seen.push({ url: req.url, headers: req.headers });
      const base = `http://127.0.0.1:${http.address().port}`;
      const url = new URL(req.url, base);
      if (url.pathname === '/v1/search') {
        if (req.headers.authorization !== KEY) return res.writeHead(401).end();
        const photo = (id, alt) => ({
          id, width: 1200, height: 800, alt, url: `https://www.pexels.com/photo/${id}/`,
          photographer: 'Ada Lens', photographer_url: 'https://www.pexels.com/@ada', avg_color: '#2a9d8f',
          src: { original: `${base}/photos/${id}.png`, large2x: `${base}/photos/${id}-large.png`, large: `${base}/photos/${id}.png`,
                 medium: `${base}/photos/${id}-small.png`, small: `${base}/photos/${id}.png`, tiny: `${base}/photos/${id}.png` },
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ page: 1, per_page: 24, total_results: 2, photos: [photo(7, 'Teal wall'), photo(8, 'Teal sea')] }));
      }
      if (url.pathname.startsWith('/photos/')) {
        const small = url.pathname.includes('small');
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(solidPng(small ? 72 : 600, small ? 54 : 400, TEAL));
      }
      res.writeHead(404).end();
    });
    http.listen(0, '127.0.0.1', () => done(http));
  });
}

before(async () => {
  pexels = await startPexels();
  const base = `http://127.0.0.1:${pexels.address().port}`;
  server = await startServer({ model: true, env: { IMGIGO_PEXELS_KEY: KEY, IMGIGO_PEXELS_API: base, IMGIGO_PEXELS_IMAGES: base } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  pexels?.close();
});

describe('the background library', () => {
  test('a Pexels photo found through our server becomes the background, with its credit, also after a reload', async (t) => {
    const { context, page, problems, requests } = await openEditor(browser, server);
    t.after(() => context.close());
    await cutOut(page, PHOTO);
    await page.locator('[data-testid="library"]:not([hidden])').waitFor({ timeout: 10_000 });
    await page.getByTestId('library-query').fill('teal wall');
    await page.getByTestId('library-search').click();
    await page.getByTestId('library-photo').nth(1).waitFor();
    assert.equal(await page.getByTestId('library-photo').count(), 2);
    const thumb = await page.getByTestId('library-photo').first().locator('img').getAttribute('src');
    assert.equal(thumb, '/api/v1/backgrounds/7?size=small', 'thumbnails come from our server');
    await page.getByTestId('library-photo').first().click();
    const credit = page.getByTestId('library-credit');
    await credit.waitFor();
    assert.equal((await credit.textContent()).trim(), 'Photo by Ada Lens on Pexels');
    assert.equal(await credit.getByRole('link', { name: 'Ada Lens' }).getAttribute('href'), 'https://www.pexels.com/@ada');
    assert.equal(await credit.getByRole('link', { name: 'Pexels' }).getAttribute('href'), 'https://www.pexels.com/photo/7/');

    // The export shows the photo behind the subject: teal where the mask is clear.
    const mask = PNG.sync.read(Buffer.from(await (await fetch(`${server.base}${await page.getByTestId('result-link').getAttribute('href')}`)).arrayBuffer()));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
    const before = PNG.sync.read(readFileSync(await download.path()));
    let teal = 0;
    for (let i = 0; i < before.data.length; i += 4) {
      if (mask.data[i + 3] !== 0) continue;
      assert.deepEqual([...before.data.subarray(i, i + 4)], [...TEAL, 255], `pixel ${i / 4} shows the library photo`);
      teal++;
    }
    assert.ok(teal > 1000, `${teal} background pixels`);

    await page.reload();
    await page.locator('[data-testid="stage"][data-ready="true"]').waitFor({ timeout: 30_000 });
    await credit.waitFor();
    assert.equal((await credit.textContent()).trim(), 'Photo by Ada Lens on Pexels');
    const [again] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
    const after = PNG.sync.read(readFileSync(await again.path()));
    assert.ok(Buffer.compare(after.data, before.data) === 0, 'the same pixels after the reload');

    // The browser only ever talked to our server; Pexels saw our key and nothing of the visitor.
    const pexelsBase = `http://127.0.0.1:${pexels.address().port}`;
    for (const r of requests) assert.ok(!r.url.startsWith(pexelsBase), `the browser asked Pexels: ${r.url}`);
    assert.ok(seen.some((s) => s.url.startsWith('/v1/search?') && s.url.includes('query=teal+wall')), JSON.stringify(seen.map((s) => s.url)));
    for (const s of seen) {
      assert.equal(s.headers['user-agent'], 'imgigo', s.url);
      for (const name of ['cookie', 'x-forwarded-for', 'referer']) assert.equal(s.headers[name], undefined, `${s.url} carried ${name}`);
    }
    assert.deepEqual(problems, []);
  });
});
