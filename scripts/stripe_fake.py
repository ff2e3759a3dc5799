#!/usr/bin/env python3
"""Stripe for imgigo's tests: Checkout Sessions, the billing portal and prices (which localstripe 1.15.10 lacks)
in front of a localstripe process this script starts and stops. Standard library only.

    python stripe_fake.py --port P --localstripe-port L --webhook-secret whsec_... [--webhook-url URL]

Prints `ready <port>` on stdout once both listen (--port 0: any free port), logs requests on stderr, and
stops localstripe when it ends (SIGTERM, SIGINT, exit; on Linux even when killed). Ours: /v1/checkout/sessions,
/v1/billing_portal/sessions, /v1/prices (a recurring price is also a localstripe plan of the same id, which
localstripe's subscriptions take), the pages /pay/<id> and /portal/<id>, and for test harnesses:
  POST /_fake/checkout/sessions/<id>/pay  pays as the Pay button does; answers the event sent
  POST /_fake/webhook url=<url>           where events (ours and localstripe's) are delivered from now on
  GET  /_fake/requests                    each request made to the checkout and portal APIs, decoded
  GET  /_fake/events                      each event sent, with the webhook's HTTP status
  POST /_fake/events/<id>/resend          delivers an event again (same id, fresh signature)
Anything else under /v1/ or /_config/ goes to localstripe verbatim."""
import argparse, atexit, ctypes, hashlib, hmac, html, json, re, secrets, signal, socket, string, subprocess, sys
import threading, time, urllib.error, urllib.parse, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1024 * 1024
OURS = r"/v1/(checkout/sessions|billing_portal/sessions|prices)(/|$)"
RECORDED = r"/v1/(checkout/sessions|billing_portal/sessions)(/|$)"
DEFAULT_API_VERSION = "2025-03-31.basil"  # events carry the Stripe-Version the session was made with
TEST_CARD = {"type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034",
             "card[cvc]": "123"}
# Stripe refuses parameters it does not know; so do we (these are Stripe's own lists).
CHECKOUT_PARAMS = set("""adaptive_pricing after_expiration allow_promotion_codes automatic_tax billing_address_collection
    cancel_url client_reference_id consent_collection currency custom_fields custom_text customer customer_creation
    customer_email customer_update discounts expand expires_at invoice_creation line_items locale metadata mode
    payment_intent_data payment_method_collection payment_method_configuration payment_method_options
    payment_method_types phone_number_collection redirect_on_completion return_url saved_payment_method_options
    setup_intent_data shipping_address_collection shipping_options submit_type subscription_data success_url
    tax_id_collection ui_mode""".split())
PORTAL_PARAMS = set("customer return_url configuration flow_data locale on_behalf_of expand".split())
PRICE_PARAMS = set("currency unit_amount product product_data recurring nickname lookup_key metadata active expand".split())

class StripeError(Exception):
    def __init__(self, status, message, kind="invalid_request_error", **extra):
        super().__init__(message)
        self.status, self.body = status, {"error": {"type": kind, "message": message, **extra}}

def missing(what, id, param="id"):
    return StripeError(404, f"No such {what}: '{id}'", code="resource_missing", param=param)

def bad(message, param):
    return StripeError(400, message, param=param)

def decode_form(raw):
    """Stripe's bracket notation (`a[0][b]=1&m[k]=v&l[]=x`) into nested dicts and lists."""
    root = {}
    for key, value in urllib.parse.parse_qsl(raw, keep_blank_values=True):
        m = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", key)
        if not m:
            raise bad(f"Invalid parameter name: {key}", key)
        parts, node = [m[1]] + re.findall(r"\[([^\[\]]*)\]", m[2]), root
        for part in parts[:-1]:
            node = node.setdefault(part or str(len(node)), {})  # `[]`: the next index
            if not isinstance(node, dict):
                raise bad(f"Invalid parameter nesting: {key}", key)
        if (parts[-1] or str(len(node))) in node:
            raise bad(f"Parameter given twice: {key}", key)
        node[parts[-1] or str(len(node))] = value

    def lists(v):
        if not isinstance(v, dict):
            return v
        v = {k: lists(x) for k, x in v.items()}
        return [v[k] for k in sorted(v, key=int)] if v and all(k.isdigit() for k in v) else v
    return lists(root)

def as_int(value, param, minimum=0):
    if not (isinstance(value, str) and value.isdigit() and int(value) >= minimum):
        raise bad(f"Missing required param: {param}." if value is None else f"Invalid integer: {value}", param)
    return int(value)

def unknown(form, allowed):
    for key in set(form) - allowed:
        raise bad(f"Received unknown parameter: {key}", key)

def new_id(prefix):
    return prefix + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))

def public(session):
    return {k: v for k, v in session.items() if not k.startswith("_")}

def page(title, body):
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title><link rel=icon href='data:,'></head>"
            f"<body><h1>{title}</h1>{body}</body></html>").encode()

class Fake:
    def __init__(self, args):
        self.args, self.lock, self.base = args, threading.Lock(), f"http://127.0.0.1:{args.port}"
        self.sessions, self.portals, self.prices, self.events, self.requests = {}, {}, {}, {}, []

    def upstream(self, method, path, headers, body=None):
        req = urllib.request.Request(f"http://127.0.0.1:{self.args.localstripe_port}{path}", body, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read(), r.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers.get("Content-Type", "application/json")
        except OSError as e:
            return 502, json.dumps(StripeError(502, f"localstripe: {e}", "api_error").body).encode(), "application/json"

    def ls(self, method, path, auth, form=None):
        """A call of ours to localstripe: its JSON object, None for a 404, else a 502 StripeError."""
        headers = {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}
        body = None if form is None else urllib.parse.urlencode(form).encode()
        status, data, _ = self.upstream(method, path, headers, body)
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        if status == 404 or (status == 200 and isinstance(parsed, dict)):
            return parsed if status == 200 else None
        message = (parsed.get("error") or {}).get("message") if isinstance(parsed, dict) else data[:200]
        raise StripeError(502, f"localstripe answered {status} to {method} {path}: {message}", "api_error")

    def create_price(self, auth, form):
        unknown(form, PRICE_PARAMS)
        currency, product, recurring = str(form.get("currency", "")).lower(), form.get("product"), form.get("recurring")
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise bad("Missing required param: currency.", "currency")
        amount = as_int(form.get("unit_amount"), "unit_amount")
        if not product and isinstance(form.get("product_data"), dict):
            product = self.ls("POST", "/v1/products", auth, {"name": form["product_data"].get("name", "")})["id"]
        elif not isinstance(product, str):
            raise bad("Missing required param: product.", "product")
        elif self.ls("GET", f"/v1/products/{urllib.parse.quote(product)}", auth) is None:
            raise missing("product", product, "product")
        if recurring is not None:
            if not isinstance(recurring, dict) or recurring.get("interval") not in ("day", "week", "month", "year"):
                raise bad("Invalid recurring[interval]: must be one of day, week, month or year", "recurring[interval]")
            recurring = {"interval": recurring["interval"], "usage_type": "licensed",
                         "interval_count": as_int(recurring.get("interval_count", "1"), "recurring[interval_count]", 1)}
        price = {"id": new_id("price_"), "object": "price", "active": form.get("active", "true") != "false",
                 "billing_scheme": "per_unit", "created": int(time.time()), "currency": currency, "livemode": False,
                 "lookup_key": form.get("lookup_key"), "metadata": form.get("metadata") or {},
                 "nickname": form.get("nickname"), "product": product, "recurring": recurring,
                 "tax_behavior": "unspecified", "type": "recurring" if recurring else "one_time",
                 "unit_amount": amount, "unit_amount_decimal": str(amount)}
        if recurring:
            self.ls("POST", "/v1/plans", auth, {"id": price["id"], "amount": amount, "currency": currency,
                                                "product": product, "interval": recurring["interval"],
                                                "interval_count": recurring["interval_count"]})
        with self.lock:
            self.prices[price["id"]] = price
        return price

    def create_session(self, auth, version, form):
        unknown(form, CHECKOUT_PARAMS)
        mode, customer, email = form.get("mode"), form.get("customer"), form.get("customer_email")
        if mode not in ("payment", "subscription", "setup"):
            raise bad("Invalid mode: must be one of payment, setup or subscription", "mode")
        if not form.get("success_url"):
            raise bad("Missing required param: success_url.", "success_url")
        if customer and email:
            raise bad("You may only specify one of these parameters: customer, customer_email.", "customer_email")
        if customer and self.ls("GET", f"/v1/customers/{urllib.parse.quote(str(customer))}", auth) is None:
            raise missing("customer", customer, "customer")
        items, lines, total, currency = form.get("line_items"), [], None, None
        if mode != "setup" and (not isinstance(items, list) or not items):
            raise bad(f"line_items is required in {mode} mode.", "line_items")
        for i, item in enumerate(items if mode != "setup" else []):
            pid, param = item.get("price") if isinstance(item, dict) else None, f"line_items[{i}][price]"
            with self.lock:
                price = self.prices.get(pid)
            if price is None:
                raise missing("price", pid, param)
            if (price["type"] == "recurring") != (mode == "subscription"):
                raise bad(f"Price {pid} is {price['type']}, which {mode} mode does not take.", param)
            if currency not in (None, price["currency"]):
                raise bad("All line items must be in one currency.", param)
            currency = price["currency"]
            lines.append({"price": pid, "quantity": as_int(item.get("quantity", "1"), f"line_items[{i}][quantity]", 1)})
            total = (total or 0) + price["unit_amount"] * lines[-1]["quantity"]
        now, sid = int(time.time()), new_id("cs_test_")
        session = {  # Stripe's fields, those async-stripe requires included; `_` ones stay here
            "id": sid, "object": "checkout.session", "mode": mode, "status": "open", "payment_status": "unpaid",
            "url": f"{self.base}/pay/{sid}", "success_url": form["success_url"], "cancel_url": form.get("cancel_url"),
            "client_reference_id": form.get("client_reference_id"), "customer": customer, "customer_email": email,
            "customer_details": None, "metadata": form.get("metadata") or {}, "amount_subtotal": total,
            "amount_total": total, "currency": currency, "created": now, "expires_at": now + 86400, "livemode": False,
            "invoice": None, "payment_intent": None, "subscription": None, "setup_intent": None, "payment_link": None,
            "locale": form.get("locale"), "payment_method_types": ["card"], "custom_fields": [],
            "automatic_tax": {"enabled": False, "liability": None, "status": None}, "shipping_options": [],
            "total_details": None, "custom_text": dict.fromkeys(("after_submit", "shipping_address", "submit",
                                                                 "terms_of_service_acceptance")),
            "_lines": lines, "_auth": auth, "_version": version or DEFAULT_API_VERSION, "_busy": False}
        with self.lock:
            self.sessions[sid] = session
        return session

    def complete(self, sid):
        """Pays checkout `sid` at localstripe, then tells the webhook: (HTTP status, answer)."""
        with self.lock:
            session = self.sessions.get(sid)
            if session is None:
                raise missing("checkout.session", sid)
            if session["status"] != "open" or session["_busy"]:
                raise StripeError(409, f"Checkout session {sid} is {session['status']}, not open.")
            session["_busy"] = True
        auth, mode, customer, email = session["_auth"], session["mode"], session["customer"], session["customer_email"]
        try:
            if customer is None:
                customer = self.ls("POST", "/v1/customers", auth, {"email": email} if email else {})["id"]
            else:
                email = (self.ls("GET", f"/v1/customers/{customer}", auth) or {}).get("email")
            done = {"customer": customer, "status": "complete", "payment_status": "paid" if mode != "setup"
                    else "no_payment_required", "customer_details": {"email": email, "name": None, "phone": None,
                                                                     "address": None, "tax_exempt": "none", "tax_ids": []}}
            if mode != "setup":
                pm = self.ls("POST", "/v1/payment_methods", auth, TEST_CARD)["id"]
                self.ls("POST", f"/v1/payment_methods/{pm}/attach", auth, {"customer": customer})
            if mode == "payment":
                done["payment_intent"] = self.ls("POST", "/v1/payment_intents", auth, {
                    "amount": session["amount_total"], "currency": session["currency"], "customer": customer,
                    "payment_method": pm, "confirm": "true"})["id"]
            elif mode == "subscription":  # localstripe's subscriptions take one item
                self.ls("POST", f"/v1/customers/{customer}", auth, {"invoice_settings[default_payment_method]": pm})
                line = session["_lines"][0]
                sub = self.ls("POST", "/v1/subscriptions", auth, {
                    "customer": customer, "items[0][plan]": line["price"], "items[0][quantity]": line["quantity"]})
                done.update(subscription=sub["id"], invoice=sub.get("latest_invoice"))
        except BaseException:
            with self.lock:
                session["_busy"] = False
            raise
        with self.lock:
            session.update(done, _busy=False)
            event = {"id": new_id("evt_"), "object": "event", "type": "checkout.session.completed",
                     "created": int(time.time()), "livemode": False, "api_version": session["_version"],
                     "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
                     "data": {"object": public(session)}}
            self.events[event["id"]] = {"event": event, "webhook_status": None}
        return self.deliver(event["id"])

    def deliver(self, eid):
        """Posts event `eid` to the webhook, signed as Stripe signs: (HTTP status, answer)."""
        if (record := self.events.get(eid)) is None:  # (one dict read: atomic in CPython)
            raise missing("event", eid)
        body, t = json.dumps(record["event"]).encode(), int(time.time())
        sig = hmac.new(self.args.webhook_secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(self.args.webhook_url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={sig}"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, why = r.status, f"answered {r.status}"
        except urllib.error.HTTPError as e:
            status, why = e.code, f"answered {e.code}"
        except (OSError, ValueError) as e:
            status, why = None, f"could not be reached ({e})"
        with self.lock:
            record["webhook_status"] = status
        if status is not None and 200 <= status < 300:
            return 200, record["event"]
        return 502, {"error": {"type": "api_error", "message": f"the webhook {why}"}, "event": record["event"]}

    def create_portal(self, auth, form):
        unknown(form, PORTAL_PARAMS)
        customer = form.get("customer")
        if not isinstance(customer, str) or not customer:
            raise bad("Missing required param: customer.", "customer")
        if self.ls("GET", f"/v1/customers/{urllib.parse.quote(customer)}", auth) is None:
            raise missing("customer", customer, "customer")
        pid = new_id("bps_")
        portal = {"id": pid, "object": "billing_portal.session", "customer": customer, "return_url": form.get("return_url"),
                  "url": f"{self.base}/portal/{pid}", "created": int(time.time()), "livemode": False,
                  "configuration": "bpc_fake", "flow": None, "locale": form.get("locale"), "on_behalf_of": None}
        with self.lock:
            self.portals[pid] = portal
        return portal

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: Fake = None

    def send(self, status, body, content_type="application/json", headers=()):
        body = body if isinstance(body, bytes) else (json.dumps(body, indent=2) + "\n").encode()
        self.send_response(status)
        for name, value in (("Content-Type", content_type), ("Content-Length", str(len(body))), *headers):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body if self.command != "HEAD" else b"")

    def auth(self):
        if not re.fullmatch(r"Bearer sk_\S+", self.headers.get("Authorization", "")):
            raise StripeError(401, "Invalid API Key provided: expected `Authorization: Bearer sk_...`.")
        return self.headers["Authorization"]

    def handle_any(self):
        url, length = urllib.parse.urlsplit(self.path), self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") or (length is not None and not length.isdigit()):
            self.close_connection = True
            return self.send(411, StripeError(411, "A body needs a Content-Length.").body)
        if length is not None and int(length) > MAX_BODY:
            self.close_connection = True
            left = min(int(length), 16 * MAX_BODY)  # read what was sent: a reset would lose the answer
            while left > 0 and (chunk := self.rfile.read(min(left, 65536))):
                left -= len(chunk)
            return self.send(413, StripeError(413, "The request body is over 1 MB.").body)
        raw = self.rfile.read(int(length)) if length else b""
        if re.match(r"/(v1|_config)/", url.path) and not re.match(OURS, url.path):  # localstripe's, verbatim
            headers = {h: self.headers[h] for h in ("Authorization", "Content-Type", "Idempotency-Key", "Stripe-Version")
                       if self.headers.get(h) is not None}
            status, body, ctype = self.fake.upstream(self.command, self.path, headers, raw if length is not None else None)
            if status == 404 and not ctype.startswith("application/json"):  # a route localstripe lacks
                return self.send(404, StripeError(404, f"Unrecognized request URL ({self.command}: {url.path}).").body)
            return self.send(status, body, ctype)
        record = {"method": self.command, "path": url.path, "form": None, "status": None}
        if re.match(RECORDED, url.path):
            self.fake.requests.append(record)  # (list.append: atomic in CPython)
        try:
            record["form"] = form = decode_form(raw.decode("utf-8", "replace") if self.command == "POST" else url.query)
            status, body, ctype, headers = self.route(url.path, form)
        except StripeError as e:
            status, body, ctype, headers = e.status, e.body, "application/json", ()
        record["status"] = status
        self.send(status, body, ctype, headers)

    def route(self, path, form):
        fake, method, J, H = self.fake, self.command, "application/json", "text/html; charset=utf-8"
        if method == "POST" and path == "/v1/checkout/sessions":
            return 200, public(fake.create_session(self.auth(), self.headers.get("Stripe-Version"), form)), J, ()
        if method == "POST" and path == "/v1/billing_portal/sessions":
            return 200, fake.create_portal(self.auth(), form), J, ()
        if method == "POST" and path == "/v1/prices":
            return 200, fake.create_price(self.auth(), form), J, ()
        if method == "GET" and (m := re.fullmatch(r"/v1/(checkout/sessions|prices)/([^/]+)", path)):
            self.auth()
            kind, table = ("price", fake.prices) if m[1] == "prices" else ("checkout.session", fake.sessions)
            with fake.lock:
                if m[2] not in table:
                    raise missing(kind, m[2])
                return 200, public(table[m[2]]), J, ()
        if method in ("GET", "POST") and (m := re.fullmatch(r"/pay/([^/]+)", path)):
            if (s := fake.sessions.get(m[1])) is None:
                return 404, page("Fake Stripe Checkout", "<p>No such checkout session.</p>"), H, ()
            if method == "POST":
                status, body = fake.complete(m[1])
                if status != 200:
                    return status, page("Fake Stripe Checkout", html.escape(body["error"]["message"])), H, ()
                return 303, b"", "text/plain", (("Location", s["success_url"].replace("{CHECKOUT_SESSION_ID}", s["id"])),)
            shown = f"{s['amount_total'] / 100:.2f} {s['currency'].upper()}" if s["currency"] else "nothing"
            pay = (f'<form method="post" action="/pay/{s["id"]}"><button id="pay" type="submit">Pay</button></form>'
                   if s["status"] == "open" else f"<p>This checkout is {s['status']}.</p>")
            cancel = f'<p><a id="cancel" href="{html.escape(s["cancel_url"])}">Cancel</a></p>' if s["cancel_url"] else ""
            return 200, page("Fake Stripe Checkout", f'<p id="amount">Pay {shown}</p>{pay}{cancel}'), H, ()
        if method == "GET" and (m := re.fullmatch(r"/portal/([^/]+)", path)):
            if (p := fake.portals.get(m[1])) is None:
                return 404, page("Fake Stripe billing portal", "<p>No such portal session.</p>"), H, ()
            back = f'<p><a id="return" href="{html.escape(p["return_url"])}">Return</a></p>' if p["return_url"] else ""
            return 200, page("Fake Stripe billing portal",
                             f'<p id="customer">Customer {html.escape(p["customer"])}</p>{back}'), H, ()
        if method == "POST" and (m := re.fullmatch(r"/_fake/checkout/sessions/([^/]+)/pay", path)):
            return (*fake.complete(m[1]), J, ())
        if method == "POST" and (m := re.fullmatch(r"/_fake/events/([^/]+)/resend", path)):
            return (*fake.deliver(m[1]), J, ())
        if method == "POST" and path == "/_fake/webhook":  # where events go, once the server under test listens
            if not re.fullmatch(r"https?://[^\s]+", str(form.get("url", ""))):
                raise bad("Missing required param: url (http or https).", "url")
            fake.args.webhook_url = form["url"]
            # localstripe's own events (invoices, subscriptions) go there too, signed with the same secret.
            status, body, _ = fake.upstream("POST", "/_config/webhooks/imgigo", {
                "Content-Type": "application/x-www-form-urlencoded"}, urllib.parse.urlencode(
                    {"url": form["url"], "secret": fake.args.webhook_secret}).encode())
            if status != 200:
                raise StripeError(502, f"localstripe refused the webhook ({status}): {body[:200]!r}")
            return 200, json.dumps({"url": form["url"]}).encode(), J, ()
        if method == "GET" and path in ("/_fake/requests", "/_fake/events"):
            with fake.lock:
                return 200, json.dumps(fake.requests if path == "/_fake/requests" else list(fake.events.values()),
                                       indent=2).encode(), J, ()
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = handle_any

def listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for flag, kind in (("--port", int), ("--localstripe-port", int), ("--webhook-secret", str)):
        parser.add_argument(flag, type=kind, required=True)
    parser.add_argument("--webhook-url", default="", help="where events go (or later: POST /_fake/webhook url=…)")
    args = parser.parse_args()
    if listening(args.localstripe_port):  # someone else's server would pass for localstripe below
        sys.exit(f"stripe_fake: port {args.localstripe_port} is already in use")
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads, args.port = True, server.server_address[1]
    Handler.fake = Fake(args)
    # localstripe's stdout goes to our stderr: our stdout carries only `ready <port>`. On Linux it gets SIGTERM
    # when this process dies, even by SIGKILL (prctl PR_SET_PDEATHSIG).
    child = subprocess.Popen([sys.executable, "-m", "localstripe", "--port", str(args.localstripe_port), "--from-scratch"],
                             stdin=subprocess.DEVNULL, stdout=sys.stderr, preexec_fn=(lambda: ctypes.CDLL(None).prctl(
                                 1, signal.SIGTERM)) if sys.platform == "linux" else None)
    atexit.register(lambda: child.poll() is None and (child.terminate(), child.wait(5)))
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(0))
    deadline = time.monotonic() + 20
    while not listening(args.localstripe_port):
        if child.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"stripe_fake: localstripe did not listen within 20 s (exit status {child.poll()})")
        time.sleep(0.1)
    print(f"ready {args.port}", flush=True)
    server.serve_forever()

if __name__ == "__main__":
    main()
