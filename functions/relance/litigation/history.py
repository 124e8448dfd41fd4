"""The history of a case as the dossier tells it: events read from the history records, the formal notice with its
delivery and AR, the timeline by date, and the French label of each event.

What is relance's own bookkeeping (a planned step, a parked dossier) is no fact between the parties: it never
reaches what the court reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
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
    # A payment plan's agreement (``plan_agreed``): its installments, who agreed it, through which portal link;
    # the installment an event of the plan is about (``installment``, 1-based), when it is one.
    plan: tuple[tuple[date, Decimal], ...] = ()
    by: str = ""
    link_id: str = ""
    installment: int | None = None

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
        by = text("by")
        channel = "portal" if text("kind") == PLAN_AGREED and by.startswith("portal") else text("channel")
        note = "" if text("note") in MACHINE_NOTES else text("note")
        if text("kind") == "reply_received":  # the debtor's own words, as received: who wrote, how it starts
            channel, note = "email", reply_note(text("sender"), text("first_lines"), automatic=bool(text("automatic")))
        return cls(day, text("kind"), channel, text("step"), text("provider_id"),
                   text("tracking_number"), text("message_key") or text("reply"), amount,
                   note or said(text("reason")),
                   (invoice,) if invoice else (), plan=_installments(raw.get("plan")), by=by,
                   link_id=text("link_id") or (text("who") if text("by").startswith("portal") else ""),
                   installment=plan_installment(text("step")))


def _installments(plan: Any) -> tuple[tuple[date, Decimal], ...]:
    """The installments of a ``plan_agreed`` event's plan (``{"agreed_on", "installments": [{"due_date",
    "amount"}]}``, as a mapping or its JSON); none when it cannot be read — the event is still told."""
    if isinstance(plan, str):
        try:
            plan = json.loads(plan)
        except ValueError:
            return ()
    rows = plan.get("installments") if isinstance(plan, Mapping) else None
    if not isinstance(rows, list):
        return ()
    out = []
    for row in rows:
        try:
            out.append((date.fromisoformat(str(row["due_date"])[:10]), Decimal(str(row["amount"]))))
        except (KeyError, TypeError, ValueError, InvalidOperation):
            return ()
    return tuple(out)


# A payment plan's own steps (SPEC §2.9): the reminder of installment k, its default notice, the plan broken.
PLAN_AGREED = "plan_agreed"
PLAN_BROKEN = "plan_broken"
_PLAN_STEP = re.compile(r"(?:installment|plan_default)_(\d{1,3})")
# Told from the payments against the plan, not stored: the chronology adds them (like an invoice's due date).
INSTALLMENT_PAID = "installment_paid"
INSTALLMENT_MISSED = "installment_missed"


def plan_installment(step: str) -> int | None:
    found = _PLAN_STEP.fullmatch(step)
    return int(found.group(1)) if found else None


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
                  "approval_requested", "plan_agreement_kept", "reply_reviewed")


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
    """The latest registered letter sent, with its delivery, AR and return as the postal provider reported them.

    A payment plan's default notice (``plan_default_<k>``) is not it: it demands one installment, not the debt."""
    sent = [e for e in events if e.kind == "sent" and e.channel == "registered_letter" and e.day is not None
            and not e.step.startswith("plan_default_")]
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


def plan_label(e: Event) -> str | None:
    """A payment plan's facts in words: the agreement, each installment's reminder, paid or missed, the default
    notice and the déchéance du terme; ``None`` for any other event."""
    k = f"{NO}{e.installment}" if e.installment is not None else ""
    if e.kind == PLAN_AGREED:
        how = {"portal_self_service": "choisi par le débiteur sur son espace client et accepté en ligne",
               "portal": "choisi par le débiteur sur son espace client et accepté en ligne",
               "staff": "convenu avec le débiteur"}.get(e.by, "convenu")
        if e.plan:
            total = sum((amount for _, amount in e.plan), Decimal(0))
            count = len(e.plan)
            terms = (f" : {money(total)} en {count} échéance{'s' if count > 1 else ''}, du "
                     f"{shortdate(e.plan[0][0])} au {shortdate(e.plan[-1][0])}")
        else:
            terms = ""
        link = f" (lien {NO}{e.link_id})" if e.link_id and e.by.startswith("portal") else ""
        return f"Échéancier {how}{link}{terms}"
    if e.kind == INSTALLMENT_PAID:
        return f"Échéance {k} de l’échéancier réglée ({money(e.amount or 0)})"
    if e.kind == INSTALLMENT_MISSED:
        due = f" du {shortdate(e.day - timedelta(days=1))}" if e.day is not None else ""
        return f"Échéance {k}{due} de l’échéancier non réglée à sa date ({money(e.amount or 0)})"
    if e.kind == PLAN_BROKEN or e.step == PLAN_BROKEN:
        return "Déchéance du terme : échéancier rompu, le solde restant dû devient exigible"
    if e.kind == "sent" and e.step.startswith("installment_") and e.installment is not None:
        return f"Rappel de l’échéance {k} de l’échéancier envoyé{' par e-mail' if e.channel == 'email' else ''}"
    if e.kind == "sent" and e.step.startswith("plan_default_") and e.installment is not None:
        return (f"Mise en demeure de régler l’échéance {k} de l’échéancier, sous peine de déchéance du terme, "
                "envoyée en recommandé AR")
    return None


def label(e: Event) -> str:
    invoice = ", ".join(e.invoices)
    told = plan_label(e)
    if told is not None:
        return told
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
                  "sent": 3, "delivered": 5, "ar_signed": 6, "returned": 6, INSTALLMENT_PAID: 7}


def plan_adherence(events: Sequence[Event], on: date | None = None) -> list[Event]:
    """Each installment of each invoice's plan, paid or missed, from the payments in the history (SPEC §2.9):
    installment k is paid on the day the payments dated after the agreement add up to the first k amounts;
    missed when its due date passed (before ``on``) with it unpaid. The latest agreement of an invoice counts."""
    out: list[Event] = []
    agreements = {}
    for e in events:
        if e.kind == PLAN_AGREED and e.plan and e.day is not None and len(e.invoices) == 1:
            agreements[e.invoices[0]] = e  # in the history's order: a later agreement replaces an earlier one
    for invoice, agreed in agreements.items():
        assert agreed.day is not None
        payments = sorted((e.day, -(e.amount or 0) if e.kind == "refund" else (e.amount or 0)) for e in events
                          if e.kind in PAYMENT_KINDS and e.kind != "payment_unmatched" and e.day is not None
                          and e.day > agreed.day and invoice in e.invoices and e.amount is not None)
        owed = Decimal(0)
        for k, (due, amount) in enumerate(agreed.plan, start=1):
            owed += amount
            paid, running = None, Decimal(0)
            for day, value in payments:
                running += value
                if running >= owed:
                    paid = day
                    break
            if paid is not None:
                out.append(Event(paid, INSTALLMENT_PAID, "", "", "", "", "", amount, "", (invoice,),
                                 installment=k))
            if (paid is None or paid > due) and (on is None or due < on):
                out.append(Event(due + timedelta(days=1), INSTALLMENT_MISSED, "", "", "", "", "", amount, "",
                                 (invoice,), installment=k))
    return out


def timeline(invoices: Sequence[LetterLine], events: Sequence[Event],
             on: date | None = None) -> list[Event]:
    """The history by date, each invoice's issue and due date included, and a payment plan's installments paid
    or missed (:func:`plan_adherence`).

    One message about several invoices is one event per invoice in the history: shown once, with its
    invoices. A planned action shows only when nothing records it as carried out.
    """
    several = len(invoices) > 1
    synthetic = plan_adherence(events, on)
    for line in invoices:
        synthetic.append(Event(line.issue_date, "invoice_issued", "", "", "", "", "", line.amount, "",
                                (line.invoice,)))
        synthetic.append(Event(line.due_date, "invoice_due", "", "", "", "", "", line.amount_due, "",
                                (line.invoice,)))
    merged: dict[tuple[Any, ...], Event] = {}
    for e in (*synthetic, *events):
        if e.kind in INTERNAL_KINDS:
            continue
        key = (e.day, e.kind, e.channel, e.step, e.provider_id, e.tracking, e.message_key, e.amount, e.note,
               e.installment, e.plan)
        if e.kind.startswith("invoice_") or not several:
            key = (*key, e.invoices)
        if key in merged:
            before = merged[key]
            invoices = tuple(dict.fromkeys((*before.invoices, *e.invoices)))
            merged[key] = replace(before, invoices=invoices)
        else:
            merged[key] = e
    return sorted(merged.values(), key=lambda e: (e.day is None, e.day or date.min, SAME_DAY_ORDER.get(e.kind, 4)))


def day_text(day: date | None) -> str:
    return shortdate(day) if day else "—"
