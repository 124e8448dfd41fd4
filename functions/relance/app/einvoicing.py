"""What a lifecycle status from the e-invoicing platform (PA) does to the invoice it is about.

=====  ========================  =============================================================================
code   status                    relance
=====  ========================  =============================================================================
207    En litige                 disputed: reminders pause (from open)
208    Suspendue                 paused as disputed (from open); 209 Complétée lifts the pause (back to open)
209    Complétée                 back to open — only when a 208 is what paused it: a dispute (207, the portal,
                                 staff) stays until a person lifts it; otherwise recorded
210    Refusée                   reminders stop (disputed) and the status is kept for review: the company is told
211    Paiement transmis         held like a promise to pay for ``payment_sent_hold_days`` days (10) from the status
212    Encaissée                 a payment: of ``amount`` when given (partial), else of all that is due
213    Rejetée                   never validly issued: cancelled, kept for review — the company must reissue it
220    Annulée                   cancelled
225    Affacturée                cancelled for relance: the factor collects, relance must not
226    Affacturée confidentiel   nothing changes (the seller still collects)
other  200–206: recorded         on the history only; an unknown code is also kept for review
=====  ========================  =============================================================================

The rules' ``einvoicing`` section refines this (``domain.einvoicing``): how many days a 211 holds
(``payment_sent_hold_days``), and per refinable code (207, 208, 210, 225, 226) whether it pauses or stops the
reminders, only alerts the company (kept for review: the daily notice) or is only recorded.

Every status is an event on the invoice's history (the evidence trail), applied once per platform message id
(a message delivered again is ``duplicate``). A status for an invoice relance does not know is kept for review.
A 212 that brings a payment relance already recorded — the same amount on the same day, as when relance's own
payment (Stripe, generic notice, portal) comes back from the PA — is recorded, never counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..domain.einvoicing import ALERT, RECORD, EInvoicingPolicy
from ..domain.fmt import longdate, shortdate
from ..domain.model import Unusable
from ..domain.policy import Company
from ..payments.einvoicing import STATUS_LABELS, StatusNotice
from ..ports import EmailSender, PlatformReporter, PlatformReviewStore, PlatformStatusStore, ProviderError
from .review_notice import send_daily_notice


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
REVIEW_REASONS = {"refused": "refusée par l’acheteur : les relances sont arrêtées ; voyez avec lui le motif, puis "
                             "émettez un avoir ou une facture rectificative",
                  "rejected": "rejetée par la plateforme : la facture n’a jamais été valablement émise ; les relances "
                              "sont arrêtées, réémettez-la",
                  "unknown_code": "code de statut inconnu de relance : inscrit à l’historique, sans effet",
                  "alert": "vos règles (section einvoicing) demandent d’être prévenu de ce statut : les relances "
                           "continuent ; s’il faut les arrêter, enregistrez une contestation (relance invoice "
                           "dispute)",
                  "unmatched": "aucune facture de relance ne porte ce numéro : importez-la, ou vérifiez le numéro",
                  "unusable": "la facture est mise de côté (données inutilisables) : corrigez-la puis réimportez-la"}


RELANCE_MAPPING = EInvoicingPolicy()  # no einvoicing section in the rules


def apply_status(store: PlatformStatusStore, notice: StatusNotice,
                 policy: EInvoicingPolicy = RELANCE_MAPPING) -> str:
    """The outcome: ``applied``, ``recorded``, ``duplicate``, ``unmatched``, or a payment's (``paid``…), under
    the rules' ``einvoicing`` choices (``policy``; relance's own mapping by default)."""
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
        until = notice.on + timedelta(days=policy.payment_sent_hold_days)
        effect = Effect({"promise_to_pay_until": until.isoformat()}, ("open", "disputed"))
    elif notice.code == "209" and not _paused_by_208(store.history(notice.invoice_id)):
        effect = Effect({})  # a dispute, not the platform's pause: a person lifts it
    elif policy.action(notice.code) == ALERT:
        effect = Effect({}, (), "alert")  # the company chose to be told only: the reminders go on
    elif policy.action(notice.code) == RECORD:
        effect = Effect({})
    elif notice.code in EFFECTS:
        effect = EFFECTS[notice.code]
    else:
        effect = Effect({}, (), "" if notice.code in STATUS_LABELS else "unknown_code")
    return store.apply_platform_status(message_id=notice.id, invoice_id=notice.invoice_id, code=notice.code,
                                       on=notice.on, sets=effect.sets, when_status=effect.when_status,
                                       details=details, review=effect.review)


_PAUSING_CODES = ("207", "208", "210")


def _paused_by_208(history: Sequence[dict[str, Any]]) -> bool:
    """Whether the invoice's current pause is a 208 Suspendue: the last event that disputed it (or lifted a
    pause) is an applied 208 — not a 207, a dispute on the portal or by staff, nor a pause lifted since."""
    cause = ""
    for event in history:
        kind = event.get("kind")
        if kind == "einvoicing_status" and event.get("outcome") == "applied":
            code = event.get("code", "")
            if code in _PAUSING_CODES:
                cause = code
            elif code == "209":
                cause = ""
        elif kind == "dispute":
            cause = "dispute"
        elif kind == "resume":
            cause = ""
    return cause == "208"


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


# -- the company is told ---------------------------------------------------------------------------------------------

def platform_notice_text(kept: Sequence[dict[str, Any]], day: date, company_name: str) -> tuple[str, str]:
    """The notice's subject and text, in French."""
    count = len(kept)
    plural = "s" if count > 1 else ""
    subject = f"{count} statut{plural} de facture électronique à examiner ({longdate(day)})"
    lines = []
    for n, k in enumerate(kept, 1):
        when = shortdate(date.fromisoformat(k["date"])) if k.get("date") else ""
        label = STATUS_LABELS.get(k.get("code", ""), "code inconnu")
        lines.append("\n".join([
            f"{n}. Facture {k.get('invoice_ref', '?')} : « {k.get('code', '?')} {label} » le {when}",
            f"   {REVIEW_REASONS.get(k.get('review', ''), k.get('review', ''))}",
            *([f"   Motif donné : « {k['reason']} »"] if k.get("reason") else []),
            f"   Message de la plateforme : {k.get('message_id', '')}"]))
    text = "\n\n".join([
        "Bonjour,",
        f"la plateforme de facturation électronique a transmis {count} statut{plural} qui "
        f"demande{'nt' if count > 1 else ''} votre attention :",
        "\n\n".join(lines),
        "La liste complète : relance invoice review",
        f"Bonne journée,\n{company_name} — relances automatiques"])
    return subject, text


def notify_platform_statuses(*, store: PlatformReviewStore, sender: EmailSender, company: Company, day: date,
                             now: datetime) -> str | None:
    """E-mail the company the platform statuses kept for review it was not told of yet (refusals, rejections,
    unknown codes, unknown invoices); the SES id, or ``None`` when there is nothing new. Once per day."""
    return send_daily_notice(
        store=store, sender=sender, company=company, day=day, now=now, record="platform_", items="statuses",
        key=f"einvoicing-review-{day.isoformat()}", text=platform_notice_text,
        mark=store.mark_einvoicing_reviews_notified,
        pending=lambda: [k for k in store.einvoicing_reviews() if not k.get("notified_on")])


# -- what relance tells the platform (off unless PLATFORM_REPORT_URL is set) ----------------------------------------

REPORTED_OUTCOMES = ("paid", "partial")


def report_payment(reporter: PlatformReporter | None, *, provider: str, event_id: str, invoice_id: str,
                   on: date, amount: Decimal, currency: str, outcome: str) -> str | None:
    """Report a payment relance applied as « 212 Encaissée »; the message id sent, or ``None`` when there is
    nothing to report (no reporter, a refund, nothing applied, or a payment that came from the PA itself).
    Raises the reporter's ``ProviderError``: the caller logs it, the payment stays applied."""
    if reporter is None or provider == "einvoicing" or outcome not in REPORTED_OUTCOMES:
        return None
    message_id = f"relance-{provider}-{event_id}"[:255]
    reporter.report_collected(message_id=message_id, invoice_id=invoice_id, on=on, amount=amount,
                              currency=currency)
    return message_id


@dataclass(frozen=True, slots=True)
class Told:
    """What became of telling the PA about a payment relance applied: the message id sent, or why not."""

    message_id: str | None = None
    error: str = ""  # the reporter's failure (the payment stays applied; a person may tell the PA by hand)


def payment_applied(reporter: PlatformReporter | None, *, provider: str, event_id: str, invoice_id: str,
                    on: date, amount: Decimal, currency: str, outcome: str) -> Told:
    """Every payment relance applies — a Stripe or generic notice, a portal checkout, one recorded by staff
    (``relance invoice paid``) — goes through here once applied: reported to the PA as « 212 Encaissée » when
    reporting is on (:func:`report_payment`). Never raises for the PA's failure: the payment is applied
    whatever the PA answers, the failure is returned for the caller to log or show."""
    try:
        return Told(report_payment(reporter, provider=provider, event_id=event_id, invoice_id=invoice_id, on=on,
                                   amount=amount, currency=currency, outcome=outcome))
    except ProviderError as err:
        return Told(None, str(err) or type(err).__name__)
