"""Stripe refunds are counted once each, whatever the order, the replays and the payload's shape.

A charge's ``amount_refunded`` is cumulative. Read as the newly refunded part, a ``charge.refunded``
without ``previous_attributes`` counted every earlier refund again: 200 € then 300 € refunded on a paid
1 200 € invoice left 700 € due instead of 500 €. Through the real webhook function on the local stack, on
the documented payload (tests/events/stripe_charge_refunded.json): without ``refunds`` (the default since
API version 2022-11-15) and with ``refunds.data[]`` listing each refund and its own id (when the endpoint
expands it, or on older API versions).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from relance.local.demo import DEMO_SECRETS, http_post_event, put_demo_secrets

from .conftest import book, business, invoice

SECRET = DEMO_SECRETS["/relance/stripe/webhook-secrets"]
SAMPLE = json.loads((Path(__file__).resolve().parents[1] / "events" / "stripe_charge_refunded.json").read_text())
CHARGE = SAMPLE["data"]["object"]["id"]


@pytest.fixture
def paid(stack, store, functions):
    put_demo_secrets(stack)
    store.seed(book([business()], [invoice("F1", amount="1200.00")]))
    assert store.apply_payment(provider="stripe", event_id="evt_pay", invoice_id="F1", amount=Decimal("1200.00"),
                               currency="EUR", on=store.invoice("F1")[0].due_date) == "paid"
    return store


def post(functions, event: dict[str, Any]) -> tuple[int, dict]:
    body = json.dumps(event).encode()
    stamp = str(int(time.time()))
    signature = f"t={stamp},v1=" + hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    answer = functions.invoke("WebhookFunction", http_post_event("/webhooks/stripe", body,
                                                                 {"stripe-signature": signature}))
    return answer["statusCode"], json.loads(answer["body"])


def refunded(event_id: str, total: int, *, previous: int | None = None,
             refunds: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    """charge.refunded for F1's charge, ``total`` cents refunded in all so far."""
    event = copy.deepcopy(SAMPLE)
    event["id"] = event_id
    event["created"] = int(time.time())
    charge = event["data"]["object"]
    charge.update(amount=120000, amount_captured=120000, amount_refunded=total, metadata={"invoice_id": "F1"})
    del event["data"]["previous_attributes"]
    if previous is not None:
        event["data"]["previous_attributes"] = {"amount_refunded": previous}
    if refunds is not None:
        charge["refunds"] = {"object": "list", "has_more": False, "url": f"/v1/charges/{CHARGE}/refunds",
                             "total_count": len(refunds),
                             "data": [{"id": rid, "object": "refund", "amount": amount, "charge": CHARGE,
                                       "currency": "eur", "status": "succeeded"} for rid, amount in refunds]}
    return event


def due(store) -> Decimal:
    return store.invoice("F1")[0].amount_due


def test_two_refunds_without_previous_attributes_count_once_each(functions, paid):
    assert post(functions, refunded("evt_r1", 20000)) == (200, {"outcome": "reopened"})
    assert due(paid) == Decimal("200.00")
    assert post(functions, refunded("evt_r2", 50000)) == (200, {"outcome": "refund"})
    assert due(paid) == Decimal("500.00")  # was 700.00: the first 200 € counted twice


def test_the_later_event_first_then_the_earlier_one_changes_nothing(functions, paid):
    assert post(functions, refunded("evt_r2", 50000))[0] == 200
    assert post(functions, refunded("evt_r1", 20000)) == (200, {"outcome": "duplicate"})
    assert due(paid) == Decimal("500.00")


@pytest.mark.parametrize("with_previous", [False, True])
def test_a_replay_under_the_same_or_a_new_event_id_counts_nothing_more(functions, paid, with_previous):
    previous = 0 if with_previous else None
    assert post(functions, refunded("evt_r1", 20000, previous=previous))[0] == 200
    assert post(functions, refunded("evt_r1", 20000, previous=previous)) == (200, {"outcome": "duplicate"})
    # Stripe may send the same change twice under two event ids (two Event objects for one change)
    assert post(functions, refunded("evt_r1_bis", 20000, previous=previous)) == (200, {"outcome": "duplicate"})
    assert due(paid) == Decimal("200.00")


@pytest.mark.parametrize("order", list(itertools.permutations(["first", "second"])))
def test_refunds_listed_with_their_own_ids_count_once_in_either_order(functions, paid, order):
    events = {"first": refunded("evt_a", 20000, refunds=[("re_A", 20000)]),
              "second": refunded("evt_b", 50000, previous=20000, refunds=[("re_B", 30000), ("re_A", 20000)])}
    for name in order:
        assert post(functions, events[name])[0] == 200
    assert due(paid) == Decimal("500.00")
    refunds = [e for e in paid.history("F1") if e["kind"] == "refund"]
    assert sorted(rid for e in refunds for rid in e["refund_ids"]) == ["re_A", "re_B"]


def test_a_full_refund_after_a_partial_one_reopens_the_whole_invoice_once(functions, paid):
    post(functions, refunded("evt_a", 20000, refunds=[("re_A", 20000)]))
    post(functions, refunded("evt_all", 120000, refunds=[("re_C", 100000), ("re_A", 20000)]))
    post(functions, refunded("evt_all_again", 120000))
    assert due(paid) == Decimal("1200.00")
