"""The platform status contract, on the DynamoDB adapter (moto) and on the in-memory fake alike."""

from __future__ import annotations

from datetime import date

import pytest

from relance.app.einvoicing import apply_status
from relance.payments.einvoicing import StatusNotice

from ..support.books import book, business, invoice
from ..support.fake_store import FakeStore
from .conftest import SHARDS

ON = date(2026, 11, 20)


@pytest.fixture(params=["memory", "dynamodb"])
def any_store(request):
    store = FakeStore(SHARDS) if request.param == "memory" else request.getfixturevalue("store")
    store.seed(book([business("C1")], [invoice("F1"), invoice("F2", status="paid", paid_on="2026-10-20",
                                                               amount_due="0.00")]))
    return store


def status(code: str, msg: str, invoice_id: str = "F1") -> StatusNotice:
    return StatusNotice(msg, invoice_id, code, ON, None, "EUR", "motif de l’acheteur")


def einvoicing_events(store, invoice_id: str) -> list[tuple[str, str]]:
    return [(e["code"], e["outcome"]) for e in store.history(invoice_id) if e["kind"] == "einvoicing_status"]


def test_a_dispute_is_applied_once_with_its_event(any_store):
    assert apply_status(any_store, status("207", "m1")) == "applied"
    assert apply_status(any_store, status("207", "m1")) == "duplicate"

    assert any_store.invoice("F1")[0].status == "disputed"
    assert einvoicing_events(any_store, "F1") == [("207", "applied")]
    event = next(e for e in any_store.history("F1") if e["kind"] == "einvoicing_status")
    assert (event["status"], event["reason"], event["message_id"]) == ("En litige", "motif de l’acheteur", "m1")


def test_a_status_the_invoice_cannot_take_is_recorded_not_applied(any_store):
    assert apply_status(any_store, status("207", "m2", "F2")) == "recorded"

    assert any_store.invoice("F2")[0].status == "paid"
    assert einvoicing_events(any_store, "F2") == [("207", "recorded")]


def test_a_collected_invoice_is_paid_once(any_store):
    assert apply_status(any_store, status("212", "m3")) == "paid"
    assert apply_status(any_store, status("212", "m3")) == "duplicate"

    assert any_store.invoice("F1")[0].status == "paid"


def test_refusals_unknown_codes_and_unknown_invoices_are_kept_for_review(any_store):
    apply_status(any_store, status("210", "m4"))
    apply_status(any_store, status("299", "m5"))
    apply_status(any_store, status("207", "m6", "F-NOPE"))
    apply_status(any_store, status("207", "m6", "F-NOPE"))

    kept = sorted((r["message_id"], r["review"]) for r in any_store.einvoicing_reviews())
    assert kept == [("m4", "refused"), ("m5", "unknown_code"), ("m6", "unmatched")]
