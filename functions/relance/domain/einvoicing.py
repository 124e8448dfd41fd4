"""What the rules may decide about the e-invoicing platform's lifecycle statuses (the ``einvoicing`` section).

relance follows the AFNOR XP Z12-012 statuses with a mapping of its own (``app.einvoicing``); a company refines it
where its practice differs: how long a « 211 Paiement transmis » holds the reminders, and for the statuses whose
consequence is a business choice, whether they pause or stop the reminders, only alert the company, or are only
recorded. The other codes are not a choice (212 is a payment, 220 a cancellation, 213 an invoice never validly
issued, 209 ends a 208 pause) and are not refinable.
"""

from __future__ import annotations

from dataclasses import dataclass

PAUSE, STOP, ALERT, RECORD = "pause", "stop", "alert", "record"
ACTIONS = (PAUSE, STOP, ALERT, RECORD)
ACTION_LABELS = {PAUSE: "les relances s’arrêtent jusqu’à la fin du litige ou de la suspension",
                 STOP: "les relances s’arrêtent pour de bon, et l’entreprise est prévenue",
                 ALERT: "rien ne change pour les relances, l’entreprise est prévenue",
                 RECORD: "inscrit à l’historique seulement"}
# code → (relance's own choice, the choices a company may make instead)
REFINABLE = {
    "207": (PAUSE, (PAUSE, ALERT, RECORD)),  # En litige
    "208": (PAUSE, (PAUSE, ALERT, RECORD)),  # Suspendue
    "210": (STOP, (STOP, ALERT)),  # Refusée: never only recorded — the buyer refused the invoice
    "225": (STOP, (STOP, ALERT, RECORD)),  # Affacturée: the factor collects
    "226": (RECORD, (RECORD, ALERT)),  # Affacturée confidentiel: the seller still collects
}
NOT_REFINABLE = {"209": "termine la suspension d’un 208", "211": "se règle par payment_sent_hold_days",
                 "212": "c’est un paiement", "213": "la facture n’a jamais été valablement émise : les relances "
                 "s’arrêtent toujours", "220": "la facture est annulée"}
PAYMENT_SENT_HOLD_DAYS = 10  # 211 Paiement transmis: the transfer is on its way, reminders wait this long


@dataclass(frozen=True, slots=True)
class EInvoicingPolicy:
    payment_sent_hold_days: int = PAYMENT_SENT_HOLD_DAYS
    statuses: tuple[tuple[str, str], ...] = ()  # (code, action): the company's choices over REFINABLE's defaults

    def action(self, code: str) -> str:
        """What the status ``code`` does: the company's choice, else relance's (``""``: not a refinable code)."""
        chosen = dict(self.statuses).get(code)
        return chosen or (REFINABLE[code][0] if code in REFINABLE else "")
