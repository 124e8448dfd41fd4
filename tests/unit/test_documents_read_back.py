"""Issue 15's document items, read back from the PDFs with pypdf as a debtor or a clerk would."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from relance.letters.pdf import render_letter_pdf
from relance.litigation.documents import render_requete

from .test_dossier_pdf import business
from .test_letter_pdf import letter

REMINDER = """Madame, Monsieur,

Malgré nos relances, le règlement de la facture récapitulée dans ce courrier ne nous est toujours pas parvenu. \
Le montant restant dû s’élève à 5\u202f960,00\u202f€.

Nous vous demandons de régler cette somme sans délai, selon les modalités de paiement indiquées dans ce courrier.

À défaut de règlement, nous nous réservons d’engager les démarches de recouvrement prévues par la loi, à commencer \
par une mise en demeure, qui ferait courir des intérêts au taux légal (article 1231-6 du Code civil).

Si vous rencontrez des difficultés, contactez-nous sans attendre : un échéancier de paiement peut être étudié. Si \
vous contestez tout ou partie de cette somme, merci de nous en indiquer le motif par écrit. Notre service \
comptabilité se tient à votre disposition au 04 65 71 20 48 ou à l’adresse compta@atelier-bois-fils.example.

Nous vous prions d’agréer, Madame, Monsieur, l’expression de nos salutations distinguées."""


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_letter_is_dated_from_the_companys_city():
    text = pages(render_letter_pdf(letter()))[0]
    assert "Lyon, le 22 novembre 2026" in text
    assert "Fait à" not in text


def test_a_reminder_whose_content_fits_stays_on_one_page_with_its_signature():
    # The demo's « dernière relance amiable » (one invoice, the IBAN box): it spilled its closing and signature
    # onto a second page.
    text = pages(render_letter_pdf(letter(body=REMINDER, lines=letter().lines[:1])))
    assert len(text) == 1
    assert "Hélène Bois, Présidente" in text[0] and "IBAN" in text[0]


def test_a_long_letter_still_flows_onto_a_second_page_with_the_signature_not_alone():
    long_body = REMINDER.replace("Nous vous demandons", "\n\n".join([REMINDER.split("\n\n")[1]] * 6)
                                 + "\n\nNous vous demandons")
    text = pages(render_letter_pdf(letter(body=long_body)))
    assert len(text) == 2
    assert "salutations" in text[1] and "Hélène Bois, Présidente" in text[1]


def test_the_sirens_in_the_requete_never_break_across_lines():
    # Debtor names of every length push the debtor's SIREN to every place of its line, the end included.
    for length in range(60, 90):
        lines = pages(render_requete(business(debtor_name="Cuisines " + "y" * length)))[0].splitlines()
        assert any("512 345 678" in re.sub(r"[ \u00a0\u202f]+", " ", line) for line in lines), length
