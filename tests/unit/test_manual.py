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


class RecordingPlatform:
    """A PlatformReporter that keeps what it is told (or fails like an unreachable PA)."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[dict] = []
        self.fail = fail

    def report_collected(self, **status) -> None:
        from relance.ports import TransientProviderError

        if self.fail:
            raise TransientProviderError("platform unreachable")
        self.sent.append(status)


def test_a_payment_recorded_by_hand_is_reported_to_the_platform_as_212_once(store):
    from decimal import Decimal

    store.seed(book([business()], [invoice("F1")]))
    platform = RecordingPlatform()

    assert manual.record_payment(store, "F1", ON, Decimal("200.00"), "VIR 123", reporter=platform) == "partial"
    assert manual.record_payment(store, "F1", ON, Decimal("200.00"), "VIR 123", reporter=platform) == "duplicate"

    assert len(platform.sent) == 1
    sent = platform.sent[0]
    assert (sent["invoice_id"], sent["on"], sent["amount"], sent["currency"]) == ("F1", ON, Decimal("200.00"), "EUR")
    assert sent["message_id"].startswith("relance-manual-manual-")


def test_reporting_off_or_failing_never_costs_the_payment(store):
    store.seed(book([business()], [invoice("F1"), invoice("F2")]))
    warnings: list[str] = []

    assert manual.record_payment(store, "F1", ON) == "paid"  # no reporter: reporting is off
    assert manual.record_payment(store, "F2", ON, reporter=RecordingPlatform(fail=True), warn=warnings.append) == "paid"

    assert store.invoice("F2")[0].status == "paid"
    assert len(warnings) == 1 and "F2" in warnings[0] and "plateforme" in warnings[0]
