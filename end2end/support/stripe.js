// Stripe for the payment tests: scripts/stripe_fake.py (Checkout Sessions, prices and the billing
// portal, which localstripe lacks) in front of a real localstripe that it starts and stops; both
// from the venv `make setup` fills (IMGIGO_PYTHON). Its Pay page is ours, so a browser can click it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './server.js';
import { testPython } from './smtp.js';

const root = resolve(import.meta.dirname, '..', '..');

export async function startStripeFake(webhookSecret) {
  const python = testPython();
  if (!existsSync(python)) throw new Error(`no Python with localstripe at ${python}: run \`make setup\``);
  const localstripe = await freePort();
  const child = spawn(python, [join(root, 'scripts', 'stripe_fake.py'), '--port', '0', '--localstripe-port', String(localstripe), '--webhook-secret', webhookSecret], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  child.stderr.on('data', (d) => log.push(d.toString()));
  const port = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`the Stripe fake did not start within 30 s:\n${log.join('')}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d.toString();
      const ready = out.match(/ready (\d+)/);
      if (ready) { clearTimeout(timer); ok(Number(ready[1])); }
    });
    child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`the Stripe fake exited (${code}); run \`make setup\`:\n${log.join('')}`)); });
  });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, fields) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: 'Bearer sk_test_harness', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: fields ? new URLSearchParams(fields).toString() : undefined,
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  return {
    base,
    // A one-time price (smallest currency unit) for a new product; its id.
    async price(amount, currency) {
      return (await call('POST', '/v1/prices', { currency, unit_amount: String(amount), 'product_data[name]': 'Credits' })).id;
    },
    // A monthly recurring price; its id.
    async monthlyPrice(amount, currency) {
      return (await call('POST', '/v1/prices', { currency, unit_amount: String(amount), 'product_data[name]': 'Plan', 'recurring[interval]': 'month' })).id;
    },
    // Where events (ours and localstripe's) are delivered from now on.
    webhook(url) {
      return call('POST', '/_fake/webhook', { url });
    },
    events() {
      return call('GET', '/_fake/events');
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}
