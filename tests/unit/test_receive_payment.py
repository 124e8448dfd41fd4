"""A payment notice received: applied once, then reported to the e-invoicing platform when one is configured —
the use case the webhook function calls (``app.payments.receive_payment``), on the in-memory store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from relance.app.payments import receive_payment
from relance.payments.webhooks import PaymentNotice
from relance.ports import ProviderError
from tests.support.books import book, business, invoice
from tests.support.fake_store import FakeStore


class Platform:
    def __init__(self, fail: bool = False) -> None:
        self.fail, self.reported = fail, []

    def report_collected(self, **fields) -> None:
        if self.fail:
            raise ProviderError("platform answered 503")
        self.reported.append(fields)


def _store() -> FakeStore:
    store = FakeStore()
    store.seed(book([business("C1")], [invoice("F-1", "C1", amount="1200.00")]))
    return store


def _notice(amount: str = "1200.00", event_id: str = "evt-1", currency: str = "EUR", kind: str = "payment",
            invoice_ref: str = "F-1") -> PaymentNotice:
    signed = Decimal(amount) if kind == "payment" else -Decimal(amount)
    return PaymentNotice(provider="generic", event_id=event_id, invoice_ref=invoice_ref, amount=signed,
                         currency=currency, paid_on=date(2026, 11, 20), kind=kind, raw_type=f"generic.{kind}")


def test_a_payment_is_applied_and_reported_once_as_collected():
    store, platform = _store(), Platform()

    first = receive_payment(_notice(), store=store, reporter=lambda: platform)
    again = receive_payment(_notice(), store=store, reporter=lambda: platform)

    assert (first.outcome, first.report) == ("paid", "sent")
    assert (again.outcome, again.report) == ("duplicate", "none")
    assert platform.reported == [{"message_id": "relance-generic-evt-1", "invoice_id": "F-1",
                                  "on": date(2026, 11, 20), "amount": Decimal("1200.00"), "currency": "EUR"}]


def test_a_failing_platform_leaves_the_payment_applied_and_says_why():
    store = _store()

    received = receive_payment(_notice("200.00"), store=store, reporter=lambda: Platform(fail=True))

    assert (received.outcome, received.report, received.report_error) == ("partial", "failed", "platform answered 503")
    assert store.invoice("F-1")[0].amount_due == Decimal("1000.00")


def test_the_platform_is_not_even_built_for_what_it_is_not_told():
    asked = []

    def reporter():
        asked.append(1)
        return Platform()

    store = _store()
    outcomes = [receive_payment(n, store=store, reporter=reporter).outcome
                for n in (_notice(invoice_ref="F-404", event_id="e1"), _notice(currency="USD", event_id="e2"),
                          _notice("50.00", kind="refund", event_id="e3"))]

    assert outcomes[:2] == ["unmatched", "review"]
    assert receive_payment(_notice(currency="USD", event_id="e2"), store=store, reporter=reporter).kept_for_review \
        is False  # the same event again is a duplicate, not a second review
    assert asked == []


def test_no_platform_configured_means_nothing_reported():
    received = receive_payment(_notice(), store=_store(), reporter=lambda: None)

    assert (received.outcome, received.report) == ("paid", "none")
