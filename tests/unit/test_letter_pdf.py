"""The PDF letter, read back the way a debtor or a finance assistant would check it."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from relance.domain.fmt import group_siren
from relance.domain.model import Address
from relance.letters import LetterDocument, LetterLine, Sender
from relance.letters.pdf import (
    ADDRESS_BOX,
    PAGE_H,
    REGISTERED_MENTION,
    group_iban,
    recipient_lines,
    render_letter_pdf,
)

MM = 72 / 25.4  # PDF points per millimetre

SENDER = Sender(
    name="Atelier Bois & Fils", legal_form="SAS", siren="841273659",
    address=Address(line1="12 quai Saint-Vincent", postal_code="69001", city="Lyon"),
    email="compta@atelier-bois.fr", phone="04 78 12 34 56",
    iban="FR76 3000 6000 0112 3456 7890 189", bic="AGRIFRPP", signatory="Hélène Bois, Présidente",
)
BODY = """Madame, Monsieur,

Sauf erreur de notre part, nous n’avons pas encore reçu le règlement des factures récapitulées dans ce courrier, \
dont l’échéance est dépassée, pour un montant total de 1\u202f734,56\u202f€.

Si vous avez déjà réglé ces sommes, merci de ne pas tenir compte de ce « rappel ».
Notre service comptabilité se tient à votre disposition.

Nous vous prions d’agréer, Madame, Monsieur, l’expression de nos salutations distinguées."""
LINES = (
    LetterLine("F-2026-0101", date(2026, 9, 15), date(2026, 10, 15), Decimal("1234.56"), Decimal("1234.56")),
    LetterLine("F-2026-0117", date(2026, 9, 30), date(2026, 10, 30), Decimal("800.00"), Decimal("500.00")),
)


def letter(**changes) -> LetterDocument:
    doc = LetterDocument(
        sender=SENDER, recipient_name="Menuiserie Martin SARL",
        recipient_address=Address(line1="3 rue des Lilas", postal_code="69003", city="Lyon"),
        place="Lyon", date=date(2026, 11, 22),
        subject="Rappel – factures F-2026-0101, F-2026-0117 en attente de règlement", body=BODY, lines=LINES,
        reference="F-2026-0101/relance_2", payment_reference="MARTIN-F-2026-0101", total=Decimal("1734.56"),
    )
    return dataclasses.replace(doc, **changes)


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text, with the no-break spaces of French typography read as plain spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text().replace("\u202f", " ").replace("\u00a0", " ") for page in reader.pages]


def text_runs(pdf: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    """Each text run of a page with the (x, y) of its baseline start, in mm from the page's top-left corner."""
    runs: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            runs.append((text.strip(), tm[4] / MM, PAGE_H - tm[5] / MM))

    PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return runs


def text_positions(pdf: bytes, page: int = 0) -> dict[str, tuple[float, float]]:
    return {text: (x, y) for text, x, y in reversed(text_runs(pdf, page))}


@pytest.fixture(scope="module")
def standard() -> bytes:
    return render_letter_pdf(letter())


@pytest.fixture(scope="module")
def standard_text(standard: bytes) -> str:
    return "\n".join(pages_text(standard))


def test_a_two_invoice_reminder_fits_on_one_a4_page(standard):
    reader = PdfReader(io.BytesIO(standard))
    assert len(reader.pages) == 1
    width, height = (float(v) / MM for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (210, 297)


def test_the_sender_is_identified_with_its_siren_grouped_by_three(standard_text):
    assert "Atelier Bois & Fils" in standard_text
    assert "SAS – SIREN 841 273 659" in standard_text
    assert "compta@atelier-bois.fr" in standard_text


def test_a_company_with_its_registry_and_capital_prints_the_mentions_r123_237_asks_for():
    registered = dataclasses.replace(SENDER, rcs_city="Lyon", share_capital="50000", vat_number="FR08841273659")
    (first, *_) = pages_text(render_letter_pdf(letter(sender=registered)))
    text = first.replace("\u202f", " ")

    assert "SAS au capital de 50 000 € – RCS Lyon 841 273 659" in text  # the letterhead
    assert "TVA FR08841273659" in text  # the footer
    assert "SIREN 841 273 659" not in text


def test_the_debtor_address_is_printed_as_la_poste_wants_it(standard_text):
    assert "Menuiserie Martin SARL\n3 rue des Lilas\n69003 LYON" in standard_text


def test_place_date_and_subject(standard_text):
    assert "Lyon, le 22 novembre 2026" in standard_text and "Fait à" not in standard_text
    assert "Objet : Rappel – factures F-2026-0101, F-2026-0117 en attente de règlement" in standard_text
    assert "Réf. : F-2026-0101/relance_2" in standard_text


def test_french_text_keeps_its_accents_and_quotes(standard_text):
    assert "échéance" in standard_text
    assert "réglé" in standard_text
    assert "« rappel »" in standard_text
    assert "n’avons" in standard_text


def test_line_breaks_inside_a_paragraph_are_kept(standard_text):
    assert "« rappel ».\nNotre service comptabilité" in standard_text


def test_the_invoice_table_lists_each_invoice_with_french_amounts(standard_text):
    assert "Facture Date Échéance Montant TTC Reste dû" in standard_text
    assert "F-2026-0101 15/09/2026 15/10/2026 1 234,56 € 1 234,56 €" in standard_text
    assert "F-2026-0117 30/09/2026 30/10/2026 800,00 € 500,00 €" in standard_text
    assert "Total dû 1 734,56 €" in standard_text


def test_the_total_is_computed_from_the_lines_when_not_given():
    text = "\n".join(pages_text(render_letter_pdf(letter(total=Decimal(0)))))
    assert "Total dû 1 734,56 €" in text


def test_the_payment_box_gives_what_a_transfer_needs(standard_text):
    assert "Règlement par virement" in standard_text
    assert "Titulaire : Atelier Bois & Fils" in standard_text
    assert "IBAN : FR76 3000 6000 0112 3456 7890 189" in standard_text
    assert "BIC : AGRIFRPP" in standard_text
    assert "Référence à indiquer : MARTIN-F-2026-0101" in standard_text


def test_the_closing_formula_and_signature_come_after_the_table(standard_text):
    table, closing, signatory = (standard_text.index(s) for s in (
        "Total dû", "Nous vous prions d’agréer", "Hélène Bois, Présidente"))
    assert standard_text.index("Madame, Monsieur,") < table < closing < signatory


def test_every_page_has_the_legal_footer_and_its_number(standard_text):
    assert "Atelier Bois & Fils – SAS – SIREN 841 273 659 – 12 quai Saint-Vincent, 69001 Lyon" in standard_text
    assert "Page 1/1" in standard_text


def test_the_recipient_address_shows_through_the_dl_envelope_window(standard):
    positions = text_positions(standard)
    for line in ("Menuiserie Martin SARL", "3 rue des Lilas", "69003 LYON"):
        x, y = positions[line]
        assert ADDRESS_BOX.x <= x <= ADDRESS_BOX.x + ADDRESS_BOX.w, line
        assert ADDRESS_BOX.y <= y <= ADDRESS_BOX.y + ADDRESS_BOX.h, line


def test_nothing_else_is_printed_in_the_window(standard):
    address = set(recipient_lines("Menuiserie Martin SARL", letter().recipient_address))
    window = [text for text, (x, y) in text_positions(standard).items()
              if x >= ADDRESS_BOX.x - 5 and ADDRESS_BOX.y - 8 <= y <= ADDRESS_BOX.y + ADDRESS_BOX.h + 5]
    assert set(window) == address


def test_a_simple_letter_has_no_registered_mention(standard_text):
    assert REGISTERED_MENTION not in standard_text


def test_a_registered_letter_says_so_just_above_the_address():
    pdf = render_letter_pdf(letter(registered=True))
    positions = text_positions(pdf)
    x, y = positions[REGISTERED_MENTION]
    name_x, name_y = positions["Menuiserie Martin SARL"]
    assert x == pytest.approx(name_x)
    assert 0 < name_y - y <= 8


@pytest.fixture(scope="module")
def long_letter() -> tuple[list[str], LetterDocument]:
    lines = tuple(LetterLine(f"F-2026-{i:04d}", date(2026, 6, 1) + timedelta(days=i), date(2026, 7, 1)
                             + timedelta(days=i), Decimal("1500.00"), Decimal("1234.56")) for i in range(1, 61))
    doc = letter(lines=lines, total=Decimal(0))
    return pages_text(render_letter_pdf(doc)), doc


def test_sixty_invoices_flow_onto_further_numbered_pages(long_letter):
    pages, _ = long_letter
    assert len(pages) >= 2
    assert f"Page 2/{len(pages)}" in pages[1]
    assert all(f"Page {n}/{len(pages)}" in page for n, page in enumerate(pages, start=1))


def test_sixty_invoices_are_all_listed_once_with_the_right_total(long_letter):
    pages, _ = long_letter
    text = "\n".join(pages)
    assert all(text.count(f"F-2026-{i:04d} ") == 1 for i in range(1, 61))
    assert "Total dû 74 073,60 €" in text


def test_the_address_block_is_only_on_the_first_page(long_letter):
    pages, _ = long_letter
    assert "69003 LYON" in pages[0]
    assert all("69003 LYON" not in page for page in pages[1:])


def test_the_table_heading_is_repeated_on_each_page_it_spans(long_letter):
    pages, _ = long_letter
    spanned = [page for page in pages if "F-2026-00" in page]
    assert len(spanned) >= 2
    assert all("Facture Date Échéance Montant TTC Reste dû" in page for page in spanned)


def test_text_never_runs_into_the_footer():
    long_body = "\n\n".join([BODY.rsplit("\n\n", 1)[0]] * 12)
    pdf = render_letter_pdf(letter(body=long_body))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    for page in range(len(reader.pages)):
        runs = text_runs(pdf, page)
        footer_y = min(y for text, _, y in runs if text.startswith("Atelier Bois & Fils –"))
        lowest_body_y = max(y for text, _, y in runs if not text.startswith(("Atelier Bois & Fils –", "Page ")))
        assert lowest_body_y < footer_y - 5


def test_the_same_letter_renders_to_the_same_bytes(standard):
    assert render_letter_pdf(letter()) == standard


def test_the_document_is_dated_from_the_letter(standard):
    assert PdfReader(io.BytesIO(standard)).metadata.creation_date.date() == date(2026, 11, 22)


@pytest.mark.parametrize(("address", "last_lines"), [
    (Address("2 place Bellecour", "Bâtiment B", "42000", "Saint-Étienne"),
     ["2 place Bellecour", "Bâtiment B", "42000 SAINT-ETIENNE"]),
    (Address("Rue Neuve 12", "", "1000", "Bruxelles", "BE"), ["Rue Neuve 12", "1000 BRUXELLES", "BELGIQUE"]),
])
def test_recipient_lines_follow_la_poste(address, last_lines):
    assert recipient_lines("Client", address) == ["Client", *last_lines]


def test_identifiers_are_grouped_for_reading():
    assert group_siren("841273659") == "841 273 659"
    assert group_siren("84127365900012") == "841 273 659 00012"
    assert group_iban("fr7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"


# -- the sample's own letters: one page each, the whole letter on it ------------------------------------------

SAMPLE_LETTERS = [  # (customer, invoices, channel, tone, step): the longest texts the sample's rules send
    ("C009", ("F-2026-0288", "F-2026-0301"), "registered_letter", "formel", "mise_en_demeure"),
    ("C002", ("F-2026-0305",), "registered_letter", "formel", "mise_en_demeure"),
    ("C004", ("F-2026-0418",), "letter", "ferme", "relance_3"),
]


@pytest.fixture(scope="module")
def sample():
    from relance.cli import sample_data_path
    from relance.datafile import load_book
    from relance.rules.loader import load_rules_or_raise

    from ..conftest import SAMPLE_RULES

    return load_rules_or_raise(SAMPLE_RULES), load_book(sample_data_path())


def sample_letter(sample, customer_id, invoice_ids, channel, tone, step) -> LetterDocument:
    from relance.domain.render import render_message
    from relance.letters import sender_from

    rules, book = sample
    invoices = [i for i in book.invoices if i.id in invoice_ids]
    customer = book.customers[customer_id]
    on = date(2026, 11, 12)
    rendered = render_message(rules, customer=customer, invoices=invoices, channel=channel, tone=tone,
                              step_id=step, at="J+30", template=None, today=on)
    return LetterDocument(
        sender=sender_from(rules.company), recipient_name=customer.name, recipient_address=customer.address,
        place=rules.company.address.city, date=on, subject=rendered.subject, body=rendered.body,
        lines=tuple(LetterLine(i.id, i.issue_date, i.due_date, i.amount, i.amount_due) for i in invoices),
        registered=channel == "registered_letter", reference="6650df7ed540",
        payment_reference=" ".join(invoice_ids), total=sum((i.amount_due for i in invoices), Decimal(0)))


@pytest.mark.parametrize("case", SAMPLE_LETTERS, ids=lambda case: f"{case[0]}-{case[4]}")
def test_the_sample_letters_fit_on_one_page_signature_included(sample, case):
    doc = sample_letter(sample, *case)
    (page,) = pages_text(render_letter_pdf(doc))  # one page, not a signature-only page 2
    assert "SAS au capital de 50 000 € – RCS Lyon 841 273 659" in page  # R123-237, in the letterhead
    assert "Lyon, le 12 novembre 2026" in page and "Réf. : 6650df7ed540" in page
    assert page.index("Total dû") < page.index("Règlement par virement") < page.index("agréer")
    assert page.rstrip().endswith("Page 1/1")
    assert "Hélène Bois, Présidente" in page
    runs = text_runs(render_letter_pdf(doc))
    footer_y = min(y for text, _, y in runs if text.startswith("Atelier Bois & Fils –"))
    assert max(y for text, _, y in runs if "Présidente" in text) < footer_y - 4


def test_a_letter_too_long_for_one_page_keeps_the_roomy_layout_on_two():
    long_body = "\n\n".join([BODY.rsplit("\n\n", 1)[0]] * 6 + [BODY.rsplit("\n\n", 1)[1]])
    pages = pages_text(render_letter_pdf(letter(body=long_body)))
    assert len(pages) == 2 and "Hélène Bois, Présidente" in pages[1]
    _, y = text_positions(render_letter_pdf(letter(body=long_body)))["Madame, Monsieur,"]
    assert y == pytest.approx(text_positions(render_letter_pdf(letter()))["Madame, Monsieur,"][1])


def test_a_formal_notice_with_a_statement_of_three_invoices_and_the_portal_link_fits_on_one_page(sample):
    from relance.domain.model import Invoice
    from relance.domain.render import render_message
    from relance.letters import sender_from

    rules, book = sample
    customer = book.customers["C002"]
    (invoice,) = [i for i in book.invoices if i.id == "F-2026-0305"]  # the sample's longest mise en demeure
    others = [Invoice(f"F-2026-04{n}", "C002", date(2026, 9, n), date(2026, 10, n - 10), Decimal("1584.00"),
                      Decimal("1584.00")) for n in (20, 21, 22)]
    link = "https://paiement.atelier-bois-fils.fr/l/Qc3ylyhBawi71ERP.AcOCtGW8Ux"  # a letter's short link
    on = date(2026, 11, 12)
    rendered = render_message(rules, customer=customer, invoices=[invoice], channel="registered_letter",
                              tone="formel", step_id="mise_en_demeure", at="J+30", template=None, today=on,
                              others=others, portal_link=link)
    doc = LetterDocument(
        sender=sender_from(rules.company), recipient_name=customer.name, recipient_address=customer.address,
        place=rules.company.address.city, date=on, subject=rendered.subject, body=rendered.body,
        lines=(LetterLine(invoice.id, invoice.issue_date, invoice.due_date, invoice.amount, invoice.amount_due),),
        registered=True, reference="6650df7ed540", payment_reference=invoice.id, total=invoice.amount_due,
        others=tuple(LetterLine(i.id, i.issue_date, i.due_date, i.amount, i.amount_due) for i in others),
        portal_link=link)
    pdf = render_letter_pdf(doc)

    (page,) = pages_text(pdf)  # one sheet, nothing dropped to make it fit
    assert "SAS au capital de 50 000 € – RCS Lyon 841 273 659" in page and REGISTERED_MENTION in page
    assert "Lyon, le 12 novembre 2026" in page and "Réf. : 6650df7ed540" in page
    assert "Total dû" in page and "12 480,00 €" in page
    assert all(f"Facture n° {i.id} du" in page for i in others)
    assert "Total de ces autres factures : 4 752,00 €" in page
    assert "FR76 3000 4013 2800 0107 4260 566" in page and "BNPAFRPPXXX" in page
    assert f"Référence à indiquer : {invoice.id}" in page and link in page.replace("\n", "").replace(" ", "")
    assert page.index("Total dû") < page.index("Pour information") < page.index("Règlement par virement") \
        < page.index("agréer") < page.index("Hélène Bois, Présidente")
    squares = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().count(b" re")
    assert squares > 200  # the QR code, drawn module by module
    sizes = []
    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(
        visitor_text=lambda text, cm, tm, font, size: sizes.append(size * tm[0]) if "mettons en demeure" in text
        else None)
    assert sizes and min(sizes) >= 8.5  # still a letter's type, not small print
    runs = text_runs(pdf)
    footer_y = min(y for text, _, y in runs if text.startswith("Atelier Bois & Fils –"))
    assert max(y for text, _, y in runs if "Présidente" in text) < footer_y - 4
