"""The debtor portal's pure parts: its rule section, how long a link lives, what a debtor may choose, and the
bank transfer details (structured reference, EPC QR code payload).

No clock, no I/O: the day and the rules are arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .plans import Installment

# The reasons a debtor may give for contesting an invoice when the rules declare none: key → what the debtor reads.
DEFAULT_DISPUTE_REASONS: tuple[tuple[str, str], ...] = (
    ("not_received", "Marchandise ou prestation non reçue"),
    ("defective", "Travaux ou marchandise non conformes"),
    ("amount", "Montant contesté"),
    ("already_paid", "Facture déjà réglée"),
    ("other", "Autre motif"),
)

# Channels whose message travels by post: the link must outlive the post and the time to act on it.
POSTAL = ("letter", "registered_letter")


@dataclass(frozen=True, slots=True)
class PortalPolicy:
    """The rules' ``portal`` section: every key has a default, so rules without the section get the portal too."""

    link_days: int = 30  # an e-mail's or a call script's link
    letter_link_days: int = 60  # a letter's: the post (up to a week) plus the time the debtor takes to answer
    promise_max_days: int = 30  # a promise to pay: at most this many days after the day it is made
    dispute_pause_days: int = 15  # a dispute from the portal pauses reminders this long, pending a review
    dispute_reasons: tuple[tuple[str, str], ...] = DEFAULT_DISPUTE_REASONS
    online_payment: bool = True  # the « Payer en ligne » button (card and SEPA Debit via Stripe Checkout)

    def link_seconds(self, channel: str) -> int:
        return 86400 * (self.letter_link_days if channel in POSTAL else self.link_days)

    def reason_label(self, key: str) -> str | None:
        return dict(self.dispute_reasons).get(key)


@dataclass(frozen=True, slots=True)
class Choice:
    """What a debtor chose, checked: ``problem`` is what the page tells them (French), empty when accepted."""

    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def check_promise(policy: PortalPolicy, today: date, until: date | None) -> Choice:
    latest = today + timedelta(days=policy.promise_max_days)
    if until is None:
        return Choice("Indiquez une date de paiement.")
    if until < today:
        return Choice("La date promise ne peut pas être passée.")
    if until > latest:
        return Choice(f"La date promise doit tomber au plus tard le {latest.strftime('%d/%m/%Y')} "
                      f"({policy.promise_max_days} jours).")
    return Choice()


def check_dispute(policy: PortalPolicy, reason: str, comment: str) -> Choice:
    if policy.reason_label(reason) is None:
        return Choice("Choisissez un motif dans la liste.")
    if len(comment) > 2000:
        return Choice("Votre commentaire dépasse 2 000 caractères : raccourcissez-le.")
    return Choice()


# A plan the debtor asks for is a request a person answers (SPEC §2.9's self-service comes with the plans
# themselves): the debtor proposes how many monthly installments, within this bound.
MAX_REQUESTED_INSTALLMENTS = 12


def check_plan_request(installments: int | None, comment: str) -> Choice:
    if installments is None or not 2 <= installments <= MAX_REQUESTED_INSTALLMENTS:
        return Choice(f"Choisissez entre 2 et {MAX_REQUESTED_INSTALLMENTS} échéances.")
    if len(comment) > 2000:
        return Choice("Votre commentaire dépasse 2 000 caractères : raccourcissez-le.")
    return Choice()


def even_installments(total: Decimal, count: int, first: date, *, every_days: int = 30) -> list[Installment]:
    """``count`` installments of ``total``, ``every_days`` apart from ``first``; the cents left go to the last."""
    share = (total / count).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    amounts = [share] * (count - 1) + [total - share * (count - 1)]
    return [Installment(first + timedelta(days=every_days * k), amounts[k]) for k in range(count)]


# -- bank transfer ------------------------------------------------------------------------------------------

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _iso7064(text: str) -> int:
    digits = "".join(str(_ALNUM.index(c)) for c in text)
    return int(digits) % 97


def creditor_reference(base: str) -> str:
    """The ISO 11649 structured creditor reference (« RF » + 2 check digits + up to 21 letters or digits) for
    ``base``: banks check it, so a mistyped reference is refused at the debtor's bank, not lost at ours."""
    cleaned = "".join(c for c in base.upper() if c in _ALNUM)[:21] or "0"
    check = 98 - _iso7064(cleaned + "RF00")
    return f"RF{check:02d}{cleaned}"


def reference_is_valid(reference: str) -> bool:
    text = reference.replace(" ", "").upper()
    return (len(text) >= 5 and text.startswith("RF") and all(c in _ALNUM for c in text)
            and _iso7064(text[4:] + text[:4]) == 1)


def grouped(text: str, size: int = 4) -> str:
    return " ".join(text[i:i + size] for i in range(0, len(text), size))


@dataclass(frozen=True, slots=True)
class Transfer:
    """What a debtor types in their bank (or scans): beneficiary, IBAN, BIC, amount and structured reference."""

    name: str
    iban: str
    bic: str
    amount: Decimal
    reference: str
    invoices: Sequence[str] = field(default_factory=tuple)

    def epc_payload(self) -> str:
        """The European Payments Council's « SEPA Credit Transfer » QR code content (EPC069-12, version 002):
        read by most European banking apps to fill a transfer in. Amount in euros, 0.01 to 999 999 999.99."""
        amount = f"EUR{self.amount:.2f}" if Decimal("0.01") <= self.amount <= Decimal("999999999.99") else ""
        lines = ["BCD", "002", "1", "SCT", self.bic, self.name[:70], self.iban.replace(" ", ""), amount, "",
                 self.reference, ""]
        return "\n".join(lines).rstrip("\n")


def transfer_for(company: object, invoices: Sequence[tuple[str, Decimal]], customer_id: str) -> Transfer:
    """The transfer settling ``invoices`` ((id, amount due) pairs): one invoice → a reference made from its id,
    several → one from the customer's id (the payment is then matched by the amount, as today)."""
    ids = [i for i, _ in invoices]
    base = ids[0] if len(ids) == 1 else f"C{customer_id}"
    return Transfer(name=getattr(company, "name", ""), iban=getattr(company, "iban", ""),
                    bic=getattr(company, "bic", ""), amount=sum((a for _, a in invoices), Decimal(0)),
                    reference=creditor_reference(base), invoices=tuple(ids))
