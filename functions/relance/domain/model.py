"""Customers, invoices and their history, as frozen values.

Money is ``Decimal`` everywhere; dates are ``date`` objects in the company's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from .bounds import amount_problem, date_problem

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .approval import ApprovalState
    from .contact import SentMessage

CustomerKind = Literal["business", "consumer"]
ACTIVITIES = ("commerciale", "artisanale", "liberale", "agricole")  # an EI's activity: which court hears it (§5)
INVOICE_STATUSES = ("open", "paid", "cancelled", "disputed", "litigation")

_EMPTY: MappingProxyType[str, Any] = MappingProxyType({})
_NO_CONTACTS: MappingProxyType[str, Any] = MappingProxyType({})


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
    tone: str | None = None  # the tone it went out with (SPEC §2.8); None: that of the step in the scenario


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
    # The accounting export's own remaining figure, when the invoice came from one: amount_due is then
    # min(booked_due, amount − payments recorded), so a payment both sides saw counts once (domain.reconcile).
    booked_due: Decimal | None = None
    # The debtor wrote back (app.replies): reminders wait until this day while a person reads the reply …
    reply_paused_until: date | None = None
    # … and, while the id of a reply about this invoice is here, unreviewed, no dossier is built for it.
    reply_pending: str = ""
    # The approval its current step awaits or received (``approval: required`` on a step; domain.approval).
    approval: ApprovalState | None = None

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


HELD_PAID, HELD_CANCELLED, HELD_LITIGATION, HELD_DISPUTED, HELD_PROMISE, HELD_REPLY = (
    "paid", "cancelled", "litigation", "disputed", "promise to pay", "reply")


def why_held(invoice: Invoice, day: date) -> str | None:
    """Why no reminder may go out for ``invoice`` on ``day``, whatever the rules say — settled (``paid``,
    ``cancelled``: SPEC §2 rule 1), in ``litigation``, ``disputed``, under a ``promise to pay``, paused by the
    debtor's ``reply`` (``replies.pause_days``) — or ``None``.
    The planner skips on it, and the channels re-check it before they send."""
    if invoice.is_settled_on(day):
        return HELD_CANCELLED if invoice.status == "cancelled" else HELD_PAID
    if invoice.status == "litigation":
        return HELD_LITIGATION
    if invoice.status == "disputed":
        return HELD_DISPUTED
    if invoice.promise_to_pay_until is not None and invoice.promise_to_pay_until >= day:
        return HELD_PROMISE
    if invoice.reply_paused_until is not None and invoice.reply_paused_until >= day:
        return HELD_REPLY
    return None


def on_statement(invoice: Invoice, day: date) -> bool:
    """Whether ``invoice`` is listed, for information, in its customer's statement of account on ``day``: issued
    by then, open and not settled (paid, cancelled, nothing left to pay). A disputed invoice or one in litigation
    is not a sum a reminder asks for, so it is left out."""
    return invoice.status == "open" and invoice.issue_date <= day and not invoice.is_settled_on(day)


INVALID_DATA = "invalid data"  # skipped reason: ``invalid data: <field>`` (SPEC §3)
PLANNING_ERROR = "error"  # skipped reason: ``error: <what failed>``, when no field is to blame


@dataclass(frozen=True, slots=True)
class Unusable:
    """An invoice set aside: a field out of SPEC §3's bounds, a record that cannot be read, or a computation
    that failed on it. It is listed in ``skipped`` with ``reason`` and nothing else is done with it; the
    others are planned as usual."""

    invoice: str
    customer: str
    reason: str  # "invalid data: due_date", "invalid data: payments[0].amount", "error: OverflowError"
    problem: str  # why, in French, for the person who fixes the export
    where: str = ""  # where the value was read: "data.json: invoices[3].due_date", "table item INV#F-1"

    @classmethod
    def field(cls, invoice: str, customer: str, field: str, problem: str, where: str = "") -> Unusable:
        return cls(invoice, customer, f"{INVALID_DATA}: {field}", problem, where)

    def message(self) -> str:
        """One line for a person (stderr, logs): where, why, and that the others go on."""
        place = f"{self.where} : " if self.where else ""
        return (f"{place}{self.problem} — facture {self.invoice} mise de côté ({self.reason}) ; "
                "les autres factures sont traitées")


def invoice_problems(invoice: Invoice) -> list[tuple[str, str]]:
    """(field, French reason) of every date or amount of ``invoice`` outside SPEC §3's bounds."""
    found: list[tuple[str, str]] = []

    def day(field: str, value: date | None) -> None:
        problem = date_problem(value) if value is not None else None
        if problem:
            found.append((field, problem))

    def amount(field: str, value: Decimal) -> None:
        problem = amount_problem(value)
        if problem:
            found.append((field, problem))

    day("issue_date", invoice.issue_date)
    day("due_date", invoice.due_date)
    amount("amount", invoice.amount)
    amount("amount_due", invoice.amount_due)
    day("paid_on", invoice.paid_on)
    day("promise_to_pay_until", invoice.promise_to_pay_until)
    day("completed_on", invoice.completed_on)
    day("reply_paused_until", invoice.reply_paused_until)
    for i, payment in enumerate(invoice.payments):
        day(f"payments[{i}].date", payment.date)
        amount(f"payments[{i}].amount", payment.amount)
    for i, entry in enumerate(invoice.history):
        day(f"history[{i}].date", entry.date)
        day(f"history[{i}].delivered_on", entry.delivered_on)
    return found


def customer_problems(customer: Customer) -> list[tuple[str, str]]:
    """(field, French reason) of the customer's dates outside SPEC §3's bounds; its invoices are set aside."""
    problem = date_problem(customer.since) if customer.since is not None else None
    return [("customer.since", problem)] if problem else []


@dataclass(frozen=True, slots=True)
class Action:
    """One step to carry out for one invoice: the planner's answer (``domain.planner``), which an evaluation
    run records as a ``ports.ActionRecord`` (this action, when, where, under which rules)."""

    invoice: str
    customer: str
    segment: str
    scenario: str
    step: str
    channel: str
    tone: str | None

    def fields(self) -> dict[str, str | None]:
        """The action's own fields by name (an ActionRecord's too: only those of the action)."""
        return {name: getattr(self, name) for name in ACTION_FIELDS}


ACTION_FIELDS = tuple(f.name for f in fields(Action))


@dataclass(frozen=True, slots=True)
class Book:
    """The customers and invoices one planning run looks at, and the invoices set aside (never planned)."""

    customers: MappingProxyType[str, Customer]
    invoices: tuple[Invoice, ...]
    unusable: tuple[Unusable, ...] = ()
    # Messages each customer received that its invoices here do not show (the store's contact log: the history
    # of invoices settled since), by customer id: the contact policy's window counts them too (SPEC §2.8).
    contacts: Mapping[str, tuple[SentMessage, ...]] = field(default_factory=lambda: _NO_CONTACTS)
