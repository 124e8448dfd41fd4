"""The original e-invoice is the invoice's exhibit — a Factur-X PDF, and now a UBL or CII XML too: kept as such on
import, attached to the e-mails (within the size budget), listed and carried in the injonction de payer dossier.
Samples: factur-x's own test fixtures (tests/support/einvoices, BSD)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

from relance.app.einvoices import import_einvoice
from relance.app.exhibits import EMAIL_ATTACHMENTS_MAX_BYTES, Exhibit, email_attachments, invoice_exhibit
from relance.domain.email import build_email
from relance.litigation.dossier import build_dossier
from tests.support.fake_store import FakeDocuments, FakeStore

SAMPLES = Path(__file__).parents[1] / "support" / "einvoices"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_a_ubl_file_becomes_the_invoice_s_exhibit_as_xml():
    documents = FakeDocuments()
    done = import_einvoice(sample("ubl-21-en16931.xml"), FakeStore(), documents)

    assert done.exhibit and documents.get("invoices/F124212.xml") == sample("ubl-21-en16931.xml")
    found = invoice_exhibit(documents, "F124212")
    assert (found.extension, found.data) == ("xml", sample("ubl-21-en16931.xml"))


def test_a_cii_file_becomes_the_exhibit_and_a_pdf_already_there_wins():
    documents = FakeDocuments()
    cii = sample("factur-x-en16931.xml")
    done = import_einvoice(cii, FakeStore(), documents)
    assert done.exhibit and invoice_exhibit(documents, done.invoice).data == cii

    other = FakeDocuments()
    other.put(f"invoices/{done.invoice}.pdf", b"%PDF-1.4 the company's own", "application/pdf")
    again = import_einvoice(cii, FakeStore(), other)
    assert not again.exhibit and other.get(f"invoices/{done.invoice}.xml") is None
    assert invoice_exhibit(other, done.invoice).extension == "pdf"


def test_the_e_mail_carries_the_xml_as_an_xml_attachment():
    xml = sample("ubl-21-en16931.xml")
    attachments, left_out = email_attachments([Exhibit("F124212", "xml", xml)], "Facture")
    raw = build_email(sender_name="Atelier", sender="compta@atelier.example", to=["client@example.fr"],
                      subject="Relance", text="Bonjour", attachments=attachments)
    mail = message_from_bytes(raw, policy=policy.default)
    (part,) = list(mail.iter_attachments())

    assert left_out == []
    assert (part.get_filename(), part.get_content_type()) == ("Facture-F124212.xml", "application/xml")
    assert part.get_content() in (xml, xml.decode("utf-8"))


def test_exhibits_beyond_the_e_mail_budget_are_left_out_and_named():
    big = Exhibit("F1", "pdf", b"%PDF-" + b"x" * (EMAIL_ATTACHMENTS_MAX_BYTES - 1000))
    small = Exhibit("F2", "xml", b"<Invoice/>")
    also_big = Exhibit("F3", "pdf", b"%PDF-" + b"x" * 5000)

    attachments, left_out = email_attachments([big, also_big, small], "Facture")

    assert [name for name, _ in attachments] == ["Facture-F1.pdf", "Facture-F2.xml"]
    assert left_out == ["F3"]


def test_the_dossier_lists_the_xml_exhibit_and_carries_the_file(tmp_path):
    from relance.domain.claim import compute_claim, rates_of
    from relance.domain.model import Address, Customer, Invoice
    from relance.rules.loader import load_rules
    from tests.conftest import SAMPLE_RULES

    rules = load_rules(SAMPLE_RULES).rules
    xml = sample("ubl-21-en16931.xml")
    invoice = Invoice("F124212", "787878784", date(2026, 6, 17), date(2026, 7, 16), Decimal("308.03"),
                      Decimal("208.03"))
    customer = Customer("787878784", "Ma jolie boutique SARL", "business", siren="787878784",
                        address=Address("12 rue de la République", "", "69002", "Lyon", "FR"))
    claim = compute_claim(invoice, customer, rules.legal, date(2026, 12, 1), rates_of(rules))

    archive, manifest = build_dossier(rules=rules, invoice=invoice, customer=customer, claim=claim,
                                      on=date(2026, 12, 1), chronology=[], invoice_pdfs={"F124212": xml},
                                      notice=None, proof=None)

    files = {name.split("/", 1)[1]: name for name in zipfile.ZipFile(io.BytesIO(archive)).namelist()}
    assert "pieces/piece-01-facture-F124212.xml" in files
    assert zipfile.ZipFile(io.BytesIO(archive)).read(files["pieces/piece-01-facture-F124212.xml"]) == xml
    assert "piece-01-facture-F124212.xml" not in manifest["missing"]
    guide = zipfile.ZipFile(io.BytesIO(archive)).read(files["00-LISEZ-MOI.txt"]).decode()
    assert "facture électronique, fichier XML original" in guide
