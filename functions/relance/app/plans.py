"""Agreeing a payment plan (SPEC §2.9): one use case for the staff command and the portal's self-service.

The plan is checked against the invoice as it stands (what was due on ``agreed_on``), kept on the invoice with
the ``plan_agreed`` event — the plan, who agreed it and when — and then handed to ``agreement`` (the written
« échéancier » sent to the debtor and kept with the documents), which is not this module's business.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from ..domain.plans import AGREED_BY_PORTAL, AGREED_BY_STAFF, PaymentPlan, amount_due_on, plan_to_dict, sum_problem
from ..ports import PlanAgreement, PlanLedger
from .manual import usable_invoice

AGREED_BY = (AGREED_BY_STAFF, AGREED_BY_PORTAL)


class PlanRefused(ValueError):
    """Why a plan cannot be agreed on this invoice, in French (what the staff command or the page says)."""


def agree_plan(store: PlanLedger, invoice_id: str, plan: PaymentPlan, by: str, at: datetime,
               agreement: PlanAgreement | None = None, *, who: str = "") -> PaymentPlan:
    """Record ``plan`` on the invoice; the plan recorded. ``by``: ``staff`` or ``portal_self_service``; ``who``:
    the person or the portal link's id, kept on the event as evidence; ``at``: when it was agreed.

    Raises :class:`app.manual.UnknownInvoice`, :class:`app.manual.UnusableInvoice` or :class:`PlanRefused`.
    """
    if by not in AGREED_BY:
        raise ValueError(f"by: {by!r} is not one of {AGREED_BY}")
    invoice = usable_invoice(store, invoice_id)
    if invoice.payment_plan is not None:
        raise PlanRefused(f"la facture {invoice.id} a déjà un échéancier, convenu le "
                          f"{invoice.payment_plan.agreed_on:%d/%m/%Y}")
    if invoice.status != "open" or invoice.amount_due <= 0 or invoice.paid_on is not None:
        raise PlanRefused(f"la facture {invoice.id} n’est pas ouverte (statut {invoice.status}, reste dû "
                          f"{invoice.amount_due:.2f}) : pas d’échéancier")
    problem = sum_problem(plan, amount_due_on(invoice.amount_due, invoice.payments, plan.agreed_on))
    if problem:
        raise PlanRefused(f"facture {invoice.id} : {problem}")
    details = {"plan": json.dumps(plan_to_dict(plan), separators=(",", ":")), "by": by, "who": who,
               "agreed_at": at.astimezone(UTC).isoformat(timespec="seconds"),
               "installments": str(len(plan.installments)), "amount": f"{plan.total:.2f}"}
    if not store.record_payment_plan(invoice.id, plan, on=plan.agreed_on, details=details):
        raise PlanRefused(f"la facture {invoice.id} a changé entre-temps (soldée, contestée ou déjà sous "
                          "échéancier) : rien n’a été enregistré")
    if agreement is not None:
        agreement(replace(invoice, payment_plan=plan, promise_to_pay_until=None), plan, by)
    return plan
