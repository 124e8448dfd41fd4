"""What the finance assistant records by hand (``app.manual``), on the in-memory store."""

from __future__ import annotations

from datetime import date

import pytest

from relance.app import manual

from ..support.books import book, business, invoice
from ..support.fake_store import FakeStore

ON = date(2026, 11, 20)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


def test_a_dispute_pauses_and_resume_lifts_it(store):
    store.seed(book([business()], [invoice("F1")]))
    assert manual.record_dispute(store, "F1", ON, "livraison incomplète") is True
    assert store.invoice("F1")[0].status == "disputed"
    assert manual.resume(store, "F1", ON) is True
    assert store.invoice("F1")[0].status == "open"
    assert [e["kind"] for e in store.history("F1")] == ["dispute", "resume"]


def test_a_promise_pauses_until_its_date(store):
    store.seed(book([business()], [invoice("F1")]))
    assert manual.record_promise(store, "F1", ON, date(2026, 12, 15)) is True
    assert store.invoice("F1")[0].promise_to_pay_until == date(2026, 12, 15)
    manual.resume(store, "F1", ON)
    assert store.invoice("F1")[0].promise_to_pay_until is None
