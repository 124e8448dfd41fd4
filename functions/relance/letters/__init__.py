"""Postal letters: what a letter says (a value), its PDF layout, and the postal provider port."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ..domain.model import Address


@dataclass(frozen=True, slots=True)
class LetterLine:
    """One invoice in the letter's table."""

    invoice: str
    issue_date: date
    due_date: date
    amount: Decimal
    amount_due: Decimal


@dataclass(frozen=True, slots=True)
class Sender:
    name: str
    legal_form: str
    siren: str
    address: Address
    email: str = ""
    phone: str = ""
    iban: str = ""
    bic: str = ""
    signatory: str = ""
    rcs_city: str = ""
    share_capital: str = ""
    vat_number: str = ""


def capital_text(share_capital: str) -> str:
    """``"50000"`` → ``50 000 €``; cents only when there are some (``"1500,50"`` → ``1 500,50 €``)."""
    from ..domain.fmt import capital_in

    return capital_in(share_capital)


def registration_text(sender: Sender) -> str:
    """« RCS Lyon 841 273 659 » when the registry's city is known, else « SIREN 841 273 659 » (R123-237)."""
    from ..domain.mentions import registration_text as text

    return text(sender)


def identity_text(sender: Sender, language: str = "fr") -> str:
    """The creditor's legal identity on a business letter: form and capital, registration, VAT number."""
    from ..domain.mentions import identity_text as text

    return text(sender, language)


def sender_from(company: Any) -> Sender:
    """The creditor as its letters and dossiers show it, from the rules' ``company`` section."""
    return Sender(company.name, company.legal_form, company.siren, company.address, company.email, company.phone,
                  company.iban, company.bic, company.signatory, company.rcs_city, company.share_capital,
                  company.vat_number)


@dataclass(frozen=True, slots=True)
class LetterDocument:
    """Everything the PDF shows; built by the domain from the rules, the rendered template and the invoices."""

    sender: Sender
    recipient_name: str
    recipient_address: Address
    place: str  # « Fait à <ville> »
    date: date
    subject: str  # the « Objet : » line, without the prefix
    body: str  # paragraphs separated by blank lines (rendered template, French)
    lines: tuple[LetterLine, ...]
    registered: bool = False  # « Lettre recommandée avec accusé de réception » above the address
    reference: str = ""  # our reference (message key), printed small for the archive
    payment_reference: str = ""  # what the debtor quotes on the transfer
    total: Decimal = field(default=Decimal(0))
    # The debtor's other open invoices, listed for information under the sums the letter demands (SPEC §2.8).
    others: tuple[LetterLine, ...] = ()
    portal_link: str = ""  # the debtor's short portal link: printed with its QR code under the transfer details
    language: str = "fr"  # the language the body was written in: the PDF's own words follow it


@dataclass(frozen=True, slots=True)
class PlanAgreement:
    """The written payment plan agreement (« échéancier », SPEC §2.9): everything its PDF states, from the data.

    ``installments`` are ``(due date, amount)`` pairs that sum to the balance of ``invoices`` to the cent (the
    layout refuses them otherwise). ``how``: ``"portal"`` (the debtor chose it on their portal, through the link
    ``link_id``, and it was accepted at once) or ``"staff"`` (agreed with a person, ``agreed_by`` when known)."""

    creditor: Sender
    debtor_name: str
    debtor_address: Address
    invoices: tuple[LetterLine, ...]
    installments: tuple[tuple[date, Decimal], ...]
    agreed_on: date
    how: str = "staff"
    link_id: str = ""
    agreed_by: str = ""
    debtor_kind: str = "business"
    debtor_legal_form: str = ""
    debtor_siren: str = ""
    language: str = "fr"
    grace_days: int = 3
    broken_after_days: int = 8
    interest_waived: bool = False  # the agreement says interest stops; by default it keeps running (SPEC §2.9)
    free_of_charge: bool = False  # a self-service plan always is
    payment_reference: str = ""  # what the debtor quotes on each transfer

    @property
    def on(self) -> date:
        return self.agreed_on

    @property
    def balance(self) -> Decimal:
        return sum((line.amount_due for line in self.invoices), Decimal(0))
