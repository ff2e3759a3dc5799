// Benchmark, not a test: how soon the editor's drop zone works on a first visit, on a phone-like
// profile (Chromium's CPU throttled 4×, a fast-4G link: 9 Mbit/s down, 40 ms latency) against the
// same page unthrottled in the same browser and run, and what the first load of `/` transfers.
// "Works" = the file input is enabled, which the editor does once the page is hydrated.
// Run: `make bundle-bench` (a release site and server; nothing is asserted, a table is printed).
import { startServer, launchBrowser } from '../support/server.js';

const RUNS = Number(process.env.IMGIGO_BENCH_RUNS ?? 5);
const PHONE = { cpu: 4, down: (9 * 1024 * 1024) / 8, up: (3 * 1024 * 1024) / 8, latency: 40 };

// One cold visit of `/` in a fresh context (empty cache); times from navigation start.
async function visit(browser, base, profile) {
  const context = await browser.newContext({ viewport: { width: 412, height: 915 }, isMobile: profile !== null });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  if (profile) {
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: profile.cpu });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: profile.latency,
      downloadThroughput: profile.down,
      uploadThroughput: profile.up,
    });
  }
  const bytes = { wasm: 0, js: 0, css: 0, other: 0 };
  const urls = new Map();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => {
    const url = urls.get(e.requestId) ?? '';
    const kind = url.endsWith('.wasm') ? 'wasm' : url.endsWith('.js') ? 'js' : url.endsWith('.css') ? 'css' : 'other';
    bytes[kind] += e.encodedDataLength;
  });
  await page.goto(`${base}/`, { waitUntil: 'commit' });
  await page.locator('[data-testid="file-input"]:not([disabled])').waitFor({ state: 'attached', timeout: 120_000 });
  const timing = await page.evaluate(() => {
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    return { ready: performance.now(), fcp: paint ? paint.startTime : NaN };
  });
  await context.close();
  return { ...timing, bytes };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startServer();
const browser = await launchBrowser();
try {
  const rows = {};
  for (const [label, profile] of [['desktop (no throttling)', null], ['phone (CPU 4×, fast 4G)', PHONE]]) {
    await visit(browser, server.base, profile); // warm the server's caches, not the browser's
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await visit(browser, server.base, profile));
    rows[label] = runs;
  }
  console.log(`first visit of / (cold browser cache), median of ${RUNS}; "drop zone works" = file input enabled`);
  for (const [label, runs] of Object.entries(rows)) {
    const b = runs[0].bytes;
    console.log(
      `${label.padEnd(26)} first paint ${median(runs.map((r) => r.fcp)).toFixed(0)} ms  ` +
        `drop zone works ${median(runs.map((r) => r.ready)).toFixed(0)} ms  ` +
        `transferred wasm ${b.wasm} B, js ${b.js} B, css ${b.css} B, other ${b.other} B`,
    );
  }
  const [desk, phone] = Object.values(rows);
  console.log(`ratio phone / desktop (drop zone works): ${(median(phone.map((r) => r.ready)) / median(desk.map((r) => r.ready))).toFixed(2)}×`);
} finally {
  await browser.close();
  await server.stop();
}
