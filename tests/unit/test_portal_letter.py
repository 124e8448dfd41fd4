"""The portal link on letters: a short address in the text and a QR code in the transfer box, for no extra page."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from relance.domain.model import Address, Customer, Invoice
from relance.domain.render import render_message
from relance.letters import LetterDocument, LetterLine, sender_from
from relance.letters.pdf import render_letter_pdf
from relance.rules.loader import load_rules
from tests.conftest import SAMPLE_RULES

LINK = "https://paiement.atelier-bois-fils.fr/l/Qc3ylyhBawi71ERP.AcOCtGW8Ux"
TODAY = date(2026, 11, 16)


@pytest.fixture(scope="module")
def rules():
    return load_rules(SAMPLE_RULES).rules


def letter(rules, channel: str, tone: str, link: str, invoices: int = 3) -> bytes:
    customer = Customer("C1", "Menuiserie Martin SARL", "business", siren="732829320",
                        address=Address("3 rue des Lilas", "Zone artisanale", "69003", "Lyon", "FR"))
    bills = [Invoice(f"F-2026-04{n:02d}", "C1", date(2026, 8, n), date(2026, 9, n), Decimal("1234.56"),
                     Decimal("1234.56")) for n in range(1, invoices + 1)]
    rendered = render_message(rules, customer=customer, invoices=bills, channel=channel, tone=tone,
                              step_id="mise_en_demeure", at="J+30", template=None, today=TODAY, portal_link=link)
    doc = LetterDocument(sender=sender_from(rules.company), recipient_name=customer.name,
                         recipient_address=customer.address, place="Lyon", date=TODAY, subject=rendered.subject,
                         body=rendered.body, lines=tuple(LetterLine(i.id, i.issue_date, i.due_date, i.amount,
                                                                    i.amount_due) for i in bills),
                         registered=channel == "registered_letter", reference="abc",
                         payment_reference=" ".join(i.id for i in bills), portal_link=link)
    return render_letter_pdf(doc)


def text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(("channel", "tone"), [("letter", "courtois"), ("letter", "ferme"),
                                               ("registered_letter", "formel")])
def test_the_link_adds_no_page_to_a_letter(rules, channel, tone):
    without, with_link = letter(rules, channel, tone, ""), letter(rules, channel, tone, LINK)

    assert len(PdfReader(io.BytesIO(with_link)).pages) == len(PdfReader(io.BytesIO(without)).pages)
    assert "Régler en ligne ou nous répondre" in text(with_link) and LINK in text(with_link).replace(" ", "")
    assert "Régler en ligne" not in text(without)


def test_the_qr_code_is_drawn_only_with_a_link(rules):
    # The code is drawn as filled squares: hundreds of them, where the letter without a link has a few rules.
    def squares(pdf: bytes) -> int:
        return sum(page.get_contents().get_data().count(b" re") for page in PdfReader(io.BytesIO(pdf)).pages)

    assert squares(letter(rules, "letter", "courtois", LINK)) > squares(letter(rules, "letter", "courtois", "")) + 200
