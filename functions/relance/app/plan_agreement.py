"""The written payment plan agreement (« échéancier », SPEC §2.9): written, kept in the documents bucket, sent to
the debtor by e-mail (attached), and the history told what was done — never more than was done.

Whoever agrees the plan (the portal's self-service, staff on the command line) calls :func:`send_agreement` once
the plan is recorded. The PDF is rendered by ``render`` (fpdf2, paid for only where it is called); without an
e-mail address the agreement is kept, and the history says it was kept, not sent: a person posts it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ..domain.email import HeaderError, build_email
from ..domain.fmt import is_french
from ..domain.model import Customer, Invoice
from ..domain.plans import PaymentPlan
from ..domain.policy import Rules
from ..domain.terms import EventKind
from ..letters import LetterLine, PlanAgreement, sender_from
from ..ports import Documents, EmailSender, History, PermanentProviderError

logger = logging.getLogger("relance.plan_agreement")

SENT = EventKind.PLAN_AGREEMENT_SENT
KEPT = EventKind.PLAN_AGREEMENT_KEPT


def agreement_for(rules: Rules, customer: Customer, invoices: Sequence[Invoice],
                  installments: Sequence[tuple[date, Decimal]], agreed_on: date, *, how: str, link_id: str = "",
                  agreed_by: str = "", grace_days: int = 3, broken_after_days: int = 8,
                  payment_reference: str = "") -> PlanAgreement:
    """The agreement's facts from the data: the rules' company, the customer, the invoices as they stand."""
    return PlanAgreement(
        creditor=sender_from(rules.company), debtor_name=customer.name, debtor_address=customer.address,
        invoices=tuple(LetterLine(i.id, i.issue_date, i.due_date, i.amount, i.amount_due)
                       for i in sorted(invoices, key=lambda i: (i.due_date, i.id))),
        installments=tuple(installments), agreed_on=agreed_on, how=how, link_id=link_id, agreed_by=agreed_by,
        debtor_kind=str(customer.kind), debtor_legal_form=customer.legal_form, debtor_siren=customer.siren,
        language=customer.language or "fr", grace_days=grace_days, broken_after_days=broken_after_days,
        free_of_charge=how == "portal", payment_reference=payment_reference)


@dataclass(frozen=True, slots=True)
class AgreementOutcome:
    document: str  # its key in the documents bucket
    sent: bool  # e-mailed to the debtor
    provider_id: str = ""
    reason: str = ""  # why it was not sent


def document_key(customer_id: str, agreement: PlanAgreement, pdf: bytes) -> str:
    digest = hashlib.sha256(pdf).hexdigest()[:10]
    return f"plans/{customer_id}/echeancier-{agreement.agreed_on.isoformat()}-{digest}.pdf"


def _render_default(agreement: PlanAgreement, rules_dir: Path | None) -> bytes:
    from ..letters.agreement import render_agreement  # fpdf2: only where an agreement is written

    return render_agreement(agreement, rules_dir)


def send_agreement(agreement: PlanAgreement, *, customer: Customer, rules: Rules, documents: Documents,
                   history: History, sender: EmailSender | None, on: date, now: Callable[[], datetime],
                   render: Callable[[PlanAgreement, Path | None], bytes] = _render_default,
                   rules_dir: Path | None = None) -> AgreementOutcome:
    """Write, keep and send the agreement; one history event per invoice, dated ``on`` (the company's day), says
    which: sent, or only kept."""
    from ..texts import render_text

    pdf = render(agreement, rules_dir)
    key = document_key(customer.id, agreement, pdf)
    documents.put(key, pdf, "application/pdf")
    english = not is_french(agreement.language)
    outcome = AgreementOutcome(key, False, reason="no e-mail address")
    company = rules.company
    if customer.email and sender is not None and company.email:
        lang = "en" if english else "fr"
        count = len(agreement.installments)
        first = {"due_date": agreement.installments[0][0], "amount": agreement.installments[0][1]}
        text = render_text(f"echeancier-courriel.{lang}.txt.j2", {
            "customer": customer, "agreement": agreement, "count": count, "first": first, "company": company,
            "lang": lang}, rules_dir)
        subject, _, body = text.partition("\n---\n")
        filename = f"{'payment-plan' if english else 'echeancier'}-{agreement.agreed_on.isoformat()}.pdf"
        try:
            raw = build_email(sender_name=company.name, sender=company.email, to=[customer.email],
                              subject=subject.strip(), text=body.strip() + "\n",
                              reply_to=customer.account_manager or company.email, attachments=[(filename, pdf)],
                              message_id=f"plan-{Path(key).stem}", sent_at=now(), language=lang)
            provider_id = sender.send(raw=raw, sender=company.email, to=[customer.email],
                                      reply_to=customer.account_manager or company.email,
                                      tags={"message_key": f"plan-{agreement.agreed_on.isoformat()}",
                                            "customer": customer.id})
            outcome = AgreementOutcome(key, True, provider_id=provider_id)
        except (HeaderError, PermanentProviderError) as err:
            outcome = AgreementOutcome(key, False, reason=str(err))
    elif customer.email:
        outcome = AgreementOutcome(key, False, reason="no sender configured")
    at = now().isoformat(timespec="seconds")
    details = {"document": key, "at": at, "agreed_on": agreement.agreed_on.isoformat()}
    if outcome.sent:
        details |= {"channel": "email", "provider": "ses", "provider_id": outcome.provider_id}
    else:
        details |= {"reason": outcome.reason}
    history.append_events([{"invoice": line.invoice, "kind": str(SENT if outcome.sent else KEPT),
                            "date": on.isoformat(), **details} for line in agreement.invoices])
    return outcome


def portal_agreement(*, rules: Rules, documents: Documents, history: History, sender: EmailSender | None,
                     today: Callable[[], date], now: Callable[[], datetime],
                     render: Callable[[PlanAgreement, Path | None], bytes] = _render_default,
                     ) -> Callable[[Customer, Sequence[Invoice], PaymentPlan, str], str]:
    """The portal's hook for a plan accepted at once: the written échéancier, sent; answers, in French, what the
    account manager should know of it. The plan stands whatever becomes of its writing: a failure to write or
    send it is said to the account manager (and logged), never turned into an error page for the debtor."""
    from ..domain.portal import transfer_for

    def agreement(customer: Customer, invoices: Sequence[Invoice], plan: PaymentPlan, link_id: str) -> str:
        reference = transfer_for(rules.company, [(i.id, i.amount_due) for i in invoices], customer.id).reference
        written = agreement_for(rules, customer, invoices, [(i.due_date, i.amount) for i in plan.installments],
                                plan.agreed_on, how="portal", link_id=link_id,
                                grace_days=rules.payment_plans.grace_days,
                                broken_after_days=rules.payment_plans.broken_after_days,
                                payment_reference=reference)
        try:
            outcome = send_agreement(written, customer=customer, rules=rules, documents=documents, history=history,
                                     sender=sender, on=today(), now=now, render=render)
        except Exception as err:  # the plan is recorded: a person sends its writing, told below
            logger.exception("plan agreement not written", extra={"customer": customer.id})
            return f"L’échéancier écrit n’a pas pu être produit ({type(err).__name__}) : adressez-le-lui."
        if outcome.sent:
            return "L’échéancier écrit lui a été envoyé par e-mail et il est conservé avec les documents."
        return (f"L’échéancier écrit est conservé avec les documents ({outcome.document}) mais ne lui a pas été "
                f"envoyé ({outcome.reason}) : adressez-le-lui.")

    return agreement


def staff_agreement(*, rules: Rules, customer_of: Callable[[str], Customer | None], documents: Documents,
                    history: History, sender: EmailSender | None, today: Callable[[], date],
                    now: Callable[[], datetime], agreed_by: str = "",
                    render: Callable[[PlanAgreement, Path | None], bytes] = _render_default,
                    ) -> Callable[[Invoice, PaymentPlan, str], None]:
    """The ``PlanAgreement`` hook of ``app.plans.agree_plan`` for a plan agreed by staff (``relance invoice plan``):
    the written échéancier of that invoice, kept and sent as the portal's are. ``agreed_by``: who agreed it, as the
    agreement names them (« Claire Martin »), or nobody in particular."""
    from ..domain.portal import transfer_for

    def agreement(invoice: Invoice, plan: PaymentPlan, by: str) -> None:
        customer = customer_of(invoice.customer_id)
        if customer is None:
            return
        reference = transfer_for(rules.company, [(invoice.id, invoice.amount_due)], customer.id).reference
        how = "portal" if by.startswith("portal") else "staff"
        written = agreement_for(rules, customer, [invoice], [(i.due_date, i.amount) for i in plan.installments],
                                plan.agreed_on, how=how, agreed_by=agreed_by,
                                grace_days=rules.payment_plans.grace_days,
                                broken_after_days=rules.payment_plans.broken_after_days, payment_reference=reference)
        send_agreement(written, customer=customer, rules=rules, documents=documents, history=history, sender=sender,
                       on=today(), now=now, render=render)

    return agreement
