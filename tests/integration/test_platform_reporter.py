"""Reporting to the e-invoicing platform (off by default): a loopback fake PA receives « 212 Encaissée » for a
payment relance applied, signed as relance signs, and the status coming back is not counted twice."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from relance import signing
from relance.adapters.platform import HttpPlatformReporter
from relance.app.einvoicing import apply_status, report_payment
from relance.local.demo import DEMO_SECRETS, put_demo_secrets, signed_http_event
from relance.payments.einvoicing import verify_status
from relance.ports import ProviderError, TransientProviderError

from ..support.books import book, business, invoice
from ..support.fake_store import FakeStore

SECRET = "pa-loopback-secret"


class FakePlatform:
    """A PA on 127.0.0.1: checks each report's signature with relance's own reader, keeps what it received."""

    def __init__(self, answer: int = 200) -> None:
        self.received: list = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    platform.received.append(verify_status(raw, dict(self.headers), [SECRET],
                                                           now=datetime.now(UTC)))
                    code = answer
                except signing.InvalidSignature:
                    code = 401
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/statuses"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform():
    fake = FakePlatform()
    yield fake
    fake.close()


def test_a_payment_relance_applied_is_reported_as_212_and_not_counted_twice_when_it_comes_back(platform):
    store = FakeStore()
    store.seed(book([business()], [invoice("F1", amount="1200.00")]))
    outcome = store.apply_payment(provider="stripe", event_id="evt_1", invoice_id="F1", amount=Decimal("1200.00"),
                                  currency="EUR", on=date(2026, 11, 16))

    sent = report_payment(HttpPlatformReporter(platform.url, [SECRET]), provider="stripe", event_id="evt_1",
                          invoice_id="F1", on=date(2026, 11, 16), amount=Decimal("1200.00"), currency="EUR",
                          outcome=outcome)

    (received,) = platform.received
    assert (sent, received.code, received.invoice_id, received.amount) == (
        "relance-stripe-evt_1", "212", "F1", Decimal("1200.00"))
    # the PA sends the status back (its own message id): recognised, recorded, not a second payment
    back = received.__class__(f"pa-{received.id}", "F1", "212", received.on, received.amount, "EUR", "")
    assert apply_status(store, back) == "recorded"
    assert store.invoice("F1")[0].amount_due == 0 and len(store.invoice("F1")[0].payments) == 1


def test_nothing_is_reported_when_off_for_a_refund_or_for_what_came_from_the_platform(platform):
    reporter = HttpPlatformReporter(platform.url, [SECRET])
    args = {"event_id": "e", "invoice_id": "F1", "on": date(2026, 11, 16), "amount": Decimal(1), "currency": "EUR"}

    assert report_payment(None, provider="stripe", outcome="paid", **args) is None
    assert report_payment(reporter, provider="stripe", outcome="refund", **args) is None
    assert report_payment(reporter, provider="einvoicing", outcome="paid", **args) is None
    assert platform.received == []


def test_a_refusing_or_unreachable_platform_raises_a_provider_error():
    refusing = FakePlatform(answer=400)
    try:
        with pytest.raises(ProviderError):
            HttpPlatformReporter(refusing.url, [SECRET]).report_collected(
                message_id="m", invoice_id="F1", on=date(2026, 11, 16), amount=Decimal(1), currency="EUR")
    finally:
        refusing.close()
    with pytest.raises(TransientProviderError):
        HttpPlatformReporter("http://127.0.0.1:9/x", [SECRET], timeout_s=1).report_collected(
            message_id="m", invoice_id="F1", on=date(2026, 11, 16), amount=Decimal(1), currency="EUR")


def test_the_webhook_function_reports_when_configured(stack, store, functions, platform):
    put_demo_secrets(stack)
    stack.client("ssm").put_parameter(Name="/relance/einvoicing/report-secret", Value=SECRET, Type="SecureString",
                                      Overwrite=True)
    store.seed(book([business()], [invoice("F1", amount="1200.00")]))
    body = json.dumps({"id": "bank-1", "invoice_id": "F1", "amount": "1200.00", "currency": "EUR",
                       "paid_on": "2026-11-16"}).encode()
    header = signing.sign(body, DEMO_SECRETS["/relance/payments/generic-secrets"], now=datetime.now(UTC))

    answer = functions.invoke("WebhookFunction", signed_http_event("/webhooks/generic", body, "Relance-Signature",
                                                                   header),
                              PLATFORM_REPORT_URL=platform.url,
                              PLATFORM_REPORT_SECRET_PARAMETER="/relance/einvoicing/report-secret")

    assert json.loads(answer["body"]) == {"outcome": "paid"}
    assert [(r.id, r.code, r.invoice_id) for r in platform.received] == [("relance-generic-bank-1", "212", "F1")]
