"""The company's notice of the payments kept for review (SPEC §2, issue 12 item 2).

A payment in another currency than its invoice's, or one no invoice matches, is never applied: the webhook
keeps it (``REVIEW#`` / ``UNMATCHED#``) and the invoice goes on being reminded. Someone has to look at it,
so the daily digest run e-mails the company the ones kept since its last notice, with what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from ..domain.email import build_email
from ..domain.fmt import NNBSP, longdate, shortdate
from ..domain.policy import Company
from ..ports import EmailSender, ReviewNoticeStore
from .notifications import send_once

PROVIDERS = {"stripe": "Stripe", "generic": "notification de paiement signée (banque ou prestataire)"}
REASONS = {
    "unmatched": "aucune facture ne porte cette référence",
    "currency_mismatch": "la devise n’est pas celle de la facture",
    "currency_not_euro": "paiement hors euros",
}
NOTICE_KEPT_DAYS = 40  # the day's record lets a retry send the same notice; after that, it may go


def plain_amount(amount: str, currency: str) -> str:
    """The amount as the provider reported it, in French notation, with its ISO code: ``1 200 JPY``,
    ``1 200,000 KWD``; nothing is rounded, since the point is to compare it with a bank statement."""
    sign, digits = ("-", amount[1:]) if amount.startswith("-") else ("", amount)
    units, dot, decimals = digits.partition(".")
    groups = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    return f"{sign}{NNBSP.join(groups)}{',' + decimals if dot else ''}{NNBSP}{currency}"


def _line(n: int, kept: dict[str, Any]) -> str:
    what = "Remboursement" if kept.get("kind") == "refund" else "Paiement"
    when = date.fromisoformat(kept["date"]) if kept.get("date") else None
    reference = kept.get("invoice_ref") or "aucune"
    reason = REASONS.get(kept.get("reason", ""), kept.get("reason", ""))
    if kept.get("reason") == "currency_mismatch" and kept.get("invoice_currency"):
        reason += f" ({kept['invoice_currency']})"
    provider = PROVIDERS.get(kept["provider"], kept["provider"])
    return "\n".join([
        f"{n}. {what} de {plain_amount(kept.get('amount', '?'), kept.get('currency', '?'))}"
        + (f" du {shortdate(when)}" if when else "") + f", reçu par {provider}",
        f"   Référence donnée par le payeur : « {reference} »",
        f"   Pourquoi il n’est pas imputé : {reason}",
        f"   Identifiant chez le prestataire : {kept['event_id']}",
    ])


def review_notice_text(kept: Sequence[dict[str, Any]], day: date, company_name: str) -> tuple[str, str]:
    """The notice's subject and text, in French."""
    count = len(kept)
    plural = "s" if count > 1 else ""
    subject = f"{count} paiement{plural} à vérifier : non imputé{plural} aux factures ({longdate(day)})"
    parts = [
        "Bonjour,",
        f"relance a reçu {count} paiement{plural} qu’elle n’a pas imputé{plural} à vos factures. Tant que personne "
        "ne les a rapprochés, les factures concernées restent dues et leurs relances continuent.",
        "\n\n".join(_line(n, k) for n, k in enumerate(kept, 1)),
        "Que faire :\n"
        "– vérifiez sur le relevé bancaire ou chez le prestataire ce qui a réellement été encaissé, et en euros ;\n"
        "– si ce paiement règle une facture, enregistrez-le avec le montant reçu en euros :\n"
        "    relance invoice paid F-… --amount 1234,56 --reference \"identifiant ci-dessus\"\n"
        "– si la référence est inconnue, retrouvez la facture d’après le client et le montant, puis même commande ;\n"
        "– s’il faut rembourser le client (mauvaise devise, paiement en double), faites-le chez le prestataire.\n"
        "La liste complète des paiements gardés pour vérification : relance invoice review",
        f"Bonne journée,\n{company_name} — relances automatiques",
    ]
    return subject, "\n\n".join(parts)


def notify_payments_kept_for_review(*, store: ReviewNoticeStore, sender: EmailSender, company: Company, day: date,
                                    now: datetime) -> str | None:
    """E-mail the company the payments kept for review it was not yet told of; the SES id, or ``None`` when
    there is nothing new. Once per day: a retry or a second run sends the same notice once."""
    return send_daily_notice(
        store=store, sender=sender, company=company, day=day, now=now, record="", items="payments",
        key=f"review-{day.isoformat()}", text=review_notice_text, mark=store.mark_review_notified,
        pending=lambda: sorted((k for k in store.review_payments() if not k.get("notified_on")),
                               key=lambda k: (k.get("at", ""), k["provider"], k["event_id"])))


def send_daily_notice(*, store: ReviewNoticeStore, sender: EmailSender, company: Company, day: date,
                      now: datetime, record: str, items: str, key: str,
                      pending: Callable[[], list[dict[str, Any]]],
                      text: Callable[[list[dict[str, Any]], date, str], tuple[str, str]],
                      mark: Callable[[list[dict[str, Any]], date], None]) -> str | None:
    """One e-mail to the company listing what ``pending`` finds, once per day: the day's record (``<record>notice``
    then ``<record>sent``) makes a retry list the same ``items`` and send them once; ``mark`` says they were told."""
    recorded = store.review_notice(day)
    if f"{record}sent" in recorded:
        return str(recorded[f"{record}sent"]["provider_id"])
    expires = int((now + timedelta(days=NOTICE_KEPT_DAYS)).timestamp())
    if f"{record}notice" in recorded:  # an earlier attempt chose what to list: list the same
        kept = list(recorded[f"{record}notice"][items])
    else:
        kept = pending()
        if not kept:
            return None
        store.note_review_notice(day, f"{record}notice", {items: kept}, expires_at=expires)
    subject, body = text(kept, day, company.name)
    raw = build_email(sender_name=company.name, sender=company.email, to=[company.email], subject=subject,
                      text=body, message_id=key, sent_at=now)
    message_id = send_once(store, sender, key=key, raw=raw, sender_address=company.email, to=[company.email],
                           reply_to=company.email)
    mark(kept, day)
    store.note_review_notice(day, f"{record}sent", {"provider_id": message_id, items: len(kept)}, expires_at=expires)
    return message_id
