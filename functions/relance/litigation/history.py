"""The history of a case as the dossier tells it: events read from the history records, the formal notice with its
delivery and AR, the timeline by date, and the French label of each event.

What is relance's own bookkeeping (a planned step, a parked dossier) is no fact between the parties: it never
reaches what the court reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..domain.fmt import money, shortdate
from ..domain.labels import CHANNEL_TITLES as CHANNEL_LABELS
from ..domain.labels import DELIVERED_LABELS, SENT_LABELS
from ..domain.labels import EVENT_LABELS as KIND_LABELS
from ..letters import LetterLine
from ..texts.french import NO, capitalised


@dataclass(frozen=True, slots=True)
class Event:
    day: date | None
    kind: str
    channel: str
    step: str
    provider_id: str
    tracking: str
    message_key: str
    amount: Decimal | None
    note: str
    invoices: tuple[str, ...]

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Event:
        def text(key: str) -> str:
            value = raw.get(key)
            return "" if value is None else str(value).strip()

        day = None
        if text("date"):
            try:
                day = date.fromisoformat(text("date")[:10])
            except ValueError:
                day = None
        amount = None
        if text("amount"):
            try:
                amount = Decimal(text("amount"))
            except ArithmeticError:
                amount = None
        invoice = text("invoice")
        note = "" if text("note") in MACHINE_NOTES else text("note")
        channel = text("channel")
        if text("kind") == "reply_received":  # the debtor's own words, as received: who wrote, how it starts
            channel, note = "email", reply_note(text("sender"), text("first_lines"), automatic=bool(text("automatic")))
        return cls(day, text("kind"), channel, text("step"), text("provider_id"),
                   text("tracking_number"), text("message_key") or text("reply"), amount,
                   note or said(text("reason")), (invoice,) if invoice else ())


def reply_note(sender: str, first_lines: str, *, automatic: bool) -> str:
    """A reply in the chronology: its sender and its first lines, quoted; an automatic one said to be so."""
    who = f"de {sender}" if sender else "d’un expéditeur inconnu"
    words = " / ".join(line.strip() for line in first_lines.splitlines() if line.strip())
    head = f"Réponse automatique {who}" if automatic else f"Message {who}"
    return f"{head} : « {words} »" if words else head


# What relance's retries once wrote as a note, in English, before ``recorded_after`` (domain.terms.RecordedAfter)
# said it: how relance learnt of a sending, not a fact the court reads. Histories recorded then still hold them.
MACHINE_NOTES = frozenset({"already posted (retry)", "confirmed by SES after a lost answer"})


def said(reason: str) -> str:
    """A reason a person wrote (a dispute's) is a fact; an internal code (``notice_deadline_pending``) is not."""
    return "" if CODE.fullmatch(reason) else reason


CODE = re.compile(r"[a-z0-9_, ]*_[a-z0-9_, ]*")


# Internal steps of relance's own work, not facts between the parties: never in what the court reads.
INTERNAL_KINDS = ("action_planned", "litigation_parked", "litigation_refused", "not_eligible", "action_cancelled",
                  "approval_requested", "reply_reviewed")


def events_of(chronology: Iterable[dict[str, Any]]) -> list[Event]:
    return [Event.of(raw) for raw in chronology]


@dataclass(frozen=True, slots=True)
class Notice:
    sent: date
    tracking: str
    received: date | None
    ar_signed: date | None
    returned: date | None


def formal_notice(events: Sequence[Event]) -> Notice | None:
    """The latest registered letter sent, with its delivery, AR and return as the postal provider reported them."""
    sent = [e for e in events if e.kind == "sent" and e.channel == "registered_letter" and e.day is not None]
    if not sent:
        return None
    notice = max(sent, key=lambda e: e.day or date.min)
    assert notice.day is not None

    def follows(e: Event) -> bool:
        if e.day is None or e.day < notice.day:
            return False
        if notice.provider_id and e.provider_id:
            return e.provider_id == notice.provider_id
        if notice.tracking and e.tracking:
            return e.tracking == notice.tracking
        return e.channel in ("registered_letter", "")

    after = [e for e in events if follows(e)]
    signed = min((e.day for e in after if e.kind == "ar_signed" and e.day), default=None)
    delivered = min((e.day for e in after if e.kind == "delivered" and e.day), default=None)
    returned = min((e.day for e in after if e.kind == "returned" and e.day), default=None)
    tracking = notice.tracking or next((e.tracking for e in after if e.tracking), "")
    return Notice(notice.day, tracking, delivered or signed, signed, returned)


# The labels are said once, in domain/labels.py.
PAYMENT_KINDS = ("payment", "payment_received", "partial_payment", "payment_unmatched", "refund")
CALL_KINDS = ("call_task", "call", "call_done", "call_made")
CALLS_MADE = ("call", "call_done", "call_made", "call_no_answer")


def label(e: Event) -> str:
    invoice = ", ".join(e.invoices)
    if e.kind == "invoice_issued":
        return f"Facture {NO}{invoice} émise : {money(e.amount or 0)} TTC"
    if e.kind == "invoice_due":
        return f"Échéance de la facture {NO}{invoice} ; reste dû : {money(e.amount or 0)}"
    if e.kind == "sent":
        label = SENT_LABELS.get(e.channel, "Relance envoyée")
    elif e.kind == "delivered":
        label = DELIVERED_LABELS.get(e.channel, "Envoi distribué")
    elif e.kind in KIND_LABELS:
        label = KIND_LABELS[e.kind]
    elif e.kind.startswith("postal_"):
        label = f"Suivi postal : {e.kind.removeprefix('postal_').replace('_', ' ')}"
    else:
        label = capitalised(e.kind.replace("_", " ")) or "Événement"
    if e.amount is not None and (e.kind in PAYMENT_KINDS or e.kind == "credit_note"):
        label += f" : {money(e.amount)}"
    return label


def event_text(e: Event) -> str:
    return f"{label(e)}\n{e.note}" if e.note else label(e)


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel.replace("_", " ")) if channel else "—"


def references(e: Event, several_invoices: bool) -> str:
    lines = []
    if several_invoices and e.invoices:
        lines.append(f"Facture{'s' if len(e.invoices) > 1 else ''} : {', '.join(e.invoices)}")
    if e.tracking:  # La Poste's number, printed on the AR: the one reference the court can check
        lines.append(f"N° de suivi : {e.tracking}")
    return "\n".join(lines) or "—"


# Within one day, the order things happen in (sent, then delivered, then the AR); others keep the history's order.
SAME_DAY_ORDER = {"invoice_issued": 0, "invoice_due": 1, "action_planned": 2, "approved": 2, "approval_timeout": 2,
                  "sent": 3, "delivered": 5, "ar_signed": 6, "returned": 6}


def timeline(invoices: Sequence[LetterLine], events: Sequence[Event]) -> list[Event]:
    """The history by date, each invoice's issue and due date included.

    One message about several invoices is one event per invoice in the history: shown once, with its
    invoices. A planned action shows only when nothing records it as carried out.
    """
    several = len(invoices) > 1
    synthetic = []
    for line in invoices:
        synthetic.append(Event(line.issue_date, "invoice_issued", "", "", "", "", "", line.amount, "",
                                (line.invoice,)))
        synthetic.append(Event(line.due_date, "invoice_due", "", "", "", "", "", line.amount_due, "",
                                (line.invoice,)))
    merged: dict[tuple[Any, ...], Event] = {}
    for e in (*synthetic, *events):
        if e.kind in INTERNAL_KINDS:
            continue
        key = (e.day, e.kind, e.channel, e.step, e.provider_id, e.tracking, e.message_key, e.amount, e.note)
        if e.kind.startswith("invoice_") or not several:
            key = (*key, e.invoices)
        if key in merged:
            before = merged[key]
            invoices = tuple(dict.fromkeys((*before.invoices, *e.invoices)))
            merged[key] = Event(before.day, before.kind, before.channel, before.step, before.provider_id,
                                 before.tracking, before.message_key, before.amount, before.note, invoices)
        else:
            merged[key] = e
    return sorted(merged.values(), key=lambda e: (e.day is None, e.day or date.min, SAME_DAY_ORDER.get(e.kind, 4)))


def day_text(day: date | None) -> str:
    return shortdate(day) if day else "—"
