"""Postal letters: what a letter says (a value), its PDF layout, and the postal provider port."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

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
