"""One payment for several invoices (a portal checkout of « all or chosen invoices »): read from Stripe's event,
then applied to each invoice in the order named — exact amounts exactly, an odd amount never lost."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from relance.app.allocation import overall, split_payment
from relance.payments.webhooks import MalformedPayload, stripe_notice

from ..support.books import book, business, invoice
from ..support.fake_store import FakeStore

EVENT = json.loads((Path(__file__).parents[1] / "events" / "stripe_checkout_session_completed.json").read_text())
ON = date(2026, 11, 20)


def checkout_event(ids: str, amount_total: int, amounts: str | None = None) -> dict:
    doc = copy.deepcopy(EVENT)
    obj = doc["data"]["object"]
    obj["metadata"] = {"invoice_ids": ids, **({"invoice_amounts": amounts} if amounts is not None else {})}
    obj["client_reference_id"] = None
    obj["amount_total"] = amount_total
    return doc


@pytest.fixture
def store() -> FakeStore:
    s = FakeStore()
    s.seed(book([business()], [invoice("F1", amount="1200.00", due="2026-10-01"),
                               invoice("F2", amount="300.50", due="2026-11-04"),
                               invoice("F3", amount="96.00", due="2026-11-10")]))
    return s


def split(store, amount: str, ids=("F1", "F2"), event_id="evt_1", shares=(Decimal("1200.00"), Decimal("300.50"))):
    return split_payment(store, provider="stripe", event_id=event_id, invoice_ids=ids, amount=Decimal(amount),
                         currency="EUR", on=ON, shares=shares, details={"event_type": "checkout.session.completed"})


def due(store, invoice_id: str) -> Decimal:
    return store.invoice(invoice_id)[0].amount_due


def test_a_session_for_two_invoices_names_both_in_order_with_their_amounts_and_no_single_reference():
    notice = stripe_notice(checkout_event("F1, F2", 150050, "1200.00,300.50"), tz=ZoneInfo("Europe/Paris"))

    assert notice.invoice_refs == ("F1", "F2") and notice.invoice_ref == ""
    assert notice.invoice_amounts == (Decimal("1200.00"), Decimal("300.50"))
    assert notice.amount == Decimal("1500.50")


@pytest.mark.parametrize("amounts", [None, "1200.00", "12,00,3", "1200.00,x"])
def test_without_one_well_formed_amount_per_invoice_the_split_follows_what_each_owes(amounts):
    notice = stripe_notice(checkout_event("F1,F2", 150050, amounts), tz=ZoneInfo("Europe/Paris"))
    assert (notice.invoice_refs, notice.invoice_amounts) == (("F1", "F2"), ())


def test_a_session_for_one_invoice_still_names_it_as_before():
    notice = stripe_notice(checkout_event("F2", 30050), tz=ZoneInfo("Europe/Paris"))
    assert (notice.invoice_ref, notice.invoice_refs) == ("F2", ())


@pytest.mark.parametrize("ids", [",".join(f"F{n}" for n in range(101)), "F1,F2,F1"])
def test_too_many_ids_or_one_twice_is_malformed(ids):
    with pytest.raises(MalformedPayload):
        stripe_notice(checkout_event(ids, 100), tz=ZoneInfo("Europe/Paris"))


def test_the_exact_total_pays_each_invoice_exactly(store):
    parts = split(store, "1500.50")

    assert [(p.invoice_id, p.amount, p.outcome) for p in parts] == [
        ("F1", Decimal("1200.00"), "paid"), ("F2", Decimal("300.50"), "paid")]
    assert overall(parts) == "paid"
    assert (due(store, "F1"), due(store, "F2"), due(store, "F3")) == (0, 0, Decimal("96.00"))


def test_the_same_event_again_counts_nothing_twice(store):
    split(store, "1500.50")
    again = split(store, "1500.50")

    assert overall(again) == "duplicate"
    assert len(store.invoice("F1")[0].payments) == len(store.invoice("F2")[0].payments) == 1


def test_less_than_the_total_settles_the_first_named_first_and_the_rest_partly(store):
    # 1 300,00 € for F1 (1 200,00) and F2 (300,50): F1 paid, F2 gets the 100,00 left, 200,50 still due.
    parts = split(store, "1300.00")

    assert [(p.invoice_id, p.amount, p.outcome) for p in parts] == [
        ("F1", Decimal("1200.00"), "paid"), ("F2", Decimal("100.00"), "partial")]
    assert overall(parts) == "partial" and due(store, "F2") == Decimal("200.50")


def test_more_than_the_lines_asked_is_kept_for_review_never_pushed_onto_an_invoice(store):
    parts = split(store, "1600.50")

    assert [(p.invoice_id, p.amount, p.outcome) for p in parts] == [
        ("F1", Decimal("1200.00"), "paid"), ("F2", Decimal("300.50"), "paid"), ("", Decimal("100.00"), "unmatched")]
    assert overall(parts) == "partial"
    (kept,) = store.review_payments()
    assert (kept["amount"], kept["reason"], kept["event_id"]) == ("100.00", "unmatched", "evt_1#rest")
    assert due(store, "F3") == Decimal("96.00")  # not named: untouched


def test_an_invoice_paid_meanwhile_still_receives_its_line_and_is_flagged_overpaid(store):
    store.apply_payment(provider="manual", event_id="vir", invoice_id="F2", amount=Decimal("300.50"),
                        currency="EUR", on=ON)
    parts = split(store, "1500.50")

    assert [(p.invoice_id, p.amount) for p in parts] == [("F1", Decimal("1200.00")), ("F2", Decimal("300.50"))]
    assert parts[1].outcome not in ("paid", "partial")  # the store's own word for money beyond what was due
    assert overall(parts) == "partial"


def test_without_line_amounts_each_gets_what_it_owes_when_the_money_arrives(store):
    store.apply_payment(provider="manual", event_id="acompte", invoice_id="F1", amount=Decimal("200.00"),
                        currency="EUR", on=ON)
    parts = split(store, "1500.50", shares=())

    assert [(p.invoice_id, p.amount) for p in parts] == [
        ("F1", Decimal("1000.00")), ("F2", Decimal("300.50")), ("", Decimal("200.00"))]


def test_an_unknown_invoice_among_them_gets_nothing_and_its_share_goes_to_the_rest(store):
    parts = split(store, "1296.00", ids=("F-GONE", "F1", "F3"),
                  shares=(Decimal("50.00"), Decimal("1200.00"), Decimal("96.00")))

    assert [(p.invoice_id, p.amount) for p in parts] == [("F1", Decimal("1200.00")), ("F3", Decimal("96.00"))]
    assert overall(parts) == "paid"
