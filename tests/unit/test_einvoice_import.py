"""E-invoices in: Factur-X PDFs, CII and UBL XML read into a customer and an invoice, under the import precedence.

The samples are the factur-x project's own test fixtures (tests/support/einvoices/, BSD licence in
LICENSE-factur-x.txt), and PDFs the factur-x library builds from them; the hostile files are made here.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfWriter

from relance.app.einvoices import import_einvoice
from relance.domain.model import Address, Customer, Invoice
from relance.imports import format_of, parse_export
from relance.imports.einvoice import MAX_PDF_BYTES, due_from_terms, read_einvoice
from relance.imports.parsed import ImportFileError
from tests.support.fake_store import FakeDocuments, FakeStore

SAMPLES = Path(__file__).parents[1] / "support" / "einvoices"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def facturx_pdf(xml: bytes) -> bytes:
    """A Factur-X PDF as the library builds it (it checks the XML against its XSD first)."""
    from facturx import generate_from_binary

    return generate_from_binary(blank_pdf(), xml, check_xsd=True)


def pdf_with_attachment(name: str, content: bytes) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment(name, content)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def refused(data: bytes) -> str:
    with pytest.raises(ImportFileError) as caught:
        read_einvoice(data)
    return str(caught.value)


# -- the real samples ---------------------------------------------------------------------------------------------

def test_the_en16931_factur_x_pdf_becomes_our_invoice_and_customer():
    store, documents = FakeStore(), FakeDocuments()
    pdf = sample("invoice_EN16931.pdf")

    done = import_einvoice(pdf, store, documents)

    invoice = store.invoice("F20260023")[0]
    assert (invoice.customer_id, invoice.issue_date, invoice.due_date, invoice.amount, invoice.amount_due,
            invoice.currency) == ("987654321", date(2026, 1, 31), date(2026, 3, 2), Decimal("104.90"),
                                  Decimal("104.90"), "EUR")
    assert invoice.extra["seller_iban"] == "FR2012542547256985425874698"
    customer = store.customers_by_id["987654321"]
    assert (customer.name, customer.siren, customer.kind, customer.email) == (
        "LE CLIENT", "987654321", "business", "buyer@buyer.com")
    assert customer.address == Address("MON ADRESSE LIGNE 1", "Buyer line 2 Buyer line 3", "06000", "MA VILLE", "FR")
    assert done.report.outcomes == {"created": 1} and done.customer_outcome == "created"
    # the original is kept, and the PDF is the exhibit the e-mails and the dossier attach
    assert documents.get(done.kept) == pdf and done.kept.startswith("einvoices/F20260023/")
    assert documents.get("invoices/F20260023.pdf") == pdf and done.exhibit


@pytest.mark.parametrize(("name", "syntax", "level"), [
    ("factur-x-en16931.xml", "CII", "en16931"), ("factur-x-extended.xml", "CII", "extended"),
    ("factur-x-basicwl.xml", "CII", "basicwl"), ("factur-x-minimum.xml", "CII", "minimum")])
def test_every_factur_x_profile_gives_the_same_invoice(name, syntax, level):
    read = read_einvoice(sample(name))

    assert (read.syntax, read.level) == (syntax, level)
    assert (read.invoice.id, read.invoice.amount_due, read.invoice.issue_date, read.customer.siren) == (
        "F20260023", Decimal("104.90"), date(2026, 1, 31), "987654321")


def test_a_minimum_profile_has_no_due_date_so_the_legal_default_is_used_and_said():
    read = read_einvoice(sample("factur-x-minimum.xml"))

    assert read.invoice.due_date == date(2026, 3, 2)  # 31/01 + 30 days
    assert len(read.warnings) == 1 and "30 jours après l’émission" in read.warnings[0]
    assert "L441-10" in read.warnings[0]


def test_a_ubl_invoice_is_read_with_its_prepaid_part_left_out_of_what_is_due():
    read = read_einvoice(sample("ubl-21-en16931.xml"))

    assert (read.syntax, read.invoice.id, read.invoice.issue_date, read.invoice.due_date) == (
        "UBL", "F124212", date(2026, 6, 17), date(2026, 7, 16))
    assert (read.invoice.amount, read.invoice.amount_due) == (Decimal("308.03"), Decimal("208.03"))
    assert (read.customer.id, read.customer.name, read.customer.siren) == (
        "787878784", "Ma jolie boutique SARL", "787878784")
    assert read.customer.address.city == "Lyon" and read.invoice.extra["seller_iban"] == "FR2012421242124212421242124"


@pytest.mark.parametrize("name", ["factur-x-extended.xml", "factur-x-minimum.xml"])
def test_a_pdf_the_library_builds_from_a_sample_is_read_back(name):
    pdf = facturx_pdf(sample(name))

    read = read_einvoice(pdf)

    assert (read.syntax, read.invoice.id, read.invoice.amount_due) == ("Factur-X", "F20260023", Decimal("104.90"))


def test_without_a_due_date_the_payment_terms_give_it():
    xml = re.sub(rb"<ram:DueDateDateTime>.*?</ram:DueDateDateTime>", b"", sample("factur-x-en16931.xml"),
                 flags=re.S)

    read = read_einvoice(xml)

    assert read.invoice.due_date == date(2026, 3, 2)  # « PAIEMENT 30 JOURS NET »
    assert "PAIEMENT 30 JOURS NET" in read.warnings[0]


@pytest.mark.parametrize(("terms", "due"), [
    ("30 jours net", date(2026, 3, 2)), ("45 jours fin de mois", date(2026, 3, 31)),
    ("Net 60", date(2026, 4, 1)), ("60 days", date(2026, 4, 1)), ("à réception", None)])
def test_payment_terms_read(terms, due):
    assert due_from_terms(date(2026, 1, 31), terms) == due


def test_the_e_invoice_is_chosen_by_its_suffix_in_the_formats_registry():
    assert format_of("imports/F-2026-1.pdf") == format_of("imports/f.XML") == "einvoice"
    parsed = parse_export(sample("factur-x-en16931.xml"), fmt="einvoice")
    assert (parsed.kind, [i.id for i in parsed.invoices], [c.id for c in parsed.customers]) == (
        "einvoices", ["F20260023"], ["987654321"])


# -- precedence ---------------------------------------------------------------------------------------------------

def test_a_known_customer_keeps_what_relance_holds_and_only_blanks_are_filled():
    store = FakeStore()
    store.upsert_customers([Customer(id="987654321", name="Le Client SAS", kind="business",
                                     email="compta@leclient.fr", address=Address("1 rue A", "", "75001", "Paris"))])

    done = import_einvoice(sample("factur-x-en16931.xml"), store, None)

    kept = store.customers_by_id["987654321"]
    assert (kept.name, kept.email, kept.address.city, kept.siren) == (
        "Le Client SAS", "compta@leclient.fr", "Paris", "987654321")
    assert done.customer_outcome == "updated"


def test_a_different_siren_is_reported_never_written():
    store = FakeStore()
    store.upsert_customers([Customer(id="987654321", name="Le Client", kind="business", siren="552100554")])

    done = import_einvoice(sample("factur-x-en16931.xml"), store, None)

    assert store.customers_by_id["987654321"].siren == "552100554"
    assert any("SIREN 987654321" in w.reason for w in done.report.warnings)


def test_an_invoice_relance_holds_paid_stays_paid_and_the_disagreement_is_reported():
    store = FakeStore()
    import_einvoice(sample("factur-x-en16931.xml"), store, None)
    store.apply_payment(provider="generic", event_id="bank-1", invoice_id="F20260023", amount=Decimal("104.90"),
                        currency="EUR", on=date(2026, 2, 10))

    again = import_einvoice(sample("invoice_EN16931.pdf"), store, FakeDocuments())

    assert store.invoice("F20260023")[0].status == "paid"
    assert again.report.disagreements and again.report.disagreements[0][1].field == "status"


def test_an_exhibit_already_there_is_not_replaced():
    documents = FakeDocuments()
    documents.put("invoices/F20260023.pdf", b"%PDF-1.4 the accounting's own", "application/pdf")

    done = import_einvoice(sample("invoice_EN16931.pdf"), FakeStore(), documents)

    assert documents.get("invoices/F20260023.pdf") == b"%PDF-1.4 the accounting's own" and not done.exhibit
    assert documents.get(done.kept) == sample("invoice_EN16931.pdf")


# -- malformed and hostile ------------------------------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">&x;
</rsm:CrossIndustryInvoice>"""

LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                     for n in range(1, 10))
          + b']><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol9;</Invoice>')


def test_an_external_entity_is_refused_before_anything_is_read():
    reason = refused(XXE)

    assert "DOCTYPE" in reason and "piégé" in reason
    assert "root:" not in reason


def test_a_billion_laughs_is_refused():
    assert "DOCTYPE" in refused(LAUGHS)


def test_an_entity_hidden_in_the_pdf_attachment_is_refused_too():
    assert "DOCTYPE" in refused(pdf_with_attachment("factur-x.xml", XXE))


def test_a_doctype_after_64_kib_of_padding_is_still_refused():
    padded = b'<?xml version="1.0"?>' + b"<!-- " + b"x" * 70000 + b" -->" + XXE.split(b"?>", 1)[1]

    assert "DOCTYPE" in refused(padded)


def test_a_pdf_without_xml_is_not_an_e_invoice():
    assert refused(blank_pdf()).startswith("ce PDF ne contient pas de XML Factur-X")


def test_a_50_mb_pdf_is_refused_by_its_size_without_being_read():
    big = b"%PDF-1.7\n" + b"0" * (50 * 1024 * 1024)

    reason = refused(big)

    assert reason == f"PDF trop volumineux (50,0\u00a0Mo ; {MAX_PDF_BYTES // 1024 // 1024},0\u00a0Mo au plus pour " \
                     "une facture électronique)"


def test_a_truncated_xml_says_where_it_breaks():
    assert refused(sample("factur-x-en16931.xml")[:5000]).startswith("XML illisible")


def test_a_damaged_pdf_is_said_unreadable():
    assert refused(b"%PDF-1.7\n%\xe2\xe3\n1 0 obj <<").startswith("PDF illisible")


def test_an_invoice_not_valid_against_the_xsd_is_refused_with_the_line():
    broken = sample("factur-x-en16931.xml").replace(b"<ram:TypeCode>380</ram:TypeCode>",
                                                    b"<ram:Typo>380</ram:Typo>", 1)

    reason = refused(broken)

    assert reason.startswith("facture non conforme au schéma Factur-X EN16931 (ligne ")


def test_a_credit_note_has_nothing_to_collect():
    credit = sample("factur-x-en16931.xml").replace(b"<ram:TypeCode>380</ram:TypeCode>",
                                                    b"<ram:TypeCode>381</ram:TypeCode>", 1)

    assert refused(credit) == "c’est un avoir (type de facture 381) : rien à relancer"


def test_zugferd_1_and_other_documents_are_refused_by_name():
    assert "zugferd" in refused(sample("zugferd-basic.xml"))
    assert "ni une facture CII" in refused(b"<note>hello</note>")


def test_an_empty_file_is_refused():
    assert refused(b"  \n") == "fichier vide"


def test_a_refused_file_leaves_what_is_stored_untouched():
    store = FakeStore()
    store.upsert_customers([Customer(id="987654321", name="Le Client", kind="business", email="a@b.fr")])
    store.upsert_invoices([Invoice("F20260023", "987654321", date(2026, 1, 31), date(2026, 3, 2), Decimal(100),
                                   Decimal(100))])
    before = (dict(store.customers_by_id), store.invoice("F20260023"))

    with pytest.raises(ImportFileError):
        import_einvoice(XXE, store, FakeDocuments())

    assert (dict(store.customers_by_id), store.invoice("F20260023")) == before
