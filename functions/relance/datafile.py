"""The offline data file (SPEC §3): customers and invoices as JSON, checked field by field.

Every problem names its place, e.g. ``data.json: invoices[3].due_date: '2026-02-30' is not a date``.
Amounts are read as ``Decimal`` straight from the JSON text: no float ever holds money.

A well-formed value outside SPEC §3's bounds (31/12/9999, an accounting "no due date"; 1e999999999) is
not a file error: that invoice alone is set aside (``Book.unusable``, reason ``invalid data: <field>``)
and the others are planned. A customer's date out of bounds sets its invoices aside the same way.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from .domain.approval import STATES as APPROVAL_STATES
from .domain.approval import ApprovalState
from .domain.bounds import amount_problem, date_problem
from .domain.labels import file_problem
from .domain.model import (
    ACTIVITIES,
    INVOICE_STATUSES,
    Address,
    Book,
    Customer,
    HistoryEntry,
    Invoice,
    Payment,
    Unusable,
    activity_key,
)

MAX_PROBLEMS = 50
T = TypeVar("T")


class DataError(Exception):
    """The data file cannot be used; ``problems`` lists every place that is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Bad(Exception):
    pass


class _Object(dict):
    """A JSON object that remembers keys written twice, so the reader can name where."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    out = _Object()
    twice = []
    for key, value in pairs:
        if key in out:
            twice.append(key)
        out[key] = value
    if twice:
        out.duplicates = tuple(twice)
    return out


class _Constant(str):
    """NaN or Infinity written bare in the JSON: kept as text so the field that holds it is named."""


def _integer(text: str) -> int | Decimal:
    """A JSON integer; one too long for ``int`` (over 4 300 digits) stays a Decimal, to be refused by its field."""
    try:
        return int(text)
    except ValueError:
        return Decimal(text)


def _walk_duplicates(value: Any, path: str, found: list[str]) -> None:
    if isinstance(value, _Object):
        for key in value.duplicates:
            found.append(f"{path or 'premier niveau'} : la clé '{key}' apparaît deux fois dans le même objet")
        for key, child in value.items():
            _walk_duplicates(child, f"{path}.{key}" if path else key, found)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            _walk_duplicates(child, f"{path}[{i}]", found)


def load_book(path: str | Path) -> Book:
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataError([f"{name} : impossible de lire le fichier ({file_problem(err)})"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError([f"{name} : ce fichier n’est pas du texte UTF-8 : enregistrez-le en UTF-8"]) from None
    return parse_book(text, name)


def parse_book(text: str, name: str = "data.json") -> Book:
    try:
        data = json.loads(text, parse_float=Decimal, parse_int=_integer, object_pairs_hook=_object,
                          parse_constant=_Constant)
    except json.JSONDecodeError as err:
        raise DataError([f"{name}:{err.lineno}:{err.colno}: JSON invalide ici (virgule, guillemet ou accolade "
                         "manquant ?)"]) from None
    except RecursionError:
        raise DataError([f"{name} : JSON trop profondément imbriqué"]) from None
    duplicates: list[str] = []
    try:
        _walk_duplicates(data, "", duplicates)
    except RecursionError:
        raise DataError([f"{name} : JSON trop profondément imbriqué"]) from None
    if duplicates:
        raise DataError([f"{name}: {problem}" for problem in duplicates[:MAX_PROBLEMS]])
    return _Reader(name).book(data)


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[str] = []
        self.aside: list[tuple[str, str]] = []  # (place, French reason): the current record's values out of bounds

    def fail(self, where: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{self.name}: {where}: {message}" if where else f"{self.name}: {message}")

    def book(self, data: Any) -> Book:
        if not isinstance(data, dict):
            raise DataError([f"{self.name} : un objet avec 'customers' et 'invoices' est attendu"])
        for key in data:
            if key not in ("customers", "invoices"):
                self.fail(key, "clé inconnue (seules 'customers' et 'invoices' sont possibles)")
        customers_raw = self._list(data, "customers")
        invoices_raw = self._list(data, "invoices")
        customers: dict[str, Customer] = {}
        customers_aside: dict[str, tuple[str, str, str]] = {}  # id → (field, reason, place)
        for i, raw in enumerate(customers_raw):
            customer = self._guard(f"customers[{i}]", raw, self.customer)
            if customer is None:
                continue
            if customer.id in customers:
                self.fail(f"customers[{i}].id", f"'{customer.id}' est déjà le code d’un autre client")
                continue
            customers[customer.id] = customer
            if self.aside:
                place, problem = self.aside[0]
                customers_aside[customer.id] = ("customer." + place.split(".", 1)[1], problem, place)
        invoices: dict[str, Invoice] = {}
        seen: set[str] = set()
        unusable: list[Unusable] = []
        for i, raw in enumerate(invoices_raw):
            invoice = self._guard(f"invoices[{i}]", raw, self.invoice)
            if invoice is None:
                continue
            if invoice.id in seen:
                self.fail(f"invoices[{i}].id", f"'{invoice.id}' est déjà le numéro d’une autre facture")
            elif invoice.customer_id not in customers:
                self.fail(f"invoices[{i}].customer_id",
                          f"client '{invoice.customer_id}' inconnu (absent de 'customers')")
            elif self.aside:
                place, problem = self.aside[0]
                unusable.append(Unusable.field(invoice.id, invoice.customer_id, place.split(".", 1)[1], problem,
                                               f"{self.name}: {place}"))
            elif invoice.customer_id in customers_aside:
                field, problem, place = customers_aside[invoice.customer_id]
                unusable.append(Unusable.field(invoice.id, invoice.customer_id, field, problem,
                                               f"{self.name}: {place}"))
            else:
                invoices[invoice.id] = invoice
            seen.add(invoice.id)
        if self.problems:
            raise DataError(self.problems)
        return Book(MappingProxyType(customers), tuple(invoices.values()), tuple(unusable))

    def _list(self, data: dict[str, Any], key: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.fail(key, "une liste est attendue")
            return []
        return value

    def _guard(self, where: str, raw: Any, build: Callable[[str, dict[str, Any]], T]) -> T | None:
        if not isinstance(raw, dict):
            self.fail(where, "un objet est attendu")
            return None
        before = len(self.problems)
        self.aside = []
        try:
            built = build(where, raw)
        except _Bad:
            return None
        return built if len(self.problems) == before else None

    # -- fields ----------------------------------------------------------------------------------
    def text(self, where: str, raw: dict[str, Any], key: str, *, required: bool = False, default: str = "") -> str:
        value = raw.get(key)
        if value is None:
            if required:
                self.fail(f"{where}.{key}", "champ obligatoire absent")
            return default
        if isinstance(value, (bool, _Constant)) or not isinstance(value, (str, int)):
            self.fail(f"{where}.{key}", f"{_show(value)} n’est pas un texte")
            return default
        text = str(value).strip()
        if required and not text:
            self.fail(f"{where}.{key}", "champ obligatoire, il ne peut pas être vide")
        return text

    def day(self, where: str, raw: dict[str, Any], key: str, *, required: bool = False) -> date | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.fail(f"{where}.{key}", "champ obligatoire absent")
            return None
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            day = date.fromisoformat(value)
        except ValueError:
            self.fail(f"{where}.{key}", f"{_show(value)} n’est pas une date (AAAA-MM-JJ attendu)")
            return None
        problem = date_problem(day)
        if problem:
            self.aside.append((f"{where}.{key}", problem))
        return day

    def money(self, where: str, raw: dict[str, Any], key: str, *, required: bool = False) -> Decimal | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.fail(f"{where}.{key}", "champ obligatoire absent")
            return None
        if isinstance(value, bool):
            self.fail(f"{where}.{key}", f"{_show(value)} n’est pas un montant")
            return None
        try:
            amount = None if isinstance(value, _Constant) else (
                Decimal(value) if isinstance(value, (str, int, Decimal)) else None)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            self.fail(f"{where}.{key}", f"{_show(value)} n’est pas un montant (par exemple \"1200.00\")")
            return None
        problem = amount_problem(amount)
        if problem:
            self.aside.append((f"{where}.{key}", problem))
        return amount

    def mapping(self, where: str, raw: dict[str, Any], key: str) -> MappingProxyType[str, Any]:
        value = raw.get(key)
        if value is None:
            return MappingProxyType({})
        if not isinstance(value, dict):
            self.fail(f"{where}.{key}", "un objet est attendu")
            return MappingProxyType({})
        return MappingProxyType(value)

    def unknown(self, where: str, raw: dict[str, Any], known: tuple[str, ...]) -> None:
        for key in raw:
            if key not in known:
                near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                self.fail(f"{where}.{key}", (f"champ inconnu — vouliez-vous dire « {near[0]} » ?" if near else
                                             f"champ inconnu (champs connus : {', '.join(known)} ; les colonnes "
                                             "libres vont dans 'extra')"))

    # -- records ---------------------------------------------------------------------------------
    CUSTOMER_FIELDS = ("id", "name", "kind", "email", "phone", "tags", "language", "siren", "since", "address",
                       "account_manager", "extra", "legal_form", "activity")
    INVOICE_FIELDS = ("id", "customer_id", "issue_date", "due_date", "amount", "amount_due", "currency", "status",
                      "paid_on", "promise_to_pay_until", "completed_on", "payments", "history", "extra",
                      "reply_paused_until", "approval")

    def customer(self, where: str, raw: dict[str, Any]) -> Customer:
        self.unknown(where, raw, self.CUSTOMER_FIELDS)
        kind = raw.get("kind")
        if kind not in ("business", "consumer"):
            self.fail(f"{where}.kind", f"{_show(kind)} n’est pas un type de client ('business' ou 'consumer')")
        tags = raw.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            self.fail(f"{where}.tags", "une liste de textes est attendue")
            tags = []
        address = self._address(f"{where}.address", raw.get("address"))
        return Customer(
            id=self.text(where, raw, "id", required=True),
            name=self.text(where, raw, "name", required=True),
            kind=kind if kind in ("business", "consumer") else "business",
            email=self.text(where, raw, "email"),
            phone=self.text(where, raw, "phone"),
            tags=tuple(tags),
            language=self.text(where, raw, "language", default="fr") or "fr",
            siren=self.text(where, raw, "siren"),
            since=self.day(where, raw, "since"),
            address=address,
            account_manager=self.text(where, raw, "account_manager"),
            extra=self.mapping(where, raw, "extra"),
            legal_form=self.text(where, raw, "legal_form"),
            activity=self._activity(where, raw),
        )

    def _activity(self, where: str, raw: dict[str, Any]) -> str:
        text = self.text(where, raw, "activity")
        key = activity_key(text)
        if text and key is None:
            self.fail(f"{where}.activity", f"{_show(text)} n’est pas une activité (valeurs possibles : "
                                           f"{', '.join(ACTIVITIES)})")
        return key or ""

    def _address(self, where: str, raw: Any) -> Address:
        if raw is None:
            return Address()
        if not isinstance(raw, dict):
            self.fail(where, "un objet avec line1, line2, postal_code, city, country est attendu")
            return Address()
        self.unknown(where, raw, ("line1", "line2", "postal_code", "city", "country"))
        return Address(**{k: self.text(where, raw, k) for k in ("line1", "line2", "postal_code", "city")},
                       country=self.text(where, raw, "country", default="FR") or "FR")

    def invoice(self, where: str, raw: dict[str, Any]) -> Invoice:
        self.unknown(where, raw, self.INVOICE_FIELDS)
        invoice_id = self.text(where, raw, "id", required=True)
        issue_date = self.day(where, raw, "issue_date", required=True)
        due_date = self.day(where, raw, "due_date", required=True)
        amount = self.money(where, raw, "amount", required=True)
        payments = self._records(where, raw, "payments", self._payment)
        history = self._records(where, raw, "history", self._history)
        status = raw.get("status", "open")
        if status not in INVOICE_STATUSES:
            self.fail(f"{where}.status", f"{_show(status)} n’est pas un statut (valeurs possibles : "
                                         f"{', '.join(INVOICE_STATUSES)})")
        # 01/01/0001 as a due date is a sentinel too: the invoice is set aside for its bound, not the file refused.
        if issue_date and due_date and due_date < issue_date and not self.aside:
            self.fail(f"{where}.due_date", f"échéance '{due_date}' antérieure à la date d’émission '{issue_date}'")
        amount_due = self.money(where, raw, "amount_due")
        if amount_due is None and amount is not None:
            # Out of bounds, the subtraction could overflow: the invoice is set aside anyway.
            amount_due = amount if self.aside else amount - sum((p.amount for p in payments), Decimal(0))
            problem = amount_problem(amount_due)
            if problem:
                self.aside.append((f"{where}.amount_due", f"{problem} : montant dû calculé (amount − payments)"))
        if None in (issue_date, due_date, amount, amount_due):
            raise _Bad
        return Invoice(
            id=invoice_id, customer_id=self.text(where, raw, "customer_id", required=True),
            issue_date=issue_date, due_date=due_date, amount=amount, amount_due=amount_due,  # type: ignore[arg-type]
            currency=self.text(where, raw, "currency", default="EUR") or "EUR",
            status=status if status in INVOICE_STATUSES else "open",
            paid_on=self.day(where, raw, "paid_on"),
            promise_to_pay_until=self.day(where, raw, "promise_to_pay_until"),
            completed_on=self.day(where, raw, "completed_on"),
            payments=tuple(payments), history=tuple(sorted(history, key=lambda h: h.date)),
            extra=self.mapping(where, raw, "extra"),
            reply_paused_until=self.day(where, raw, "reply_paused_until"),
            approval=self._approval(f"{where}.approval", raw.get("approval")),
        )

    def _approval(self, where: str, raw: Any) -> ApprovalState | None:
        """Where the invoice's approval stands (``domain.approval``), as ``out/historique.json`` writes it."""
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.fail(where, "un objet avec step, state, requested_on est attendu")
            return None
        self.unknown(where, raw, ("step", "state", "requested_on", "decided_on", "by", "channel", "scenario"))
        state = raw.get("state")
        if state not in APPROVAL_STATES:
            self.fail(f"{where}.state", f"{_show(state)} n’est pas un état d’approbation (valeurs possibles : "
                                        f"{', '.join(APPROVAL_STATES)})")
            return None
        step = self.text(where, raw, "step", required=True)
        requested = self.day(where, raw, "requested_on", required=True)
        if not step or requested is None:
            return None
        return ApprovalState(step, state, requested, self.day(where, raw, "decided_on"), self.text(where, raw, "by"),
                             self.text(where, raw, "channel"), self.text(where, raw, "scenario"))

    def _records(self, where: str, raw: dict[str, Any], key: str,
                 build: Callable[[str, dict[str, Any]], T | None]) -> list[T]:
        value = raw.get(key) or []
        if not isinstance(value, list):
            self.fail(f"{where}.{key}", "une liste est attendue")
            return []
        out = []
        for i, item in enumerate(value):
            here = f"{where}.{key}[{i}]"
            if not isinstance(item, dict):
                self.fail(here, "un objet est attendu")
                continue
            built = build(here, item)
            if built is not None:
                out.append(built)
        return out

    def _payment(self, where: str, raw: dict[str, Any]) -> Payment | None:
        self.unknown(where, raw, ("date", "amount"))
        day, amount = self.day(where, raw, "date", required=True), self.money(where, raw, "amount", required=True)
        return Payment(day, amount) if day and amount is not None else None

    def _history(self, where: str, raw: dict[str, Any]) -> HistoryEntry | None:
        self.unknown(where, raw, ("step", "channel", "date", "delivered_on", "tone"))
        step = self.text(where, raw, "step", required=True)
        day = self.day(where, raw, "date", required=True)
        delivered = self.day(where, raw, "delivered_on")
        tone = self.text(where, raw, "tone") or None  # SPEC §2.8: absent, the step's tone in the scenario
        return HistoryEntry(step, day, self.text(where, raw, "channel"), delivered, tone) if day and step else None


def _show(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    text = "'" + text[1:-1] + "'" if text.startswith('"') else text
    return text if len(text) <= 60 else text[:57] + "…"
