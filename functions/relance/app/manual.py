"""What the finance assistant records by hand (``relance invoice …``): what she learns by phone or sees on the
bank statement, through the same store paths as the machines use."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..domain.model import Invoice, Unusable
from ..domain.terms import Channel, EventKind
from ..ports import Ledger, PlatformReporter


class UnknownInvoice(LookupError):
    pass


class UnusableInvoice(ValueError):
    """The invoice's stored record cannot be used (a field unreadable or outside SPEC §3's bounds): nothing is
    recorded on it until the export that brought it is corrected."""

    def __init__(self, unusable: Unusable) -> None:
        super().__init__(unusable.message())
        self.unusable = unusable


def usable_invoice(store: Ledger, invoice_id: str) -> Invoice:
    """The invoice a person's command is about, read and checked before anything is recorded on it."""
    found = store.checked_invoice(invoice_id)
    if found is None:
        raise UnknownInvoice(invoice_id)
    if isinstance(found, Unusable):
        raise UnusableInvoice(found)
    return found


def record_payment(store: Ledger, invoice_id: str, on: date, amount: Decimal | None = None,
                   reference: str = "", *, reporter: PlatformReporter | None = None,
                   warn: Callable[[str], None] = lambda text: None) -> str:
    """A payment seen on the bank statement: all that is due unless an amount is given. Reported to the
    e-invoicing platform as « 212 Encaissée » like every payment relance applies, when ``reporter`` is given
    (reporting on); a failure to report is passed to ``warn`` in French, the payment stays recorded."""
    from .einvoicing import payment_applied

    invoice = usable_invoice(store, invoice_id)
    paid = invoice.amount_due if amount is None else amount
    if paid <= 0:
        return "nothing due"
    # The same entry typed twice (same invoice, day, amount and reference) is one payment.
    event_id = "manual-" + hashlib.sha256(f"{invoice_id}|{on}|{paid}|{reference}".encode()).hexdigest()[:24]
    outcome = store.apply_payment(provider="manual", event_id=event_id, invoice_id=invoice_id, amount=paid,
                                  currency=invoice.currency, on=on, details={"reference": reference})
    told = payment_applied(reporter, provider="manual", event_id=event_id, invoice_id=invoice_id, on=on,
                           amount=paid, currency=invoice.currency, outcome=outcome)
    if told.error:
        warn(f"facture {invoice_id} : le paiement est enregistré, mais la plateforme de facturation électronique "
             f"n’a pas pu en être informée ({told.error}) ; signalez-lui l’encaissement")
    return outcome


def record_dispute(store: Ledger, invoice_id: str, on: date, reason: str,
                   by: Mapping[str, str] | None = None) -> bool:
    """The customer contests the invoice: reminders pause until ``resume``. A dispute made on the portal (paused
    for review until its ``dispute_until``) is thereby confirmed: it holds until ``resume`` too. ``by``: who
    recorded it (the staff pages: the account manager, the time, the link), on the history event."""
    invoice = usable_invoice(store, invoice_id)
    if invoice.status == "disputed" and invoice.dispute_until is None:
        return False  # already disputed for good
    return store.update_invoice_state(invoice_id, kind="dispute", on=on, sets={"status": "disputed"},
                                      removes=("dispute_until",), when_status=("open", "disputed"),
                                      details={"reason": reason, **(by or {})})


def record_promise(store: Ledger, invoice_id: str, on: date, until: date,
                   by: Mapping[str, str] | None = None) -> bool:
    """The customer promises to pay by ``until``: reminders pause until then."""
    usable_invoice(store, invoice_id)
    return store.update_invoice_state(invoice_id, kind="promise", on=on,
                                      sets={"promise_to_pay_until": until.isoformat()},
                                      when_status=("open", "disputed"),
                                      details={"until": until.isoformat(), **(by or {})})


# What a call gave, as the staff page offers it (``relance invoice call --result`` too); "" : told in words only.
CALL_RESULTS = ("reached", "not_reached", "promise", "dispute", "wrong_number")
CALL_RESULT_WORDS = {"reached": "Client joint", "not_reached": "Client injoignable (pas de réponse, message laissé "
                     "ou non)", "promise": "Client joint : promesse de paiement", "dispute": "Client joint : "
                     "il conteste", "wrong_number": "Numéro erroné : ce n’est pas le client"}


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What a call gave. ``result`` one of :data:`CALL_RESULTS` ("" : the words of ``note`` only, as the CLI's
    ``--outcome`` alone); a promise has its date ``until``, a dispute its ``reason`` (words a court may read)."""

    result: str = ""
    note: str = ""
    until: date | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.result and self.result not in CALL_RESULTS:
            raise ValueError(f"unknown call result {self.result!r}")
        if self.result == "promise" and self.until is None:
            raise ValueError("a promise needs its date")
        if self.result == "dispute" and not self.reason.strip():
            raise ValueError("a dispute needs its reason")

    def text(self) -> str:
        """The history's note, in French: what the chronology of a dossier shows under « Appel passé »."""
        note = " ".join(self.note.split())
        if not self.result:
            return note
        words = CALL_RESULT_WORDS[self.result]
        if self.result == "promise" and self.until is not None:
            words += f" au plus tard le {self.until.strftime('%d/%m/%Y')}"
        if self.result == "dispute":
            words += f" ({' '.join(self.reason.split())})"
        return f"{words}. {note}" if note else f"{words}."


def record_call(store: Ledger, invoice_id: str, on: date, outcome: str | CallOutcome,
                by: Mapping[str, str] | None = None) -> bool:
    """A reminder call made, with what it gave: a fact the dossier's chronology tells as done (a call only planned,
    ``call_task``, is told as planned). ``relance invoice call`` and the account manager's staff page both record
    a call here. A promise or a dispute the call gave is recorded as one too (reminders pause); otherwise the
    invoice's state is unchanged. ``by``: who recorded it, on each history event."""
    call = outcome if isinstance(outcome, CallOutcome) else CallOutcome(note=outcome)
    usable_invoice(store, invoice_id)
    details = {"channel": Channel.PHONE, "note": call.text(), **({"result": call.result} if call.result else {}),
               **(by or {})}
    made = store.update_invoice_state(invoice_id, kind=EventKind.CALL_MADE, on=on, sets={}, details=details)
    if made and call.result == "promise" and call.until is not None:
        record_promise(store, invoice_id, on, call.until, by)
    elif made and call.result == "dispute":
        record_dispute(store, invoice_id, on, " ".join(call.reason.split()), by)
    return made


def resume(store: Ledger, invoice_id: str, on: date) -> bool:
    """Lift a dispute or a promise: reminders start again where they were."""
    invoice = usable_invoice(store, invoice_id)
    sets = {"status": "open"} if invoice.status == "disputed" else {}
    return store.update_invoice_state(invoice_id, kind="resume", on=on, sets=sets,
                                      removes=("promise_to_pay_until", "dispute_until"),
                                      when_status=("open", "disputed"))
