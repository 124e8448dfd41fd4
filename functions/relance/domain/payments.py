"""What a payment (or a refund) does to an invoice. Pure: the store applies the effect atomically."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .model import Invoice


@dataclass(frozen=True, slots=True)
class PaymentEffect:
    amount_due: Decimal  # what is still owed after it (never negative)
    status: str  # the invoice's status after it
    paid_on: date | None  # set when the invoice becomes fully paid
    overpaid: Decimal  # paid beyond what was due (flagged for a refund or an allocation)
    reopened: bool  # a refund made a paid invoice owed again
    outcome: str  # "partial", "paid", "overpaid", "refund", "reopened"


def apply_payment(invoice: Invoice, amount: Decimal, on: date) -> PaymentEffect:
    """A payment lowers what is owed; paying it all marks the invoice paid on ``on`` (the company's date)."""
    if amount <= 0:
        raise ValueError("a payment amount must be positive")
    remaining = _left(invoice, amount)
    if remaining > 0:
        status = invoice.status if invoice.status != "paid" else "open"
        return PaymentEffect(remaining, status, None, Decimal(0), False, "partial")
    overpaid = -remaining
    return PaymentEffect(Decimal(0), "paid", invoice.paid_on or on, overpaid, False,
                         "overpaid" if overpaid > 0 else "paid")


def apply_refund(invoice: Invoice, amount: Decimal) -> PaymentEffect:
    """A refund makes the refunded part owed again; a paid invoice reopens (its reminders resume)."""
    if amount <= 0:
        raise ValueError("a refund amount must be positive")
    due = min(invoice.amount, max(Decimal(0), _left(invoice, -amount)))
    reopened = invoice.status == "paid" and due > 0
    status = "open" if reopened else invoice.status
    return PaymentEffect(due, status, None if reopened else invoice.paid_on, Decimal(0), reopened,
                         "reopened" if reopened else "refund")


PAYMENT_CURRENCY = "EUR"


def currency_problem(invoice_currency: str, payment_currency: str) -> str | None:
    """Why a payment reported by a provider cannot be applied to the invoice at face value, or None.

    ``"currency_mismatch"``: ¥1 200 are not 1 200 €, and relance converts nothing. ``"currency_not_euro"``:
    relance's figures (the claim, the dashboard) are in euros, so a payment is only applied in euros.
    Either way the payment is kept for a person to review, and marks nothing paid."""
    if payment_currency.upper() != invoice_currency.upper():
        return "currency_mismatch"
    if payment_currency.upper() != PAYMENT_CURRENCY:
        return "currency_not_euro"
    return None
def _left(invoice: Invoice, paid: Decimal) -> Decimal:
    """What is owed once ``paid`` more comes in (negative: overpaid), recomputed rather than decremented.

    An invoice from an accounting export owes min(the export's figure, amount − every payment relance
    recorded): the export may already have booked this very payment, which must not count twice.
    """
    if invoice.booked_due is None:
        return invoice.amount_due - paid
    net = sum((p.amount for p in invoice.payments), paid)
    return min(invoice.booked_due, invoice.amount - net) if invoice.amount - net > 0 else invoice.amount - net
