"""What the finance assistant records by hand (``relance invoice …``): what she learns by phone or sees on the
bank statement, through the same store paths as the machines use."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
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


def record_dispute(store: Ledger, invoice_id: str, on: date, reason: str) -> bool:
    """The customer contests the invoice: reminders pause until ``resume``. A dispute made on the portal (paused
    for review until its ``dispute_until``) is thereby confirmed: it holds until ``resume`` too."""
    invoice = usable_invoice(store, invoice_id)
    if invoice.status == "disputed" and invoice.dispute_until is None:
        return False  # already disputed for good
    return store.update_invoice_state(invoice_id, kind="dispute", on=on, sets={"status": "disputed"},
                                      removes=("dispute_until",), when_status=("open", "disputed"),
                                      details={"reason": reason})


def record_promise(store: Ledger, invoice_id: str, on: date, until: date) -> bool:
    """The customer promises to pay by ``until``: reminders pause until then."""
    usable_invoice(store, invoice_id)
    return store.update_invoice_state(invoice_id, kind="promise", on=on,
                                      sets={"promise_to_pay_until": until.isoformat()},
                                      when_status=("open", "disputed"), details={"until": until.isoformat()})


def record_call(store: Ledger, invoice_id: str, on: date, outcome: str) -> bool:
    """A reminder call made, with what it gave: a fact the dossier's chronology tells as done (a call only planned,
    ``call_task``, is told as planned). The invoice's state is unchanged (a promise is recorded as one)."""
    usable_invoice(store, invoice_id)
    return store.update_invoice_state(invoice_id, kind=EventKind.CALL_MADE, on=on, sets={},
                                      details={"channel": Channel.PHONE, "note": " ".join(outcome.split())})


def resume(store: Ledger, invoice_id: str, on: date) -> bool:
    """Lift a dispute or a promise: reminders start again where they were."""
    invoice = usable_invoice(store, invoice_id)
    sets = {"status": "open"} if invoice.status == "disputed" else {}
    return store.update_invoice_state(invoice_id, kind="resume", on=on, sets=sets,
                                      removes=("promise_to_pay_until", "dispute_until"),
                                      when_status=("open", "disputed"))
