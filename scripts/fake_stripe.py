"""A local stand-in for Stripe's API, for the tests and for trying the prod stage by hand (moto
has no Stripe).  It answers the few endpoints the API uses, as the ``stripe`` library calls
them (form-encoded bodies, ``Idempotency-Key`` replays with ``Idempotent-Replayed: true``):
PaymentIntents create (confirmed, manual capture) / retrieve / list / capture / cancel, and refunds
create / retrieve.  ``pm_card_visa`` (any ``pm_`` id) is authorized; ``pm_card_chargeDeclined``
is declined (402 card_error); ``fail_captures(n)`` makes the next n captures answer 500,
``down = True`` every call 503, ``refund_status = "pending"`` leaves refunds pending.

    python scripts/fake_stripe.py serve [--port 12111]     # prints the variables to set
    python scripts/fake_stripe.py send charge.dispute.created --payment-intent pi_... \\
        [--status lost] [--amount 1295]                     # a signed event to the API

``send`` signs with Stripe's scheme (``t=<time>,v1=<HMAC-SHA256 of "t.payload">``).
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

API_KEY = "sk_test_fake_kinlink_local"
WEBHOOK_SECRET = "whsec_fake_kinlink_local"
DEFAULT_PORT = 12111
DECLINED = {"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined", "pm_card_declined"}


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """Stripe's ``Stripe-Signature`` for ``payload``."""
    at = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def event(kind: str, data: dict, event_id: str | None = None) -> dict:
    return {"id": event_id or "evt_" + secrets.token_hex(12), "object": "event", "type": kind,
            "api_version": "2025-01-27", "created": int(time.time()), "livemode": False,
            "data": {"object": data}}


def dispute(payment_intent: str, amount: int, status: str = "needs_response",
            dispute_id: str | None = None) -> dict:
    return {"id": dispute_id or "dp_" + secrets.token_hex(12), "object": "dispute",
            "amount": amount, "currency": "usd", "payment_intent": payment_intent,
            "charge": "ch_" + payment_intent[3:], "status": status, "reason": "fraudulent"}


def post_event(url: str, body: dict, secret: str = WEBHOOK_SECRET) -> tuple[int, str]:
    payload = json.dumps(body).encode()
    request = urllib.request.Request(url, data=payload, method="POST", headers={
        "Content-Type": "application/json", "Stripe-Signature": signature_header(payload, secret)})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (local URL)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class FakeStripe:
    """The server and its state; ``with FakeStripe() as fake: fake.url`` in tests."""

    def __init__(self, port: int = 0, api_key: str = API_KEY, webhook_url: str | None = None,
                 webhook_secret: str = WEBHOOK_SECRET) -> None:
        self.api_key, self.webhook_url, self.webhook_secret = api_key, webhook_url, webhook_secret
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.replays: dict[str, tuple[int, dict]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) in order
        self.failing_captures = 0
        self.refund_status = "succeeded"
        self.down = False  # every call answers 503, as during an outage
        self.delay_seconds: float | None = None  # every answer waits this long
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeStripe:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail_captures(self, count: int) -> None:
        self.failing_captures = count

    def captured_cents(self) -> int:
        """Money taken from cards minus money returned (compare with the ledger)."""
        taken = sum(i["amount_received"] for i in self.intents.values())
        return taken - sum(r["amount"] for r in self.refunds.values() if r["status"] != "failed")

    # --- the API ---------------------------------------------------------------------------

    def answer(self, method: str, path: str, params: dict, key: str | None) -> tuple[int, dict]:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        with self.lock:
            self.requests.append((method, path))
            if self.down:
                return _error(503, "api_error", None) + ({},)
            if key is not None and (method, key) in self.replays:
                return self.replays[(method, key)] + ({"Idempotent-Replayed": "true"},)
            status, body = self._route(method, path.strip("/").split("/"), params)
            if key is not None and status != 500:
                self.replays[(method, key)] = (status, body)
            return status, body, {}

    def _route(self, method: str, parts: list[str], params: dict) -> tuple[int, dict]:
        if parts[:2] == ["v1", "payment_intents"]:
            if len(parts) == 2 and method == "POST":
                return self._create_intent(params)
            if len(parts) == 2 and method == "GET":  # newest first, as Stripe lists
                return 200, {"object": "list", "data": list(reversed(self.intents.values()))}
            intent = self.intents.get(parts[2]) if len(parts) > 2 else None
            if intent is None:
                return _error(404, "invalid_request_error", "resource_missing")
            if len(parts) == 3 and method == "GET":
                return 200, intent
            if len(parts) == 4 and method == "POST":
                return {"capture": self._capture, "cancel": self._cancel,
                        "confirm": lambda i: (200, i)}.get(parts[3], _not_found)(intent)
        if parts[:2] == ["v1", "refunds"]:
            if len(parts) == 2 and method == "POST":
                return self._refund(params)
            if len(parts) == 3 and method == "GET" and parts[2] in self.refunds:
                return 200, self.refunds[parts[2]]
        return _error(404, "invalid_request_error", "resource_missing")

    def _create_intent(self, params: dict) -> tuple[int, dict]:
        method = params.get("payment_method", "")
        if not method.startswith("pm_"):
            return _error(400, "invalid_request_error", "resource_missing")
        if method in DECLINED:
            return _error(402, "card_error", "card_declined")
        intent_id = "pi_" + secrets.token_hex(12)
        intent = {"id": intent_id, "object": "payment_intent", "amount": int(params["amount"]),
                  "amount_received": 0, "currency": params.get("currency", "usd"),
                  "capture_method": params.get("capture_method", "automatic"),
                  "payment_method": method, "latest_charge": "ch_" + intent_id[3:],
                  "status": "requires_capture", "metadata": {}}
        self.intents[intent_id] = intent
        return 200, intent

    def _capture(self, intent: dict) -> tuple[int, dict]:
        if self.failing_captures > 0:
            self.failing_captures -= 1
            return _error(500, "api_error", None)
        if intent["status"] != "requires_capture":
            return _error(400, "invalid_request_error", "payment_intent_unexpected_state")
        intent.update(status="succeeded", amount_received=intent["amount"])
        return 200, intent

    def _cancel(self, intent: dict) -> tuple[int, dict]:
        if intent["status"] != "requires_capture":
            return _error(400, "invalid_request_error", "payment_intent_unexpected_state")
        intent["status"] = "canceled"
        return 200, intent

    def _refund(self, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            return _error(400, "invalid_request_error", "resource_missing")
        amount = int(params.get("amount") or intent["amount_received"])
        refunded = sum(r["amount"] for r in self.refunds.values()
                       if r["payment_intent"] == intent["id"] and r["status"] != "failed")
        if refunded + amount > intent["amount_received"]:
            return _error(400, "invalid_request_error", "charge_already_refunded")
        refund = {"id": "re_" + secrets.token_hex(12), "object": "refund", "amount": amount,
                  "payment_intent": intent["id"], "charge": intent["latest_charge"],
                  "status": self.refund_status, "currency": intent["currency"]}
        self.refunds[refund["id"]] = refund
        if self.webhook_url:
            threading.Timer(0.5, post_event, (self.webhook_url, event("refund.updated", refund),
                                              self.webhook_secret)).start()
        return 200, refund

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                if self.path.startswith("/_fake/"):  # controls for a person at the keyboard
                    settings = json.loads(raw or "{}")
                    fake.failing_captures = int(settings.get("fail_captures", 0))
                    fake.refund_status = settings.get("refund_status", "succeeded")
                    fake.down = bool(settings.get("down", False))
                    return self._send(200, {"ok": True}, {})
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    return self._send(*_error(401, "invalid_request_error", "api_key_invalid"), {})
                path, _, query = self.path.partition("?")
                params = dict(parse_qsl(raw or query))
                self._send(*fake.answer(method, path, params, self.headers.get("Idempotency-Key")))

            def do_GET(self) -> None:  # noqa: N802
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

            def _send(self, status: int, body: dict, headers: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_" + secrets.token_hex(6))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args) -> None:  # noqa: A002
                if os.environ.get("FAKE_STRIPE_VERBOSE"):
                    super().log_message(format, *args)

        return Handler


def _error(status: int, kind: str, code: str | None) -> tuple[int, dict]:
    return status, {"error": {"type": kind, "code": code, "message": f"fake {kind} ({code})"}}


def _not_found(intent: dict) -> tuple[int, dict]:
    return _error(404, "invalid_request_error", "resource_missing")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the fake Stripe API")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--webhook-url", default="http://127.0.0.1:8000/v1/webhooks/stripe",
                       help="where refund events are sent ('' for nowhere)")
    send = commands.add_parser("send", help="send one signed event to the API")
    send.add_argument("type", choices=["charge.dispute.created", "charge.dispute.closed"])
    send.add_argument("--payment-intent", required=True)
    send.add_argument("--amount", type=int, default=0)
    send.add_argument("--status", default="needs_response", help="won or lost when closing")
    send.add_argument("--dispute-id")
    send.add_argument("--to", default="http://127.0.0.1:8000/v1/webhooks/stripe")
    send.add_argument("--secret", default=os.environ.get("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET))
    args = parser.parse_args(argv)
    if args.command == "send":
        body = event(args.type, dispute(args.payment_intent, args.amount, args.status,
                                        args.dispute_id))
        status, text = post_event(args.to, body, args.secret)
        print(f"{args.type} {body['id']} -> {status} {text}")
        return 0 if status == 200 else 1
    fake = FakeStripe(args.port, webhook_url=args.webhook_url or None)
    print(f"Fake Stripe on {fake.url}. Start the API against it with:\n"
          f"  STAGE=prod STRIPE_API_BASE={fake.url} STRIPE_SECRET_KEY={API_KEY} "
          f"STRIPE_WEBHOOK_SECRET={WEBHOOK_SECRET} make run\n"
          f"Cards: pm_card_visa (authorized), pm_card_chargeDeclined (declined). Ctrl-C stops.",
          flush=True)
    try:
        fake.server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
