// Starts the real imgigo binary on a free loopback port with a throw-away data folder, and a
// headless Debian Chromium to drive it. Everything is torn down after the suite.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..', '..');

// A loopback port nothing listens on now.
export function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

async function waitUntilHealthy(base, child, log) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`imgigo exited early (${child.exitCode}):\n${log.join('')}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`imgigo did not become healthy within 30 s:\n${log.join('')}`);
}

// Polls /readyz until the model has loaded (it loads in the background after start).
async function waitUntilModelReady(base, child, log) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`imgigo exited early (${child.exitCode}):\n${log.join('')}`);
    const res = await fetch(`${base}/readyz`).catch(() => null);
    const model = res?.ok ? (await res.json()).checks?.model : null;
    if (model === 'ready') return;
    if (model === 'unavailable') throw new Error(`the model did not load:\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the model did not load within 120 s:\n${log.join('')}`);
}

// The converted weights `make weights` writes (IMGIGO_MODEL_FILE overrides).
export function modelFile() {
  return process.env.IMGIGO_MODEL_FILE ?? join(homedir(), '.cache', 'imgigo', 'models', 'isnet-dis-imgly-1.4.5.bpk');
}

// `model: true` starts the server with the real segmentation model and waits until it is loaded.
export async function startServer({ model = false, env: extra = {} } = {}) {
  const bin = process.env.IMGIGO_BIN ?? join(root, 'target', 'debug', 'imgigo');
  const siteRoot = process.env.IMGIGO_SITE_ROOT ?? join(root, 'target', 'site');
  if (!existsSync(bin)) throw new Error(`no server binary at ${bin}: run \`cargo leptos build\` first`);
  if (!existsSync(join(siteRoot, 'pkg', 'imgigo.wasm'))) throw new Error(`no client bundle under ${siteRoot}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'imgigo-e2e-'));
  const port = await freePort();
  // No model unless a test asks for it: the page tests do not need it, and loading the real weights
  // into a debug build would only slow them down.
  const weights = model ? modelFile() : join(dataDir, 'no-model.bpk');
  if (model && !existsSync(weights)) throw new Error(`no model weights at ${weights}: run \`make weights\` first`);
  const env = { ...process.env, IMGIGO_ADDR: `127.0.0.1:${port}`, IMGIGO_DATA_DIR: dataDir, IMGIGO_SITE_ROOT: siteRoot, IMGIGO_LOG: 'warn', IMGIGO_MODEL_FILE: weights, ...extra };
  delete env.DATABASE_URL;
  const log = [];
  const child = spawn(bin, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  const base = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(base, child, log);
  if (model) await waitUntilModelReady(base, child, log);
  return {
    base,
    log,
    dataDir,
    bin,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
    ],
  });
}

// A page that records every console error, uncaught exception and failed request.
// What each watched page has reported, for the messages of failed waits.
const reported = new WeakMap();

export async function newWatchedPage(browser, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  reported.set(page, problems);
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  return { context, page, problems };
}

// Waits until the page's client code has hydrated it (`<body data-hydrated="true">`; the editor's
// own mark with `selector: '.editor[data-hydrated="true"]'`). When it is not, the error says what
// the page reported (console errors such as a refused inline script, failed requests, uncaught
// errors), how far the document got, the policy its scripts ran under, and the server's warnings,
// so a failure names its cause rather than only the timeout.
export async function pageHydrated(page, { timeout = 30_000, selector = 'body[data-hydrated="true"]', server } = {}) {
  try {
    await page.locator(selector).waitFor({ timeout });
  } catch (err) {
    const state = await page
      .evaluate(() => ({
        url: location.pathname,
        readyState: document.readyState,
        html: document.documentElement.outerHTML.length,
        scripts: [...document.scripts].map((s) => `${s.type || 'classic'}${s.nonce ? ' nonce' : ''}${s.src ? ` ${new URL(s.src).pathname}` : ' inline'}`),
        wasm: performance.getEntriesByType('resource').filter((r) => /\.(wasm|js)$/.test(r.name)).map((r) => `${new URL(r.name).pathname} ${Math.round(r.duration)} ms`),
      }))
      .catch((e) => ({ unreadable: String(e) }));
    const problems = reported.get(page) ?? ['(not a watched page)'];
    const log = server ? server.log.join('').split('\n').filter((l) => /WARN|ERROR|panick/.test(l)).slice(-20) : [];
    throw new Error(`${selector} did not appear within ${timeout} ms; document ${JSON.stringify(state)}; ` +
      `the page reported: ${problems.length ? problems.join(' | ') : 'nothing'}` +
      (server ? `; the server's warnings: ${log.length ? log.join(' | ') : 'none'}` : ''), { cause: err });
  }
}

// Waits until the editor at / is hydrated (see pageHydrated).
export function editorReady(page, timeout = 20_000, server) {
  return pageHydrated(page, { timeout, selector: '.editor[data-hydrated="true"]', server });
}
