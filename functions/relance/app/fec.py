"""Reconcile relance with the books: where the FEC and relance disagree about what is still owed.

An invoice is matched by its number (PieceRef = relance's invoice id). The books are read from the lettrage of
the customer accounts (``imports.fec``), relance from what it holds. Nothing is changed on either side: the
report lists each disagreement for a person (a French CSV, « ; », UTF-8 with BOM), and never a due date —
the FEC has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..csvsafe import french_csv, neutralise
from ..domain.model import Book, Invoice
from ..imports.fec import Fec, OpenItem, open_items

TOLERANCE = Decimal("0.01")

SETTLED_IN_BOOKS = "soldée en comptabilité, ouverte dans relance"
OPEN_IN_BOOKS = "ouverte en comptabilité, soldée dans relance"
AMOUNTS_DIFFER = "reste dû différent"
DOUBTFUL = "passée en créance douteuse (416) : toujours due, relance la poursuit"
UNKNOWN_TO_RELANCE = "ouverte en comptabilité, inconnue de relance"
MISSING_FROM_FEC = "ouverte dans relance, absente du FEC"
UNLETTERED_PAYMENT = "règlement non lettré (crédit client sans facture)"
OPENING = "à-nouveau : solde d’ouverture du client, non détaillé par facture"
OTHER_CUSTOMER = "compte client différent"


@dataclass(frozen=True, slots=True)
class Finding:
    invoice: str
    customer: str  # CompAuxNum, or relance's customer id
    books: Decimal | None  # open in the books (411 + 416); None: not in the FEC
    relance: Decimal | None  # relance's amount due; None: unknown to relance
    relance_status: str
    finding: str  # French


def _relance_open(invoice: Invoice) -> Decimal:
    return Decimal(0) if invoice.status in ("paid", "cancelled") else invoice.amount_due


def reconcile(fec: Fec, book: Book) -> list[Finding]:
    items = open_items(fec)
    by_piece: dict[str, list[OpenItem]] = {}
    for item in items.values():
        by_piece.setdefault(item.piece, []).append(item)
    invoices = {i.id: i for i in book.invoices}
    found: list[Finding] = []
    for piece, its in sorted(by_piece.items()):
        books = sum((i.open for i in its), Decimal(0))
        customer = its[0].customer
        invoice = invoices.get(piece)
        if invoice is None:  # not one of our invoices: each customer's line on its own (« - » for à-nouveaux)
            for item in sorted(its, key=lambda i: i.customer):
                if item.opening and item.open:
                    found.append(Finding(piece, item.customer, item.open, None, "", OPENING))
                elif item.open < -TOLERANCE:
                    found.append(Finding(piece, item.customer, item.open, None, "", UNLETTERED_PAYMENT))
                elif item.open > TOLERANCE:
                    found.append(Finding(piece, item.customer, item.open, None, "", UNKNOWN_TO_RELANCE))
            continue
        ours = _relance_open(invoice)
        if customer != invoice.customer_id:
            found.append(Finding(piece, customer, books, ours, invoice.status,
                                 f"{OTHER_CUSTOMER} : {customer} en comptabilité, {invoice.customer_id} dans relance"))
        if books <= TOLERANCE and ours > TOLERANCE:
            found.append(Finding(piece, customer, books, ours, invoice.status, SETTLED_IN_BOOKS))
        elif books > TOLERANCE and ours <= TOLERANCE:
            found.append(Finding(piece, customer, books, ours, invoice.status, OPEN_IN_BOOKS))
        elif abs(books - ours) > TOLERANCE:
            found.append(Finding(piece, customer, books, ours, invoice.status, AMOUNTS_DIFFER))
        if any(i.open_416 > TOLERANCE for i in its) and ours > TOLERANCE:
            found.append(Finding(piece, customer, books, ours, invoice.status, DOUBTFUL))
    in_fec = set(by_piece)
    for invoice in sorted(book.invoices, key=lambda i: i.id):
        issued_in_period = fec.first_day is None or invoice.issue_date >= fec.first_day
        if invoice.id not in in_fec and _relance_open(invoice) > TOLERANCE and issued_in_period:
            found.append(Finding(invoice.id, invoice.customer_id, None, _relance_open(invoice), invoice.status,
                                 MISSING_FROM_FEC))
    return found


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def findings_csv(findings: list[Finding]) -> bytes:
    return french_csv([("facture", "client", "solde comptable", "reste dû relance", "statut relance", "constat"),
                       *((neutralise(f.invoice), neutralise(f.customer), _amount(f.books), _amount(f.relance),
                          neutralise(f.relance_status), neutralise(f.finding)) for f in findings)])
