"""What an accounting export may change on an invoice relance already knows. Pure.

Precedence — what relance recorded is never undone by an export:

* the export owns the **accounting figures**: issue and due dates, amount, currency, completion date,
  free columns, and its own remaining figure (kept as ``booked_due``);
* relance owns what it **recorded**: payments and refunds received through its webhooks, the status set
  by people (disputed, litigation, a promise to pay) or by a payment (paid), the dunning steps and the
  history. An export never writes them;
* ``amount_due`` is **recomputed, never decremented**: ``min(booked_due, amount − net payments recorded by
  relance)``, never below zero. A payment seen by both sides (the export booked the Stripe payout and the
  webhook came too, in either order) therefore counts once, and a stale export can never raise what is owed
  above what relance's own payments leave;
* an export may **settle** an invoice (paid, cancelled: dunning stops, the safe side) but never **reopen**
  one relance holds settled;
* every point where the export's figure or status is not what relance keeps is a ``Disagreement``, listed in
  the import report for a person to look at — nothing is resolved silently.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from .fmt import money
from .model import Invoice, Payment

SETTLED = ("paid", "cancelled")
SET_BY_PEOPLE = ("disputed", "litigation")
_STATUS_FR = {"open": "à payer", "paid": "payée", "cancelled": "annulée", "disputed": "en litige",
              "litigation": "au contentieux"}


@dataclass(frozen=True, slots=True)
class Disagreement:
    invoice: str
    field: str  # "amount_due" | "status"
    export: str  # what the export said
    relance: str  # what relance keeps
    reason: str  # French, for the person who reads the import report


@dataclass(frozen=True, slots=True)
class Merged:
    invoice: Invoice  # what is stored: the export's figures under relance's record
    booked_due: Decimal  # the export's own remaining figure
    kept_settled: bool  # the export said owed, relance holds it settled
    disagreements: tuple[Disagreement, ...]


def net_paid(payments: tuple[Payment, ...]) -> Decimal:
    """Payments minus refunds, as relance recorded them (refunds are stored negative)."""
    return sum((p.amount for p in payments), Decimal(0))


def owed(amount: Decimal, booked_due: Decimal, payments: tuple[Payment, ...]) -> Decimal:
    """``min(booked_due, amount − net payments)``; what relance's payments leave is never below zero."""
    return min(booked_due, max(Decimal(0), amount - net_paid(payments)))


def merge_export(exported: Invoice, recorded: Invoice | None) -> Merged:
    """The invoice to store when ``exported`` (a row of the export) meets ``recorded`` (relance's record)."""
    booked = exported.amount_due
    if recorded is None:
        settled = exported.status not in SETTLED and booked <= 0  # nothing left to pay: out of the daily run
        return Merged(replace(exported, status="paid") if settled else exported, booked, False, ())
    figures = replace(recorded, customer_id=exported.customer_id, issue_date=exported.issue_date,
                      due_date=exported.due_date, amount=exported.amount, currency=exported.currency,
                      completed_on=exported.completed_on, extra=exported.extra)
    due = owed(exported.amount, booked, recorded.payments)
    notes: list[Disagreement] = []
    paid = net_paid(recorded.payments)

    def note(field: str, said: str, kept: str, reason: str) -> None:
        notes.append(Disagreement(exported.id, field, said, kept, reason))

    if recorded.status in SETTLED and exported.status not in SETTLED:
        note("status", exported.status, recorded.status,
             f"l’export la dit {_STATUS_FR[exported.status]} ({money(booked, exported.currency)}) mais relance "
             f"l’a enregistrée {_STATUS_FR[recorded.status]}"
             + (f" (paiements reçus : {money(paid, exported.currency)})" if recorded.payments else "")
             + " : elle le reste ; un export ne rouvre pas une facture soldée")
        return Merged(replace(figures, amount_due=min(recorded.amount_due, due)), booked, True, tuple(notes))

    if exported.status in SETTLED:
        if recorded.status in SET_BY_PEOPLE:
            note("status", exported.status, exported.status,
                 f"relance la tenait {_STATUS_FR[recorded.status]} ; l’export la dit "
                 f"{_STATUS_FR[exported.status]} : elle sort des relances, vérifiez le dossier")
        status, paid_on = exported.status, recorded.paid_on or exported.paid_on
    else:
        status = recorded.status if recorded.status in SET_BY_PEOPLE else exported.status
        paid_on = recorded.paid_on
        if due <= 0:  # nothing left to pay (by the export's figure or relance's payments)
            status = "paid"
            paid_on = (recorded.paid_on or exported.paid_on
                       or max((p.date for p in recorded.payments if p.amount > 0), default=None))
    if due != booked:
        note("amount_due", str(booked), str(due),
             f"l’export indique {money(booked, exported.currency)} à payer ; relance a enregistré "
             f"{money(paid, exported.currency)} de paiements sur {money(exported.amount, exported.currency)} : "
             f"elle garde {money(due, exported.currency)}")
    return Merged(replace(figures, amount_due=due, status=status, paid_on=paid_on), booked, False, tuple(notes))


@dataclass(frozen=True, slots=True)
class Upserted:
    """What the store did with one row: "created", "updated", "unchanged", "kept_settled" or "rejected"."""

    outcome: str
    disagreements: tuple[Disagreement, ...] = ()
    reason: str = ""  # French, when rejected
