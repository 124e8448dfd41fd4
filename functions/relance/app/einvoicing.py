"""What a lifecycle status from the e-invoicing platform (PA) does to the invoice it is about.

=====  ========================  =============================================================================
code   status                    relance
=====  ========================  =============================================================================
207    En litige                 disputed: reminders pause (from open)
208    Suspendue                 paused as disputed (from open); 209 Complétée lifts the pause (back to open)
209    Complétée                 back to open (from disputed)
210    Refusée                   reminders stop (disputed) and the status is kept for review: the company is told
211    Paiement transmis         held like a promise to pay for ``PAYMENT_SENT_HOLD_DAYS`` days from the status
212    Encaissée                 a payment: of ``amount`` when given (partial), else of all that is due
213    Rejetée                   never validly issued: cancelled, kept for review — the company must reissue it
220    Annulée                   cancelled
225    Affacturée                cancelled for relance: the factor collects, relance must not
226    Affacturée confidentiel   nothing changes (the seller still collects)
other  200–206: recorded         on the history only; an unknown code is also kept for review
=====  ========================  =============================================================================

Every status is an event on the invoice's history (the evidence trail), applied once per platform message id
(a message delivered again is ``duplicate``). A status for an invoice relance does not know is kept for review.
A 212 that brings a payment relance already recorded — the same amount on the same day, as when relance's own
payment (Stripe, generic notice, portal) comes back from the PA — is recorded, never counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from ..domain.model import Unusable
from ..payments.einvoicing import STATUS_LABELS, StatusNotice
from ..ports import PlatformStatusStore

PAYMENT_SENT_HOLD_DAYS = 10  # 211 Paiement transmis: the transfer is on its way, reminders wait this long


@dataclass(frozen=True, slots=True)
class Effect:
    sets: dict[str, str]
    when_status: tuple[str, ...] = ()
    review: str = ""  # why a person must look: "refused", "rejected", "unknown_code"


EFFECTS = {
    "207": Effect({"status": "disputed"}, ("open",)),
    "208": Effect({"status": "disputed"}, ("open",)),
    "209": Effect({"status": "open"}, ("disputed",)),
    "210": Effect({"status": "disputed"}, ("open",), "refused"),
    "213": Effect({"status": "cancelled"}, ("open", "disputed"), "rejected"),
    "220": Effect({"status": "cancelled"}, ("open", "disputed")),
    "225": Effect({"status": "cancelled"}, ("open", "disputed")),
}
REVIEW_REASONS = {"refused": "facture refusée par l’acheteur (210) : relances arrêtées",
                  "rejected": "facture rejetée par la plateforme (213) : jamais valablement émise, à réémettre",
                  "unknown_code": "code de statut inconnu : conservé sans effet",
                  "unmatched": "facture inconnue de relance"}


def apply_status(store: PlatformStatusStore, notice: StatusNotice) -> str:
    """The outcome: ``applied``, ``recorded``, ``duplicate``, ``unmatched``, or a payment's (``paid``…)."""
    details = {"status": STATUS_LABELS.get(notice.code, ""), "reason": notice.reason}
    found = store.checked_invoice(notice.invoice_id)
    if found is None or isinstance(found, Unusable):
        return store.apply_platform_status(message_id=notice.id, invoice_id=notice.invoice_id, code=notice.code,
                                           on=notice.on, sets={}, details=details,
                                           review="unmatched" if found is None else "unusable",
                                           known_invoice=False)
    if notice.code == "212":
        return _collected(store, notice, found.amount_due, found.payments, details)
    if notice.code == "211":
        until = notice.on + timedelta(days=PAYMENT_SENT_HOLD_DAYS)
        effect = Effect({"promise_to_pay_until": until.isoformat()}, ("open", "disputed"))
    elif notice.code in EFFECTS:
        effect = EFFECTS[notice.code]
    else:
        effect = Effect({}, (), "" if notice.code in STATUS_LABELS else "unknown_code")
    return store.apply_platform_status(message_id=notice.id, invoice_id=notice.invoice_id, code=notice.code,
                                       on=notice.on, sets=effect.sets, when_status=effect.when_status,
                                       details=details, review=effect.review)


def _collected(store: PlatformStatusStore, notice: StatusNotice, due: Decimal, payments: tuple,
               details: dict[str, str]) -> str:
    amount = due if notice.amount is None else notice.amount
    if any(e.get("provider_id") == notice.id or e.get("message_id") == notice.id
           for e in store.history(notice.invoice_id)):
        return "duplicate"  # this very message, applied before (as a payment, or recorded)
    seen = any(p.date == notice.on and p.amount == amount for p in payments)
    if amount <= 0 or seen:
        why = "déjà enregistré par relance" if seen else "rien n’était dû"
        return store.apply_platform_status(message_id=notice.id, invoice_id=notice.invoice_id, code=notice.code,
                                           on=notice.on, sets={}, details={**details, "note": why})
    return store.apply_payment(provider="einvoicing", event_id=notice.id, invoice_id=notice.invoice_id,
                               amount=amount, currency=notice.currency, on=notice.on,
                               details={"event_type": "einvoicing.212", "status": details["status"]})
