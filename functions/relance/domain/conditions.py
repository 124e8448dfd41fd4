"""What a condition (``when``) looks at, and how a compiled one compares: the evaluation side.

A compiled condition is a :data:`Predicate` over the :class:`Facts` of one invoice on one run date.
``relance.rules.conditions`` reads a rule editor's mapping into such predicates and explains its mistakes;
nothing here reads rule files.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from .model import Customer, Invoice


@dataclass(frozen=True, slots=True)
class CustomerStats:
    open_balance: Decimal
    overdue_invoices: int


class Facts:
    """What a condition can look at for one invoice on one run date."""

    __slots__ = ("customer", "invoice", "on", "stats")

    def __init__(self, invoice: Invoice, customer: Customer, on: date, stats: CustomerStats) -> None:
        self.invoice = invoice
        self.customer = customer
        self.on = on
        self.stats = stats


Predicate = Callable[[Facts], bool]
Getter = Callable[[Facts], Any]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

# Field types drive how a rule's value is read: "300" is a number for an amount, a date for a date.
DECIMAL, INT, DATE, TEXT, LIST = "nombre", "nombre entier", "date", "texte", "liste"


def _seniority(f: Facts) -> Any:
    since = f.customer.since
    if since is None:
        return MISSING
    years = f.on.year - since.year - ((f.on.month, f.on.day) < (since.month, since.day))
    return max(years, 0)


# A plain attribute is read with operator.attrgetter (C, no Python frame: the planner reads fields for every invoice).
FIELDS: dict[str, tuple[str, Getter]] = {
    "invoice.id": (TEXT, attrgetter("invoice.id")),
    "invoice.amount": (DECIMAL, attrgetter("invoice.amount")),
    "invoice.amount_due": (DECIMAL, attrgetter("invoice.amount_due")),
    "invoice.currency": (TEXT, attrgetter("invoice.currency")),
    "invoice.status": (TEXT, attrgetter("invoice.status")),
    "invoice.issue_date": (DATE, attrgetter("invoice.issue_date")),
    "invoice.due_date": (DATE, attrgetter("invoice.due_date")),
    "invoice.days_overdue": (INT, lambda f: (f.on - f.invoice.due_date).days),
    "invoice.age_days": (INT, lambda f: (f.on - f.invoice.issue_date).days),
    "customer.id": (TEXT, attrgetter("customer.id")),
    "customer.name": (TEXT, attrgetter("customer.name")),
    "customer.kind": (TEXT, attrgetter("customer.kind")),
    "customer.tags": (LIST, attrgetter("customer.tags")),
    "customer.language": (TEXT, attrgetter("customer.language")),
    "customer.country": (TEXT, attrgetter("customer.address.country")),
    "customer.account_manager": (TEXT, attrgetter("customer.account_manager")),
    "customer.open_balance": (DECIMAL, attrgetter("stats.open_balance")),
    "customer.overdue_invoices": (INT, attrgetter("stats.overdue_invoices")),
    "customer.seniority_years": (INT, _seniority),
}
EXTRA_PREFIXES = ("invoice.extra.", "customer.extra.")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # always fullmatch: "$" would let a final "\n" in


# The mappings extra columns come as: recognised without the ABC check, which the planner would pay per invoice.
_PLAIN_MAPPINGS = (MappingProxyType, dict)


def extra_getter(root: str, keys: tuple[str, ...]) -> Getter:
    if len(keys) == 1 and root == "invoice":  # invoice.extra.NAME, the common case: read for every invoice
        (name,) = keys

        def get_one(f: Facts) -> Any:
            extra: Any = f.invoice.extra
            if (type(extra) not in _PLAIN_MAPPINGS and not isinstance(extra, Mapping)) or name not in extra:
                return MISSING
            value = extra[name]
            return MISSING if value is None else value

        return get_one

    def get(f: Facts) -> Any:
        value: Any = (f.invoice if root == "invoice" else f.customer).extra
        for key in keys:
            if (type(value) not in _PLAIN_MAPPINGS and not isinstance(value, Mapping)) or key not in value:
                return MISSING
            value = value[key]
        return MISSING if value is None else value

    return get


def field_of(path: str) -> tuple[str | None, Getter] | None:
    """(type, getter) of a field path, ``None`` when unknown. Extra fields have no fixed type."""
    if path in FIELDS:
        return FIELDS[path]
    for prefix in EXTRA_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            keys = tuple(path[len(prefix):].split("."))
            if all(keys):
                return None, extra_getter(prefix.split(".")[0], keys)
    return None


def present(value: Any) -> bool:
    return value is not MISSING and value != "" and value != ()


def parse_iso_date(text: str) -> date | None:
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def loose_equal(actual: Any, expected: Any) -> bool:
    """Equality for free columns: '300' equals 300, '2026-01-05' equals that date, 'Oui' is text."""
    if actual is MISSING:
        return False
    if isinstance(actual, bool) or isinstance(expected, bool):
        return str(actual).lower() == str(expected).lower()
    if actual == expected:
        return True
    a, b = as_number(actual), as_number(expected)
    if a is not None and b is not None:
        return a == b
    return str(actual) == str(expected)


def as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def loose_compare(op: Callable[[Any, Any], bool], actual: Any, expected: Any) -> bool:
    if actual is MISSING:
        return op is operator.ne
    a, b = as_number(actual), as_number(expected)
    if a is not None and b is not None:
        return op(a, b)
    if isinstance(expected, str) and (d := parse_iso_date(expected)) is not None:
        got = actual if isinstance(actual, date) else parse_iso_date(str(actual))
        return got is not None and op(got, d)
    return op(str(actual), str(expected))


def all_of(preds: list[Predicate]) -> Predicate:
    if len(preds) == 2:
        first, second = preds
        return lambda f: first(f) and second(f)
    preds_t = tuple(preds)

    def every(f: Facts) -> bool:
        for p in preds_t:  # noqa: SIM110 — a plain loop; a generator costs more on the hot path
            if not p(f):
                return False
        return True

    return every


def any_of(preds: list[Predicate]) -> Predicate:
    if len(preds) == 2:
        first, second = preds
        return lambda f: first(f) or second(f)
    preds_t = tuple(preds)

    def some(f: Facts) -> bool:
        for p in preds_t:  # noqa: SIM110 — a plain loop; a generator costs more on the hot path
            if p(f):
                return True
        return False

    return some
