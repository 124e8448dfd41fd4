"""The invoice's exhibit: the file a debtor or a judge is shown as « the invoice ».

``invoices/<id>.pdf`` in the documents bucket — a PDF put there by the company, or a Factur-X PDF imported as an
e-invoice — else ``invoices/<id>.xml``, the original of an e-invoice received as UBL or CII XML (``app.einvoices``).
The e-mails attach it (``app.deliver``: within ``EMAIL_ATTACHMENTS_MAX_BYTES``), the injonction de payer dossier
lists and carries it (``app.litigation``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ports import Documents

# What one e-mail carries at most in attachments, before encoding: 10 MB (about 13.4 MB once base64-encoded),
# well under SES's 40 MB per message and under the 20–25 MB most receiving servers accept. An exhibit that would
# go beyond is left out and named on the ``sent`` event — the message still goes (the portal link shows a PDF one).
EMAIL_ATTACHMENTS_MAX_BYTES = 10_000_000


@dataclass(frozen=True, slots=True)
class Exhibit:
    invoice_id: str
    extension: str  # "pdf" or "xml"
    data: bytes


def exhibit_keys(invoice_id: str) -> tuple[str, str]:
    """Where the exhibit is looked for, in order: the PDF, then the e-invoice's XML."""
    return f"invoices/{invoice_id}.pdf", f"invoices/{invoice_id}.xml"


def invoice_exhibit(documents: Documents | None, invoice_id: str) -> Exhibit | None:
    if documents is None:
        return None
    for key in exhibit_keys(invoice_id):
        data = documents.get(key)
        if data:
            return Exhibit(invoice_id, key.rsplit(".", 1)[-1], data)
    return None


def email_attachments(exhibits: list[Exhibit], word: str,
                      budget: int = EMAIL_ATTACHMENTS_MAX_BYTES) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The attachments of one e-mail (``<word>-<invoice>.<ext>``, in order, within ``budget`` bytes) and the
    invoices whose exhibit was left out for size."""
    attached, left_out, used = [], [], 0
    for exhibit in exhibits:
        if used + len(exhibit.data) > budget:
            left_out.append(exhibit.invoice_id)
            continue
        attached.append((f"{word}-{exhibit.invoice_id}.{exhibit.extension}", exhibit.data))
        used += len(exhibit.data)
    return attached, left_out
