"""A payment in another currency than the invoice's is never applied at face value: kept for review.

¥1 200 once marked a 1 200 € invoice paid. Through the real webhook function on the local stack, Stripe
(amounts in the currency's minor unit: zero-decimal JPY, two-decimal HUF, three-decimal KWD/BHD) and the
generic notice alike: the invoice is untouched, the notice is kept under ``REVIEW#<provider>`` with its
reason, and the invoice's history says a payment is waiting for someone to look at it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from relance.local.demo import DEMO_SECRETS, http_post_event, put_demo_secrets, stripe_invoice_paid
from relance.payments.webhooks import sign_generic

from .conftest import book, business, invoice

STRIPE_SECRET = DEMO_SECRETS["/relance/stripe/webhook-secrets"]
GENERIC_SECRET = DEMO_SECRETS["/relance/payments/generic-secrets"]


@pytest.fixture
def ready(stack, store):
    put_demo_secrets(stack)
    store.seed(book([business()], [invoice("F1", amount="1200.00"),
                                   invoice("FUSD", amount="1200.00", currency="USD")]))
    return store


def post(functions, path: str, body: bytes) -> tuple[int, dict]:
    if path == "/webhooks/stripe":
        stamp = str(int(time.time()))
        header = ("stripe-signature", f"t={stamp},v1=" + hmac.new(STRIPE_SECRET.encode(), stamp.encode() + b"." + body,
                                                                     hashlib.sha256).hexdigest())
    else:
        header = ("relance-signature", sign_generic(body, GENERIC_SECRET, now=datetime.now(UTC)))
    answer = functions.invoke("WebhookFunction", http_post_event(path, body, dict([header])))
    return answer["statusCode"], json.loads(answer["body"])


def stripe_paid(invoice_id: str, currency: str, minor: int, event_id: str = "evt_fx") -> bytes:
    event = json.loads(stripe_invoice_paid(invoice_id, Decimal("1200.00"), date(2026, 11, 16)))
    event["id"] = event_id
    event["data"]["object"].update(currency=currency, amount_paid=minor)
    return json.dumps(event).encode()


def generic(invoice_id: str, currency: str, amount: str, kind: str = "payment") -> bytes:
    return json.dumps({"id": f"bank-{currency}-{kind}", "invoice_id": invoice_id, "amount": amount,
                       "currency": currency, "paid_on": "2026-11-20", "kind": kind}).encode()


def still_owed(store, invoice_id: str = "F1") -> bool:
    stored, _ = store.invoice(invoice_id)
    return stored.status == "open" and stored.amount_due == Decimal("1200.00") and stored.paid_on is None


@pytest.mark.parametrize(("currency", "minor", "amount"), [
    ("jpy", 1200, "1200"),        # ¥1 200: zero-decimal, the amount is in yen
    ("usd", 120000, "1200.00"),
    ("huf", 120000, "1200.00"),   # two-decimal in Stripe's API (100 = 1 forint), zero-decimal only for payouts
    ("kwd", 1200000, "1200.000"),  # three-decimal
    ("bhd", 1200000, "1200.000"),
])
def test_a_stripe_payment_in_another_currency_is_kept_for_review(functions, ready, currency, minor, amount):
    assert post(functions, "/webhooks/stripe", stripe_paid("F1", currency, minor)) == (200, {"outcome": "review"})
    assert still_owed(ready)
    (kept,) = ready.review_payments()
    assert (kept["provider"], kept["invoice_ref"], kept["currency"], kept["amount"], kept["reason"]) == (
        "stripe", "F1", currency.upper(), amount, "currency_mismatch")
    assert kept["invoice_currency"] == "EUR" and kept["kind"] == "payment"
    assert [e["kind"] for e in ready.history("F1")] == ["payment_review"]
    # Stripe retries: the same event is not kept twice
    assert post(functions, "/webhooks/stripe", stripe_paid("F1", currency, minor)) == (200, {"outcome": "duplicate"})
    assert len(ready.review_payments()) == 1


@pytest.mark.parametrize(("currency", "amount"), [("JPY", "1200"), ("USD", "1200.00"), ("HUF", "1200.00")])
def test_a_generic_payment_in_another_currency_is_kept_for_review(functions, ready, currency, amount):
    assert post(functions, "/webhooks/generic", generic("F1", currency, amount)) == (200, {"outcome": "review"})
    assert still_owed(ready)
    (kept,) = ready.review_payments()
    assert (kept["provider"], kept["currency"], kept["reason"]) == ("generic", currency, "currency_mismatch")


def test_a_refund_in_another_currency_does_not_reopen_a_paid_invoice(functions, ready):
    assert post(functions, "/webhooks/generic", generic("F1", "EUR", "1200.00")) == (200, {"outcome": "paid"})
    refund = generic("F1", "USD", "500.00", "refund")
    assert post(functions, "/webhooks/generic", refund) == (200, {"outcome": "review"})
    stored, _ = ready.invoice("F1")
    assert stored.status == "paid" and stored.amount_due == Decimal("0.00")
    (kept,) = ready.review_payments()
    assert kept["kind"] == "refund"


def test_only_euros_are_applied_by_a_webhook_even_on_an_invoice_in_that_currency(functions, ready):
    assert post(functions, "/webhooks/stripe", stripe_paid("FUSD", "usd", 120000)) == (200, {"outcome": "review"})
    assert still_owed(ready, "FUSD")
    (kept,) = ready.review_payments()
    assert kept["reason"] == "currency_not_euro"


def test_euros_on_a_euro_invoice_are_applied_as_before(functions, ready):
    assert post(functions, "/webhooks/stripe", stripe_paid("F1", "eur", 120000)) == (200, {"outcome": "paid"})
    assert ready.review_payments() == []


def test_the_finance_assistant_lists_what_was_kept_for_review(stack, functions, ready, monkeypatch, capsys):
    from relance.cli import main

    post(functions, "/webhooks/stripe", stripe_paid("F1", "jpy", 1200))
    post(functions, "/webhooks/generic", generic("F-INCONNUE", "EUR", "80.00"))
    for key, value in stack.function_environment("EvaluatorFunction").items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    assert main(["invoice", "review"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("1200 JPY" in line and "« F1 »" in line and "devise différente de la facture" in line
               for line in lines)
    assert any("80.00 EUR" in line and "facture inconnue" in line for line in lines)
    assert main(["invoice", "review", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["payments"]
    assert sorted(p["reason"] for p in listed) == ["currency_mismatch", "unmatched"]
