"""The written payment plan agreement (« échéancier », SPEC §2.9) as a PDF, in French or in English.

Pure: a :class:`~relance.letters.PlanAgreement` in, PDF bytes out (the same agreement gives the same bytes). What
it says is in ``texts/templates/echeancier.<fr|en>.j2`` (a rules directory may override them); this module gathers
what the templates read and lays the blocks out in the dossier's house style (A4, the creditor's letterhead on
every page, « Page n/N »).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..domain.fmt import group_siren, is_french
from ..domain.mentions import identity_text
from ..litigation.documents import _DossierPdf, _lay_out
from ..texts import render_blocks
from ..texts.french import is_individual
from . import PlanAgreement


class AgreementMismatch(ValueError):
    """The installments do not add up to the balance: no agreement is written that says otherwise."""


class _AgreementPdf(_DossierPdf):
    versus = " / "  # two parties to an agreement, not a case


class _EnglishAgreementPdf(_AgreementPdf):
    lang = "en-GB"


def language_of(agreement: PlanAgreement) -> str:
    """French for French-speaking debtors, English for every other."""
    return "fr" if is_french(agreement.language) else "en"


def render_agreement(agreement: PlanAgreement, rules_dir: Path | None = None) -> bytes:
    total = sum((amount for _, amount in agreement.installments), Decimal(0))
    if not agreement.installments or total != agreement.balance:
        raise AgreementMismatch(f"the installments add up to {total}, the balance is {agreement.balance}")
    language = language_of(agreement)
    blocks = render_blocks(f"echeancier.{language}.j2", _context(agreement, language), rules_dir)
    style = _AgreementPdf if language == "fr" else _EnglishAgreementPdf
    return bytes(_lay_out(agreement, blocks, style=style).output())


def _context(a: PlanAgreement, language: str) -> dict[str, Any]:
    c = a.creditor
    siren = group_siren(a.debtor_siren).replace(" ", "\u00a0") if a.debtor_siren else ""
    return {
        "creditor": c, "identity": identity_text(c, language),
        "creditor_individual": is_individual(c.legal_form),
        "debtor": SimpleNamespace(name=a.debtor_name, address=a.debtor_address, legal_form=a.debtor_legal_form,
                                  siren=siren),
        "consumer": a.debtor_kind == "consumer",
        "invoices": a.invoices, "invoices_total": a.balance, "balance": a.balance,
        "installments": [SimpleNamespace(number=k, due_date=day, amount=amount)
                         for k, (day, amount) in enumerate(a.installments, start=1)],
        "total": sum((amount for _, amount in a.installments), Decimal(0)),
        "agreed_on": a.agreed_on, "how": a.how, "link_id": a.link_id, "agreed_by": a.agreed_by,
        "grace_days": a.grace_days, "broken_after_days": a.broken_after_days,
        "interest_waived": a.interest_waived, "free_of_charge": a.free_of_charge,
        "reference": a.payment_reference, "lang": language,
    }
