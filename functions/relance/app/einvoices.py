"""Import one e-invoice (Factur-X PDF, CII or UBL XML): its customer, its invoice, its original file.

Precedence, as for an accounting export (``domain.reconcile``), plus one rule for the customer:

* the invoice goes through ``upsert_invoices`` like a CSV row: the e-invoice owns the accounting figures,
  relance keeps what it recorded (payments, statuses set by people, history), every disagreement is reported;
* the customer: what relance already holds (from the customers export, or people) is kept; the e-invoice only
  fills what is blank (SIREN, address, e-mail, name). A different SIREN is reported, never written;
* the original file is kept in the documents bucket, content-addressed under ``einvoices/<invoice>/``, never
  overwritten; it is also the invoice's exhibit (``app.exhibits``: attached to the e-mails, listed and carried in
  the injonction de payer dossier) unless one is already there — ``invoices/<invoice>.pdf`` for a Factur-X PDF,
  ``invoices/<invoice>.xml`` for a UBL or CII file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from ..domain.legal import payment_terms_problem
from ..domain.model import Customer
from ..imports import parse_export
from ..imports.parsed import RowError
from ..ports import Documents, ImportStore
from .exhibits import exhibit_keys, invoice_exhibit
from .importing import ImportReport

_SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")


def fill_customer(known: Customer | None, read: Customer) -> tuple[Customer, list[str]]:
    """The customer to store: ``known`` with its blanks filled from the e-invoice; notes (French) on conflicts."""
    if known is None:
        return read, []
    notes = []
    if known.siren and read.siren and known.siren != read.siren:
        notes.append(f"SIREN {read.siren} sur la facture électronique, {known.siren} dans relance : relance garde "
                     "le sien, vérifiez le client")
    address = known.address if (known.address.line1 or known.address.postal_code) else read.address
    return replace(known, name=known.name or read.name, siren=known.siren or read.siren,
                   email=known.email or read.email, address=address), notes


def original_keys(invoice_id: str, data: bytes) -> tuple[str, str] | None:
    """(where the original is kept, the exhibit's key) — ``None`` for an id no object key should carry."""
    if not _SAFE_KEY.fullmatch(invoice_id) or ".." in invoice_id:
        return None
    is_pdf = data.lstrip()[:5] == b"%PDF-"
    digest = hashlib.sha256(data).hexdigest()[:16]
    pdf, xml = exhibit_keys(invoice_id)
    return f"einvoices/{invoice_id}/{digest}{'.pdf' if is_pdf else '.xml'}", pdf if is_pdf else xml


@dataclass(slots=True)
class EInvoiceImport:
    report: ImportReport  # the invoice's outcome, disagreements and warnings, as for a CSV row
    invoice: str
    customer: str
    customer_outcome: str  # created, updated, unchanged
    kept: str = ""  # the original's key in the documents bucket ("" when not kept)
    exhibit: bool = False  # the file became the invoice's exhibit (invoices/<id>.pdf or .xml)

    def as_dict(self) -> dict[str, object]:
        return {**self.report.as_dict(), "invoice": self.invoice, "customer": self.customer,
                "customer_outcome": self.customer_outcome, "original": self.kept, "exhibit": self.exhibit}


def import_einvoice(data: bytes, store: ImportStore, documents: Documents | None) -> EInvoiceImport:
    """Raises ``ImportFileError`` (French) when the file is not a conforming e-invoice: nothing is written."""
    parsed = parse_export(data, fmt="einvoice")
    report = ImportReport("einvoices", parsed.rows)
    report.warnings.extend(RowError(n.row, parsed.invoices[0].id, n.reason) for n in parsed.notes)
    read_customer, invoice = parsed.customers[0], parsed.invoices[0]
    known = store.customers([read_customer.id]).get(read_customer.id)
    customer, notes = fill_customer(known, read_customer)
    report.warnings.extend(RowError(1, invoice.id, n) for n in notes)
    result = EInvoiceImport(report, invoice.id, customer.id, store.upsert_customers([customer])[0])
    terms = payment_terms_problem(invoice, customer)
    if terms:
        report.warnings.append(RowError(1, invoice.id, terms))
    upserted = store.upsert_invoices([invoice])[0]
    if upserted.outcome == "rejected":
        report.errors.append(RowError(1, "", upserted.reason))
        return result
    report.outcomes[upserted.outcome] += 1
    report.disagreements.extend((1, d) for d in upserted.disagreements)
    if documents is not None:
        keys = original_keys(invoice.id, data)
        if keys is None:
            report.warnings.append(RowError(1, invoice.id, "numéro de facture impropre à nommer un fichier : "
                                                           "l’original n’est pas conservé par relance"))
        else:
            kept, exhibit = keys
            is_pdf = kept.endswith(".pdf")
            documents.put(kept, data, "application/pdf" if is_pdf else "application/xml")
            result.kept = kept
            if invoice_exhibit(documents, invoice.id) is None:  # the company's own PDF, or an earlier one, stays
                documents.put(exhibit, data, "application/pdf" if is_pdf else "application/xml")
                result.exhibit = True
    return result
