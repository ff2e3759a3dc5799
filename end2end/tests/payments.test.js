// Buying credits in a real browser (issue 18): the pricing page → Stripe's checkout (our fake's
// page in front of localstripe, clicked like Stripe's) → back on imgigo, where the credits show
// once Stripe's signed event arrived → a receipt at the SMTP sink → API calls with a key spend
// the credits, and the next one is refused with remove.bg's 402.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchBrowser, newWatchedPage, startServer } from '../support/server.js';
import { startSmtpSink } from '../support/smtp.js';
import { startStripeFake } from '../support/stripe.js';
import { confirmedAccount, hydrated, logIn as logInAs } from '../support/accounts.js';

const root = resolve(import.meta.dirname, '..', '..');
const PHOTO = join(root, 'segmentation', 'reference', 'inputs', 'chelsea.png');
const EMAIL = 'buyer@example.com';
const PASSWORD = 'a long and private passphrase';
const SECRET = 'whsec_browser';
const SUBSCRIBER = 'subscriber@example.com';

let smtp;
let stripe;
let server;
let browser;
let dir;

before(async () => {
  smtp = await startSmtpSink();
  stripe = await startStripeFake(SECRET);
  const price = await stripe.price(400, 'eur');
  const monthly = await stripe.monthlyPrice(2900, 'eur');
  dir = mkdtempSync(join(tmpdir(), 'imgigo-products-'));
  const products = join(dir, 'products.json');
  writeFileSync(products, JSON.stringify({
    packs: [{ id: 'credits-2', name: '2 credits', price, credits: 2, shown_price: '€4' }],
    plans: [{ id: 'pro', name: 'Pro', price: monthly, credits: 5, shown_price: '€29 a month' }],
  }));
  server = await startServer({
    model: true,
    env: {
      IMGIGO_SMTP_URL: smtp.url,
      IMGIGO_STRIPE_SECRET_KEY: 'sk_test_browser',
      IMGIGO_STRIPE_WEBHOOK_SECRET: SECRET,
      IMGIGO_STRIPE_API_BASE: stripe.base,
      IMGIGO_FREE_CREDITS: '0',
      IMGIGO_PRODUCTS: products,
    },
  });
  await stripe.webhook(`${server.base}/webhooks/stripe`);
  browser = await launchBrowser();
  await confirmedAccount({ server, smtp, name: 'Bea Buyer', email: EMAIL, password: PASSWORD });
  await confirmedAccount({ server, smtp, name: 'Sam Subscriber', email: SUBSCRIBER, password: PASSWORD });
});

function logIn(page, email, next) {
  return logInAs({ page, server, email, password: PASSWORD, next });
}

after(async () => {
  await browser?.close();
  await server?.stop();
  await stripe?.stop();
  await smtp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function removebg(key) {
  const form = new FormData();
  form.append('image_file', new Blob([readFileSync(PHOTO)], { type: 'image/png' }), 'chelsea.png');
  form.append('size', 'full');
  return fetch(`${server.base}/v1.0/removebg`, { method: 'POST', headers: { 'X-Api-Key': key }, body: form });
}

describe('buying credits', () => {
  test('pricing → Stripe checkout → credits, receipt, and API calls that spend them', async () => {
    const { context, page, problems } = await newWatchedPage(browser);
    await logIn(page, EMAIL, '/pricing');
    const pack = page.getByTestId('pack-credits-2');
    assert.match(await pack.textContent(), /2 credits.*€4/s);

    // Stripe's page (the fake's): the amount Stripe will charge, and Pay.
    await page.getByTestId('buy-credits-2').click();
    await page.waitForURL(`${stripe.base}/pay/**`, { timeout: 20_000 });
    assert.match(await page.locator('#amount').textContent(), /4\.00 EUR/);
    await page.locator('#pay').click();

    // Back on imgigo: Stripe's event arrived before the browser did, so the credits are there.
    await page.waitForURL(`${server.base}/pricing?session_id=cs_*`, { timeout: 20_000 });
    await hydrated(page, server);
    assert.match(await page.getByTestId('checkout-granted').textContent({ timeout: 20_000 }), /2 credits added\. Your balance is 2 credits\./);
    const receipt = await smtp.waitFor((m) => m.includes('Subject: Your imgigo receipt: 2 credits') && m.includes(EMAIL));
    assert.match(receipt, /Amount paid: EUR 4\.00/);

    // A key on the account page; two full-size calls spend the two credits, the third is refused.
    await page.goto(`${server.base}/account`);
    await hydrated(page, server);
    assert.equal((await page.getByTestId('credit-balance').textContent({ timeout: 20_000 })).trim(), '2');
    await page.getByLabel('Name for the key').fill('shop');
    await page.getByRole('button', { name: 'Create a key' }).click();
    const key = (await page.getByTestId('new-api-key').textContent({ timeout: 20_000 })).trim();
    for (let call = 0; call < 2; call++) {
      const res = await removebg(key);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get('x-credits-charged'), '1');
      await res.arrayBuffer();
    }
    const refused = await removebg(key);
    assert.equal(refused.status, 402);
    assert.equal((await refused.json()).errors[0].code, 'insufficient_credits');

    await page.reload();
    await hydrated(page, server);
    assert.equal((await page.getByTestId('credit-balance').textContent({ timeout: 20_000 })).trim(), '0');
    assert.equal(await page.locator('[data-testid="credit-row"][data-kind="charge"]').count(), 2);
    assert.equal(await page.locator('[data-testid="credit-row"][data-kind="grant"]').count(), 1);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a plan: subscribe, its credits arrive, and "Manage your plan" opens Stripe\'s portal', async () => {
    const { context, page } = await newWatchedPage(browser);
    await logIn(page, SUBSCRIBER, '/pricing');
    assert.match(await page.getByTestId('plan-pro').textContent(), /5 credits each month.*€29 a month/s);
    await page.getByTestId('subscribe-pro').click();
    await page.waitForURL(`${stripe.base}/pay/**`, { timeout: 20_000 });
    await page.locator('#pay').click();
    await page.waitForURL(`${server.base}/pricing?session_id=cs_*`, { timeout: 20_000 });
    await hydrated(page, server);
    assert.match(await page.getByTestId('checkout-subscribed').textContent({ timeout: 20_000 }), /Your plan “Pro” has started/);

    // The month's credits come with localstripe's invoice event, a moment later.
    const receipt = await smtp.waitFor((m) => m.includes('Subject: Your imgigo receipt: Pro (a month)') && m.includes(SUBSCRIBER));
    assert.match(receipt, /5 credits added/);
    await page.goto(`${server.base}/account`);
    await hydrated(page, server);
    assert.equal((await page.getByTestId('credit-balance').textContent({ timeout: 20_000 })).trim(), '5');
    assert.match(await page.getByTestId('plan').textContent(), /Plan: Pro/);
    assert.match(await page.getByTestId('invoice').first().textContent({ timeout: 20_000 }), /EUR 29\.00 · paid/);

    // Stripe's billing portal (the fake's page), and back.
    await page.getByTestId('manage-plan').click();
    await page.waitForURL(`${stripe.base}/portal/**`, { timeout: 20_000 });
    assert.match(await page.locator('#customer').textContent(), /Customer cus_/);
    await page.locator('#return').click();
    await page.waitForURL(`${server.base}/account#credits`, { timeout: 20_000 });

    // The pricing page knows there is a plan: no second one.
    await page.goto(`${server.base}/pricing`);
    await hydrated(page, server);
    assert.match(await page.getByTestId('current-plan').textContent(), /Your plan: Pro/);
    assert.equal(await page.getByTestId('subscribe-pro').count(), 0);
    await context.close();
  });
});
