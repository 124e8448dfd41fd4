"""Customers, invoices and their history, as frozen values.

Money is ``Decimal`` everywhere; dates are ``date`` objects in the company's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

CustomerKind = Literal["business", "consumer"]
ACTIVITIES = ("commerciale", "artisanale", "liberale", "agricole")  # an EI's activity: which court hears it (§5)
INVOICE_STATUSES = ("open", "paid", "cancelled", "disputed", "litigation")

_EMPTY: MappingProxyType[str, Any] = MappingProxyType({})


def activity_key(text: str) -> str | None:
    """« Libérale », « liberale », « ARTISANALE » → the ``ACTIVITIES`` word; ``None`` when it is none of them."""
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFKD", text.strip().lower()) if not unicodedata.combining(c))
    return plain if plain in ACTIVITIES else None


@dataclass(frozen=True, slots=True)
class Address:
    line1: str = ""
    line2: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "FR"


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    kind: CustomerKind
    email: str = ""
    phone: str = ""
    tags: tuple[str, ...] = ()
    language: str = "fr"
    siren: str = ""
    since: date | None = None
    address: Address = field(default_factory=Address)
    account_manager: str = ""
    extra: MappingProxyType[str, Any] = field(default_factory=lambda: _EMPTY)
    legal_form: str = ""  # SARL, SAS, SCI, association, EI…: with ``activity``, the court's type (SPEC §5)
    activity: str = ""  # an EI's: one of ACTIVITIES, or "" when unknown

    @property
    def country(self) -> str:
        return self.address.country


@dataclass(frozen=True, slots=True)
class Payment:
    date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One event of an invoice's dunning history: for the planner, a step that was carried out."""

    step: str
    date: date
    channel: str = ""
    delivered_on: date | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    id: str
    customer_id: str
    issue_date: date
    due_date: date
    amount: Decimal
    amount_due: Decimal
    currency: str = "EUR"
    status: str = "open"
    paid_on: date | None = None
    promise_to_pay_until: date | None = None
    completed_on: date | None = None
    payments: tuple[Payment, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    extra: MappingProxyType[str, Any] = field(default_factory=lambda: _EMPTY)

    @property
    def work_completed_on(self) -> date:
        """End of the works or service; the consumer prescription runs from it (SPEC §3, §5)."""
        return self.completed_on or self.issue_date

    def is_settled_on(self, day: date) -> bool:
        """Paid, cancelled, nothing left to pay, or paid on or before ``day`` (SPEC §2, rule 1)."""
        return (
            self.status in ("paid", "cancelled")
            or self.amount_due <= 0
            or (self.paid_on is not None and self.paid_on <= day)
        )


@dataclass(frozen=True, slots=True)
class Book:
    """The customers and invoices one planning run looks at."""

    customers: MappingProxyType[str, Customer]
    invoices: tuple[Invoice, ...]
