"""The payment webhook function on the local stack: forged or replayed events change nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import date
from decimal import Decimal

import pytest

from relance.local.demo import DEMO_SECRETS, put_demo_secrets, signed_http_event, stripe_invoice_paid
from relance.payments.webhooks import sign_generic

from .conftest import book, business, invoice

SECRET = DEMO_SECRETS["/relance/stripe/webhook-secrets"]


@pytest.fixture
def ready(stack, store):
    put_demo_secrets(stack)
    store.seed(book([business()], [invoice("F1", amount="1200.00"), invoice("F2", amount="300.00")]))
    return store


def stripe_header(body: bytes, secret: str = SECRET, at: int | None = None) -> str:
    stamp = str(at if at is not None else int(time.time()))
    return f"t={stamp},v1=" + hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def post_stripe(functions, body: bytes, signature: str | None) -> tuple[int, dict]:
    event = signed_http_event("/webhooks/stripe", body, "stripe-signature", signature or "")
    if signature is None:
        del event["headers"]["stripe-signature"]
    answer = functions.invoke("WebhookFunction", event)
    return answer["statusCode"], json.loads(answer["body"])


def test_a_signed_stripe_event_pays_the_invoice(functions, ready):
    body = stripe_invoice_paid("F1", Decimal("1200.00"), date(2026, 11, 16))
    assert post_stripe(functions, body, stripe_header(body)) == (200, {"outcome": "paid"})
    stored, _ = ready.invoice("F1")
    assert stored.status == "paid" and stored.paid_on == date(2026, 11, 16)


@pytest.mark.parametrize("forge", ["tampered", "wrong_secret", "stale", "future", "missing"])
def test_forged_or_replayed_events_change_nothing(functions, ready, forge):
    body = stripe_invoice_paid("F1", Decimal("1200.00"), date(2026, 11, 16))
    signature = {
        "tampered": stripe_header(body),
        "wrong_secret": stripe_header(body, "whsec_someone_else"),
        "stale": stripe_header(body, at=int(time.time()) - 3600),
        "future": stripe_header(body, at=int(time.time()) + 3600),
        "missing": None,
    }[forge]
    sent = body.replace(b"120000", b"999999") if forge == "tampered" else body
    status, payload = post_stripe(functions, sent, signature)
    assert status == 401 and payload == {"error": "invalid signature"}
    assert ready.invoice("F1")[0].amount_due == Decimal("1200.00") and ready.history("F1") == []


def test_a_replayed_event_is_applied_once(functions, ready):
    body = stripe_invoice_paid("F2", Decimal("100.00"), date(2026, 11, 16))
    assert post_stripe(functions, body, stripe_header(body)) == (200, {"outcome": "partial"})
    assert post_stripe(functions, body, stripe_header(body)) == (200, {"outcome": "duplicate"})
    assert ready.invoice("F2")[0].amount_due == Decimal("200.00")


def test_a_signed_but_malformed_body_is_a_400(functions, ready):
    body = b'{"id": "evt_x", "object": "event"'
    status, _ = post_stripe(functions, body, stripe_header(body))
    assert status == 400


def test_an_unknown_invoice_is_kept_as_unmatched(functions, ready):
    body = stripe_invoice_paid("F-INCONNUE", Decimal("50.00"), date(2026, 11, 16))
    assert post_stripe(functions, body, stripe_header(body)) == (200, {"outcome": "unmatched"})


def test_an_event_type_we_do_not_handle_is_acknowledged(functions, ready):
    body = json.dumps({"id": "evt_c", "object": "event", "type": "customer.created", "created": int(time.time()),
                       "data": {"object": {"object": "customer", "id": "cus_1"}}}).encode()
    assert post_stripe(functions, body, stripe_header(body)) == (200, {"outcome": "ignored",
                                                                       "type": "customer.created"})


def test_the_generic_signed_notice(functions, ready):
    from datetime import UTC, datetime

    body = json.dumps({"id": "bank-2026-11-20-001", "invoice_id": "F2", "amount": "300.00", "currency": "EUR",
                       "paid_on": "2026-11-20", "kind": "payment"}).encode()
    secret = DEMO_SECRETS["/relance/payments/generic-secrets"]
    event = signed_http_event("/webhooks/generic", body, "relance-signature",
                              sign_generic(body, secret, now=datetime.now(UTC)))
    answer = functions.invoke("WebhookFunction", event)
    assert (answer["statusCode"], json.loads(answer["body"])) == (200, {"outcome": "paid"})
    forged = signed_http_event("/webhooks/generic", body, "relance-signature", "t=1,v1=" + "0" * 64)
    assert functions.invoke("WebhookFunction", forged)["statusCode"] == 401


def test_a_payment_arriving_while_a_send_is_in_flight_stops_the_send(stack, functions, ready):
    from relance.app.deliver import ChannelMessage, MessageAction

    message = ChannelMessage("k-flight", date(2026, 11, 16), "C1", "email", "courtois",
                             (MessageAction("F1", "relance_1", "standard", "standard"),))
    stack.client("sqs").send_message(QueueUrl=stack.physical["EmailQueue"], MessageBody=message.body())
    body = stripe_invoice_paid("F1", Decimal("1200.00"), date(2026, 11, 16))
    post_stripe(functions, body, stripe_header(body))
    functions.drain("EmailQueue", "EmailFunction", RELANCE_TODAY="2026-11-16")
    kinds = [e["kind"] for e in ready.history("F1")]
    assert kinds == ["payment", "action_cancelled"] and "sent" not in kinds
