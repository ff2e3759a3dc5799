// Accounts for the browser tests: registered and confirmed through the server functions, as the
// forms do, with the confirmation mail read from the SMTP sink.
import assert from 'node:assert/strict';
import { pageHydrated } from './server.js';

// Waits until the page's client code has hydrated it (see pageHydrated: a failure says why).
export function hydrated(page, server) {
  return pageHydrated(page, { timeout: 20_000, server });
}

// Posts a form to a server function, as a browser would.
export function postForm(server, name, fields) {
  return fetch(`${server.base}/_app/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.base, Accept: 'application/json' },
    body: new URLSearchParams(fields).toString(),
  });
}

// Registers `name <email>` and confirms the address with the mailed link.
export async function confirmedAccount({ server, smtp, name, email, password, extra = {} }) {
  const registered = await postForm(server, 'register', { name, email, password, age: 'on', policy: 'on', ...extra });
  assert.equal(registered.status, 200);
  const mail = await smtp.waitFor((m) => m.includes('Subject: Confirm your email address for imgigo') && m.includes(email));
  const token = mail.match(/verify\?token=([A-Za-z0-9_-]+)/)[1];
  assert.equal((await postForm(server, 'verify_email', { token })).status, 200);
}

// Logs `email` in on the login page and waits for `next` to be shown, hydrated.
export async function logIn({ page, server, email, password, next }) {
  await page.goto(`${server.base}/login?next=${next}`);
  await hydrated(page, server);
  await page.getByLabel('Email address').first().fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${server.base}${next}`, { timeout: 20_000 });
  await hydrated(page, server);
}
