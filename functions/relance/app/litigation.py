"""The litigation step: check eligibility when the dossier is built, then build, store, tell, and stop reminders."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..domain.claim import (
    Claim,
    UnusableInvoice,
    eligibility,
    formal_notice,
    notice_deadline,
    rates_of,
)
from ..domain.courts import court_for, courts_of
from ..domain.email import build_email
from ..domain.fmt import longdate, money
from ..domain.labels import REFUSAL_LABELS
from ..domain.model import Customer, Invoice, Unusable
from ..domain.policy import Rules
from ..litigation.dossier import Piece, build_dossier, case_name, chronology_events
from ..ports import Documents, EmailSender, LitigationStore
from .exhibits import invoice_exhibit
from .messages import ChannelMessage
from .notifications import send_once
from .parked import park


def _invalid_label(reason: str) -> str:
    field = reason.removeprefix("invalid data: ")
    return f"donnée inutilisable ({field}) : corrigez-la dans l’export" if field != reason else reason


@dataclass(slots=True)
class LitigationOutcome:
    built: list[str] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)
    parked: dict[str, date] = field(default_factory=dict)  # invoice → the day the formal notice's deadline ends

    def as_dict(self) -> dict[str, Any]:
        outcome = "built" if self.built else "parked" if self.parked and not self.refused else "refused"
        return {"outcome": outcome, "built": self.built, "refused": self.refused,
                "parked": {k: v.isoformat() for k, v in self.parked.items()}}


def _for_the_company(claim: Claim, customer: Customer, rules: Rules, today: date) -> list[str]:
    """What the company must check before filing, never written in the documents the court reads: a rate
    past its ``verified_until``, a CGV rate below the floor, a court the table could not name."""
    court = court_for(customer, courts_of(rules), claim.total, today)
    return [*claim.for_creditor, *([court.warning] if court.warning else [])]


# How long the company's link to download a dossier works (``presign(key, seconds)``: the documents' store).
DOSSIER_LINK_DAYS = 7


def handle_litigation(message: ChannelMessage, *, rules: Rules, store: LitigationStore, documents: Documents,
                      sender: EmailSender, presign: Callable[[str, int], str], today: date,
                      now: datetime) -> LitigationOutcome:
    outcome = LitigationOutcome()
    customer = store.customer(message.customer)
    rates = rates_of(rules)
    eligible: list[tuple[Invoice, Claim, list[dict[str, Any]]]] = []
    for action in message.actions:
        found = store.checked_invoice(action.invoice)
        if found is None or customer is None:
            outcome.refused[action.invoice] = ["closed"]
            continue
        if isinstance(found, Unusable):  # unreadable or out of bounds in the table: refused, never retried
            outcome.refused[action.invoice] = [found.reason]
            store.append_events([{"invoice": action.invoice, "kind": "litigation_refused", "date": today.isoformat(),
                                  "step": action.step, "channel": "litigation", "reason": found.reason,
                                  "problem": found.problem, "message_key": message.key}])
            continue
        invoice = found
        try:
            verdict = eligibility(invoice, customer, rules.legal, rules.company.missing(), today, rates)
        except UnusableInvoice as err:  # a date or an amount out of bounds: refused, never retried
            reason = f"invalid data: {err.field}"
            outcome.refused[invoice.id] = [reason]
            store.append_events([{"invoice": invoice.id, "kind": "litigation_refused", "date": today.isoformat(),
                                  "step": action.step, "channel": "litigation", "reason": reason,
                                  "problem": err.problem, "message_key": message.key}])
            continue
        notice = formal_notice(invoice, today)
        if verdict.reasons == ["notice_deadline_pending"] and notice is not None:
            # Only a matter of days: the daily run brings the step back when the deadline has passed.
            # The same last day as the eligibility's (CPC 640-642): the dossier may be prepared the day after.
            ready_on = notice_deadline(notice, customer, rules.legal) + timedelta(days=1)
            key = hashlib.sha256(f"{message.key}|{invoice.id}|{ready_on}".encode()).hexdigest()[:40]
            later = ChannelMessage(key, message.run_date, message.customer, message.channel, message.tone, (action,),
                                   message.rules_digest, resumes=message.resumes or message.key)
            park(store, key=key, body=later.body(), invoice=invoice.id, ready_on=ready_on)
            outcome.parked[invoice.id] = ready_on
            store.append_events([{"invoice": invoice.id, "kind": "litigation_parked", "date": today.isoformat(),
                                  "step": action.step, "channel": "litigation", "until": ready_on.isoformat(),
                                  "reason": "notice_deadline_pending", "message_key": message.key}])
            continue
        if not verdict.eligible:
            outcome.refused[invoice.id] = list(verdict.reasons)
            store.append_events([{"invoice": invoice.id, "kind": "litigation_refused", "date": today.isoformat(),
                                  "step": action.step, "channel": "litigation",
                                  "reason": ", ".join(verdict.reasons), "message_key": message.key}])
            continue
        eligible.append((invoice, verdict.claim, store.history(invoice.id)))
    if eligible and customer is not None:
        _build(eligible, message=message, customer=customer, rules=rules, store=store, documents=documents,
               sender=sender, presign=presign, today=today, now=now)
        outcome.built.extend(i.id for i, _, _ in eligible)
    if outcome.refused or outcome.parked:
        company = rules.company
        who = customer.name if customer else message.customer
        parts = ["Bonjour,"]
        if outcome.parked:
            lines = [f"– {i} : le délai laissé par la mise en demeure court jusqu’au "
                     f"{longdate(day - timedelta(days=1))} ; le dossier sera préparé automatiquement le "
                     f"{longdate(day)}." for i, day in sorted(outcome.parked.items())]
            parts.append("L’étape d’injonction de payer attend la fin du délai de la mise en demeure :\n\n"
                         + "\n".join(lines) + "\n\nRien à faire d’ici là : si le client paie entre-temps, "
                         "le dossier ne sera pas préparé.")
        if outcome.refused:
            lines = [f"– {i} : " + " ; ".join(REFUSAL_LABELS.get(r) or _invalid_label(r) for r in reasons)
                     for i, reasons in outcome.refused.items()]
            parts.append("L’étape d’injonction de payer n’a pas produit de dossier :\n\n" + "\n".join(lines)
                         + "\n\nCette étape ne sera pas reprise automatiquement. Une fois le motif levé "
                         "(informations complétées…), préparez le dossier avec « relance dossier ».")
        text = "\n\n".join(parts) + "\n"
        subject = (f"Injonction de payer non engagée pour {who}" if outcome.refused else
                   f"Injonction de payer programmée pour {who} le {longdate(min(outcome.parked.values()))}")
        key = f"dossier-{'refused' if outcome.refused else 'parked'}-{message.key}"
        raw = build_email(sender_name=company.name, sender=company.email, to=[company.email],
                          subject=subject, text=text, message_id=key, sent_at=now)
        send_once(store, sender, key=key, raw=raw, sender_address=company.email, to=[company.email],
                  reply_to=company.email)
    return outcome


def _build(cases: list[tuple[Invoice, Claim, list[dict[str, Any]]]], *, message: ChannelMessage, customer: Customer,
           rules: Rules, store: LitigationStore, documents: Documents, sender: EmailSender,
           presign: Callable[[str, int], str], today: date, now: datetime) -> None:
    """One dossier for the debtor's eligible invoices (SPEC §5): one requête, one ZIP, one e-mail."""
    (invoice, claim, history), *rest = cases
    chronology = [{k: str(v) for k, v in e.items() if v is not None and k in (
        "date", "kind", "channel", "step", "tracking_number", "amount", "note", "invoice")}
        for i, _, events in cases for e in chronology_events(i, events)]
    notice_event = next((e for e in reversed(history) if e.get("kind") == "sent"
                         and e.get("channel") == "registered_letter" and e.get("document")), None)
    notice = proof = None
    if notice_event is not None:
        pdf = documents.get(notice_event["document"])
        if pdf:
            notice = Piece("mise-en-demeure.pdf", f"Mise en demeure par lettre recommandée avec AR du "
                           f"{longdate(date.fromisoformat(notice_event['date']))}", pdf)
        proof_event = next((e for e in reversed(history) if e.get("proof")), None)
        if proof_event is not None and (data := documents.get(proof_event["proof"])):
            proof = Piece("accuse-de-reception." + proof_event["proof"].rsplit(".", 1)[-1],
                          "Accusé de réception signé", data)
    pdfs = {i.id: e.data for i, _, _ in cases if (e := invoice_exhibit(documents, i.id))}  # PDF, or e-invoice XML
    archive, manifest = build_dossier(rules=rules, invoice=invoice, customer=customer, claim=claim, on=today,
                                      chronology=sorted(chronology, key=lambda e: e.get("date", "")),
                                      invoice_pdfs=pdfs, notice=notice, proof=proof,
                                      others=[(i, c) for i, c, _ in rest])
    key = f"dossiers/{case_name(invoice, customer, today)}.zip"
    documents.put(key, archive, "application/zip")
    for item, _, _ in cases:
        # Once only: a retry (the notification e-mail failed, say) rebuilds the same archive but records nothing.
        store.update_invoice_state(item.id, kind="litigation", on=today, sets={"status": "litigation"},
                                   when_status=("open",), details={"document": key})
    company = rules.company
    total = sum((c.total for _, c, _ in cases), Decimal(0))
    ids = ", ".join(i.id for i, _, _ in cases)
    text = (f"Bonjour,\n\nLe dossier de requête en injonction de payer contre {customer.name} pour "
            f"{'la facture' if not rest else 'les factures'} {ids} est prêt : {money(total)} (principal "
            f"{money(sum((c.principal for _, c, _ in cases), Decimal(0)))}, pénalités "
            f"{money(sum((c.interest for _, c, _ in cases), Decimal(0)))}, indemnité "
            f"{money(sum((c.indemnity for _, c, _ in cases), Decimal(0)))}).\n\n"
            f"Tribunal compétent : {manifest['court']['name'] or 'à déterminer (voir 00-LISEZ-MOI.txt)'}.\n"
            f"Téléchargement (lien valable {DOSSIER_LINK_DAYS} jours) :\n"
            f"{presign(key, DOSSIER_LINK_DAYS * 86400)}\n\n"
            "Relisez la requête, joignez les pièces listées dans pieces/A-JOINDRE.txt s’il y en a, signez-la "
            "et déposez-la au greffe. Les relances de ces factures sont arrêtées.\n\n"
            + "".join(f"Attention : {w}\n\n" for w in dict.fromkeys(
                w for _, c, _ in cases for w in _for_the_company(c, customer, rules, today)))
            + "relance")
    mail_key = f"dossier-{message.key}-{invoice.id}"
    raw = build_email(sender_name=company.name, sender=company.email, to=[company.email],
                      subject=f"Dossier d’injonction de payer prêt : {customer.name}, "
                              f"{'facture' if not rest else 'factures'} {ids}",
                      text=text, message_id=mail_key, sent_at=now)
    send_once(store, sender, key=mail_key, raw=raw, sender_address=company.email, to=[company.email],
              reply_to=company.email)
