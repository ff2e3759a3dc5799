#!/usr/bin/env python3
"""Self-test of scripts/stripe_fake.py: starts it (and so localstripe) with this interpreter, which
must be the venv that holds localstripe (`make stripe-fake`), behind a webhook receiver of its own,
and walks through what imgigo's tests rely on. Prints `ok` at the end; exits non-zero on a failure.

    ~/.cache/imgigo/venv/bin/python scripts/stripe_fake_selftest.py"""
import hashlib, hmac, http.client, json, os, socket, subprocess, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "whsec_selftest"
KEY = "Bearer sk_test_selftest"
HERE = os.path.dirname(os.path.abspath(__file__))


class Receiver(BaseHTTPRequestHandler):
    deliveries, answer = [], 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Receiver.deliveries.append((dict(self.headers), body))
        self.send_response(Receiver.answer)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check(condition, what):
    if not condition:
        raise AssertionError(what)


class Client:
    def __init__(self, port):
        self.port = port

    def call(self, method, path, form=None, auth=KEY, raw=None, headers=None):
        """(status, parsed JSON or text, response headers)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = raw if raw is not None else (urllib.parse.urlencode(form).encode() if form is not None else None)
        h = dict(headers or {})
        if auth:
            h["Authorization"] = auth
        if body is not None:
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read().decode()
        conn.close()
        try:
            data = json.loads(data)
        except ValueError:
            pass
        return r.status, data, dict(r.getheaders())


def verify_signature(headers, body):
    parts = dict(p.split("=", 1) for p in headers["Stripe-Signature"].split(","))
    t = int(parts["t"])
    want = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    check(hmac.compare_digest(parts["v1"], want), "webhook signature does not verify")
    check(abs(time.time() - t) < 300, "webhook timestamp is not now")
    check(headers["Content-Type"] == "application/json", "webhook content type")


def run(api, ls_port):
    # Auth and routing.
    status, body, _ = api.call("POST", "/v1/checkout/sessions", {"mode": "payment"}, auth=None)
    check(status == 401 and body["error"]["type"] == "invalid_request_error", f"no key: {status} {body}")
    status, body, _ = api.call("GET", "/nowhere")
    check(status == 404 and "message" in body["error"], f"unknown route: {status} {body}")
    status, body, _ = api.call("GET", "/v1/no_such_thing")
    check(status == 404 and "message" in body["error"], f"route localstripe lacks: {status} {body}")
    status, body, _ = api.call("POST", "/v1/checkout/sessions", raw=b"x=" + b"a" * (1024 * 1024 + 1))
    check(status == 413, f"huge body: {status}")

    # A one-time price (ours) for a product (localstripe's), and a recurring one.
    status, product, _ = api.call("POST", "/v1/products", {"name": "100 credits"})
    check(status == 200 and product["id"].startswith("prod_"), f"product: {status} {product}")
    status, price, _ = api.call("POST", "/v1/prices", {"currency": "eur", "unit_amount": "900",
                                                       "product": product["id"], "metadata[credits]": "100"})
    check(status == 200 and price["id"].startswith("price_") and price["type"] == "one_time", f"price: {price}")
    status, got, _ = api.call("GET", f"/v1/prices/{price['id']}")
    check(status == 200 and got == price, f"price read back: {status} {got}")
    status, body, _ = api.call("POST", "/v1/prices", {"currency": "eur", "unit_amount": "1", "product": "prod_no"})
    check(status == 404, f"price for an unknown product: {status} {body}")
    status, monthly, _ = api.call("POST", "/v1/prices", {"currency": "eur", "unit_amount": "500",
                                                         "product_data[name]": "Pro", "recurring[interval]": "month"})
    check(status == 200 and monthly["recurring"]["interval"] == "month", f"recurring price: {status} {monthly}")

    # Checkout sessions: refused ones, then one as imgigo makes it.
    status, body, _ = api.call("POST", "/v1/checkout/sessions", {"mode": "payment", "success_url": "http://x/ok",
                                                                 "line_items[0][price]": "price_nope"})
    check(status == 404 and body["error"]["param"] == "line_items[0][price]", f"unknown price: {status} {body}")
    status, body, _ = api.call("POST", "/v1/checkout/sessions", {"mode": "payment",
                                                                 "line_items[0][price]": price["id"]})
    check(status == 400 and body["error"]["param"] == "success_url", f"no success_url: {status} {body}")
    status, body, _ = api.call("POST", "/v1/checkout/sessions", {"mode": "rent", "success_url": "http://x/ok"})
    check(status == 400 and body["error"]["param"] == "mode", f"bad mode: {status} {body}")
    status, body, _ = api.call("POST", "/v1/checkout/sessions", {"mode": "payment", "success_url": "http://x/ok"})
    check(status == 400 and body["error"]["param"] == "line_items", f"no line items: {status} {body}")
    form = {"mode": "payment", "line_items[0][price]": price["id"], "line_items[0][quantity]": "2",
            "client_reference_id": "42", "customer_email": "buyer@example.com", "metadata[pack]": "starter",
            "success_url": "http://app.test/billing/success?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://app.test/pricing?cancelled=starter"}
    status, cs, _ = api.call("POST", "/v1/checkout/sessions", form, headers={"Stripe-Version": "2026-09-30.endive"})
    check(status == 200, f"checkout session: {status} {cs}")
    expect = {"object": "checkout.session", "mode": "payment", "status": "open", "payment_status": "unpaid",
              "client_reference_id": "42", "customer": None, "customer_email": "buyer@example.com",
              "metadata": {"pack": "starter"}, "amount_total": 1800, "currency": "eur", "livemode": False,
              "invoice": None, "payment_intent": None, "subscription": None,
              "success_url": form["success_url"], "cancel_url": form["cancel_url"],
              "url": f"http://127.0.0.1:{api.port}/pay/{cs['id']}"}
    for field, value in expect.items():
        check(cs.get(field) == value, f"session {field}: {cs.get(field)!r}, expected {value!r}")
    check(cs["id"].startswith("cs_test_") and cs["expires_at"] - cs["created"] == 86400, f"session id/expiry: {cs}")
    status, got, _ = api.call("GET", f"/v1/checkout/sessions/{cs['id']}")
    check(status == 200 and got == cs, f"session read back: {status} {got}")
    status, body, _ = api.call("GET", "/v1/checkout/sessions/cs_test_nope")
    check(status == 404 and body["error"]["code"] == "resource_missing", f"unknown session: {status} {body}")

    # The checkout page, then payment through the harness route.
    status, page, headers = api.call("GET", f"/pay/{cs['id']}", auth=None)
    check(status == 200 and "text/html" in headers["Content-Type"] and "Fake Stripe Checkout" in page
          and "18.00 EUR" in page and form["cancel_url"] in page, f"checkout page: {status} {page}")
    status, event, _ = api.call("POST", f"/_fake/checkout/sessions/{cs['id']}/pay", auth=None)
    check(status == 200 and event["type"] == "checkout.session.completed", f"pay: {status} {event}")
    check(len(Receiver.deliveries) == 1, f"deliveries: {len(Receiver.deliveries)}")
    headers, body = Receiver.deliveries[0]
    verify_signature(headers, body)
    sent = json.loads(body)
    check(sent == event and sent["id"].startswith("evt_") and sent["api_version"] == "2026-09-30.endive",
          f"event sent: {sent}")
    paid = sent["data"]["object"]
    check(paid["id"] == cs["id"] and paid["status"] == "complete" and paid["payment_status"] == "paid"
          and paid["customer"].startswith("cus_") and paid["payment_intent"].startswith("pi_")
          and paid["metadata"] == {"pack": "starter"} and paid["client_reference_id"] == "42", f"paid: {paid}")
    status, body, _ = api.call("POST", f"/_fake/checkout/sessions/{cs['id']}/pay", auth=None)
    check(status == 409 and len(Receiver.deliveries) == 1, f"second payment: {status} {body}")
    status, got, _ = api.call("GET", f"/v1/checkout/sessions/{cs['id']}")
    check(got["payment_status"] == "paid" and got["customer"] == paid["customer"], f"paid session: {got}")

    # Proxied to localstripe: the customer made at payment, and its payment.
    status, customer, _ = api.call("GET", f"/v1/customers/{paid['customer']}")
    check(status == 200 and customer["email"] == "buyer@example.com", f"proxied customer: {status} {customer}")
    status, pi, _ = api.call("GET", f"/v1/payment_intents/{paid['payment_intent']}")
    check(status == 200 and pi["status"] == "succeeded" and pi["amount"] == 1800, f"proxied payment: {pi}")
    status, body, _ = api.call("GET", f"/v1/customers/{paid['customer']}", auth=None)
    check(status == 401, f"proxied without a key: {status} {body}")

    # The billing portal.
    status, portal, _ = api.call("POST", "/v1/billing_portal/sessions",
                                 {"customer": paid["customer"], "return_url": "http://app.test/account"})
    check(status == 200 and portal["id"].startswith("bps_") and portal["object"] == "billing_portal.session"
          and portal["customer"] == paid["customer"] and portal["url"].endswith(f"/portal/{portal['id']}")
          and portal["livemode"] is False, f"portal: {status} {portal}")
    status, page, _ = api.call("GET", f"/portal/{portal['id']}", auth=None)
    check(status == 200 and paid["customer"] in page and "http://app.test/account" in page, f"portal page: {page}")
    status, body, _ = api.call("POST", "/v1/billing_portal/sessions", {"customer": "cus_nope"})
    check(status == 404 and body["error"]["param"] == "customer", f"portal, unknown customer: {status} {body}")
    status, body, _ = api.call("POST", "/v1/billing_portal/sessions", {"return_url": "http://app.test/"})
    check(status == 400, f"portal without a customer: {status} {body}")

    # The browser's way (Pay button: 303 to success_url), with a webhook that fails at first.
    status, cs2, _ = api.call("POST", "/v1/checkout/sessions", dict(form, **{"line_items[0][quantity]": "1"}))
    Receiver.answer = 500
    status, page, _ = api.call("POST", f"/pay/{cs2['id']}", auth=None, raw=b"")
    check(status == 502 and "500" in page, f"pay, webhook failing: {status} {page}")
    Receiver.answer = 200
    status, events, _ = api.call("GET", "/_fake/events", auth=None)
    failed = [e for e in events if e["event"]["data"]["object"]["id"] == cs2["id"]]
    check(len(failed) == 1 and failed[0]["webhook_status"] == 500, f"events: {events}")
    status, again, _ = api.call("POST", f"/_fake/events/{failed[0]['event']['id']}/resend", auth=None)
    check(status == 200 and again["id"] == failed[0]["event"]["id"], f"resend: {status} {again}")
    verify_signature(*Receiver.deliveries[-1])
    status, cs3, _ = api.call("POST", "/v1/checkout/sessions", dict(form, client_reference_id="43"))
    status, body, headers = api.call("POST", f"/pay/{cs3['id']}", auth=None, raw=b"")
    check(status == 303 and headers["Location"] == f"http://app.test/billing/success?session_id={cs3['id']}",
          f"pay button: {status} {headers}")

    # A subscription, for an existing customer.
    status, sub_cs, _ = api.call("POST", "/v1/checkout/sessions", {
        "mode": "subscription", "customer": paid["customer"], "line_items[0][price]": monthly["id"],
        "line_items[0][quantity]": "1", "success_url": "http://app.test/ok"})
    check(status == 200 and sub_cs["amount_total"] == 500, f"subscription session: {status} {sub_cs}")
    status, body, _ = api.call("POST", "/v1/checkout/sessions", {
        "mode": "subscription", "line_items[0][price]": price["id"], "success_url": "http://app.test/ok"})
    check(status == 400, f"one-time price in a subscription: {status} {body}")
    status, event, _ = api.call("POST", f"/_fake/checkout/sessions/{sub_cs['id']}/pay", auth=None)
    done = event["data"]["object"]
    check(status == 200 and done["subscription"].startswith("sub_") and done["customer"] == paid["customer"],
          f"subscription paid: {status} {event}")
    status, sub, _ = api.call("GET", f"/v1/subscriptions/{done['subscription']}")
    check(status == 200 and sub["status"] == "active" and sub["plan"]["id"] == monthly["id"], f"subscription: {sub}")

    # What the fake was asked, decoded.
    status, asked, _ = api.call("GET", "/_fake/requests", auth=None)
    mine = [r for r in asked if r["method"] == "POST" and r["status"] == 200
            and r["path"] == "/v1/checkout/sessions" and r["form"].get("client_reference_id") == "42"]
    check(mine and mine[0]["form"]["line_items"] == [{"price": price["id"], "quantity": "2"}]
          and mine[0]["form"]["metadata"] == {"pack": "starter"}, f"recorded requests: {asked}")
    check(any(r["path"] == "/v1/billing_portal/sessions" and r["status"] == 404 for r in asked), "portal recorded")


def main():
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    ls_port = free_port()
    fake = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "stripe_fake.py"), "--port", "0", "--localstripe-port", str(ls_port),
         "--webhook-url", f"http://127.0.0.1:{receiver.server_address[1]}/webhooks/stripe",
         "--webhook-secret", SECRET],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if "-v" not in sys.argv else None, text=True)
    try:
        line = []
        reader = threading.Thread(target=lambda: line.append(fake.stdout.readline()), daemon=True)
        reader.start()
        reader.join(30)
        check(line and line[0].startswith("ready "), f"the fake did not start: {line}")
        run(Client(int(line[0].split()[1])), ls_port)
    finally:
        fake.terminate()
        fake.wait(10)
    deadline = time.monotonic() + 5
    while True:  # localstripe went with it
        try:
            socket.create_connection(("127.0.0.1", ls_port), timeout=1).close()
        except OSError:
            break
        check(time.monotonic() < deadline, "localstripe still listens after the fake stopped")
        time.sleep(0.1)
    print("ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
