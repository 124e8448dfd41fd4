"""The precedence of relance's record over an accounting export (domain.reconcile), and payments on top."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from relance.domain.model import Invoice, Payment
from relance.domain.payments import apply_payment, apply_refund
from relance.domain.reconcile import merge_export

D = Decimal
PAID_ON = date(2026, 11, 2)


def row(due: str = "1200", status: str = "open", amount: str = "1200") -> Invoice:
    return Invoice(id="F-1", customer_id="C1", issue_date=date(2026, 10, 5), due_date=date(2026, 11, 4),
                   amount=D(amount), amount_due=D(due), status=status)


def recorded(due: str, status: str = "open", payments: tuple[str, ...] = (), booked: str | None = "1200") -> Invoice:
    return replace(row(due, status), payments=tuple(Payment(PAID_ON, D(p)) for p in payments),
                   booked_due=D(booked) if booked is not None else None)


def test_a_new_invoice_takes_the_export_as_it_is():
    merged = merge_export(row("700"), None)
    assert merged.invoice.amount_due == 700 and merged.booked_due == 700 and merged.disagreements == ()


def test_a_stale_export_never_raises_what_payments_left():
    merged = merge_export(row("1200"), recorded("700", payments=("500",)))
    assert merged.invoice.amount_due == 700 and merged.booked_due == 1200
    (note,) = merged.disagreements
    assert (note.field, note.export, note.relance) == ("amount_due", "1200", "700")


def test_an_export_that_knows_a_payment_relance_does_not_is_taken_without_a_disagreement():
    merged = merge_export(row("900"), recorded("1200", booked="1200"))  # a cheque the export booked
    assert merged.invoice.amount_due == 900 and merged.disagreements == ()


def test_a_paid_invoice_is_never_reopened_by_an_export():
    merged = merge_export(row("1200"), recorded("0", status="paid", payments=("1200",)))
    assert merged.kept_settled and merged.invoice.status == "paid" and merged.invoice.amount_due == 0
    assert [n.field for n in merged.disagreements] == ["status"]


def test_people_s_dispute_is_kept_and_an_export_that_settles_it_is_reported():
    kept = merge_export(row("1200"), recorded("1200", status="disputed"))
    assert kept.invoice.status == "disputed" and kept.disagreements == ()
    settled = merge_export(row("0", status="paid"), recorded("1200", status="litigation"))
    assert settled.invoice.status == "paid" and [n.field for n in settled.disagreements] == ["status"]


def test_payments_covering_a_stale_figure_mark_it_paid():
    merged = merge_export(row("1200"), recorded("1200", payments=("1200",), booked=None))
    assert merged.invoice.status == "paid" and merged.invoice.amount_due == 0
    assert merged.invoice.paid_on == PAID_ON


def test_the_webhook_after_the_export_booked_the_payout_counts_it_once():
    invoice = merge_export(row("700"), recorded("1200")).invoice  # export booked the Stripe 500
    invoice = replace(invoice, booked_due=D("700"))
    assert apply_payment(invoice, D("500"), PAID_ON).amount_due == 700


def test_a_refund_after_a_stale_export_reopens_only_the_refund():
    stored = merge_export(row("1200"), recorded("0", status="paid", payments=("1200",))).invoice
    stored = replace(stored, booked_due=D("1200"))
    effect = apply_refund(replace(stored, payments=(*stored.payments,)), D("100"))
    assert effect.amount_due == 100 and effect.status == "open"


@given(export_due=st.integers(0, 1500), paid=st.lists(st.integers(1, 800), max_size=3))
def test_what_is_owed_is_never_more_than_either_side_says(export_due, paid):
    merged = merge_export(row(str(export_due)), recorded("1200", payments=tuple(map(str, paid))))
    assert 0 <= merged.invoice.amount_due <= min(D(export_due), max(D(0), D(1200) - sum(map(D, paid))))
