"""Issue 15's document items, read back from the PDFs with pypdf as a debtor or a clerk would."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from datetime import date

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
    # Too long for one page even in the snug 8.5 pt layout (ten times the paragraph).
    long_body = REMINDER.replace("Nous vous demandons", "\n\n".join([REMINDER.split("\n\n")[1]] * 10)
                                 + "\n\nNous vous demandons")
    text = pages(render_letter_pdf(letter(body=long_body)))
    assert len(text) == 2
    assert "salutations" in text[1] and "Hélène Bois, Présidente" in text[1]


def test_the_sirens_in_the_requete_never_break_across_lines():
    # Debtor names of every length push the debtor's SIREN to every place of its line, the end included.
    for length in range(60, 90):
        lines = pages(render_requete(business(debtor_name="Cuisines " + "y" * length)))[0].splitlines()
        assert any("512 345 678" in re.sub(r"[ \u00a0\u202f]+", " ", line) for line in lines), length


# --- the bordereau: the formal notice and its AR, whoever recorded them ---------------------------------------

def _dossier(tmp_path, *, ar: bool) -> tuple[str, str]:
    """F-2026-0260's dossier (sample data: a mise en demeure sent 25/09, AR 28/09, before relance took over)."""
    from relance.cli import sample_data_path
    from relance.datafile import load_book
    from relance.domain.model import Book
    from relance.litigation.dossier import build_from_book, debtor_dossier
    from relance.rules.loader import load_rules_or_raise

    from ..conftest import SAMPLE_RULES

    rules = load_rules_or_raise(SAMPLE_RULES)
    book = load_book(sample_data_path())
    if not ar:
        invoices = tuple(dataclasses.replace(i, history=tuple(dataclasses.replace(h, delivered_on=None)
                                                              for h in i.history)) for i in book.invoices)
        book = Book(book.customers, invoices)
    invoice = next(i for i in book.invoices if i.id == "F-2026-0260")
    on = date(2026, 11, 30)
    verdict, others = debtor_dossier(book, invoice, rules, on)
    path = build_from_book(rules=rules, book=book, invoice=invoice, claim=verdict.claim, on=on, out_dir=tmp_path,
                           others=others)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        requete = archive.read(next(n for n in names if n.endswith("01-requete-injonction-de-payer.pdf")))
        attach = archive.read(next(n for n in names if n.endswith("A-JOINDRE.txt"))).decode("utf-8")
    return re.sub(r"\s+", " ", " ".join(pages(requete)).replace("\u00a0", " ").replace("\u202f", " ")), attach


def test_the_bordereau_lists_the_formal_notice_and_its_signed_ar(tmp_path):
    requete, attach = _dossier(tmp_path, ar=True)
    bordereau = requete[requete.index("Bordereau de pièces"):]
    assert "Mise en demeure par lettre recommandée avec AR du 25 septembre 2026" in bordereau
    assert "Avis de réception de la mise en demeure, signé le 28 septembre 2026" in bordereau
    assert "Avis de réception de la mise en demeure, signé le 28 septembre 2026" in attach


def test_a_missing_ar_is_listed_as_missing_and_to_attach(tmp_path):
    requete, attach = _dossier(tmp_path, ar=False)
    bordereau = requete[requete.index("Bordereau de pièces"):]
    assert "Avis de réception de la mise en demeure du 25 septembre 2026 : non revenu à ce jour, à joindre dès " \
           "son retour" in bordereau
    assert "non revenu à ce jour" in attach


# --- the interest-first décompte adds up on its face --------------------------------------------------------

def test_an_interest_first_decompte_reconciles_line_by_line():
    from relance.letters import LetterLine
    from relance.litigation.documents import render_decompte

    from .test_claim import INTEREST_FIRST, PARTIAL, claim_on

    # 10 000 € due 15/03/2025, 4 000 € paid 15/05, interest first: 219,77 € of penalties settled, 3 780,23 € of
    # principal; 6 219,77 € principal and 103,08 € of penalties still due on 30/06 (test_claim's hand computation).
    claim = claim_on(PARTIAL, date(2025, 6, 30), legal=INTEREST_FIRST)
    facts = business(invoices=(LetterLine(PARTIAL.id, PARTIAL.issue_date, PARTIAL.due_date, PARTIAL.amount,
                                          claim.principal),),
                     claims=(claim,), on=date(2025, 6, 30),
                     chronology=({"date": "2025-05-15", "kind": "payment", "channel": "bank", "amount": "4000.00"},))
    text = re.sub(r"\s+", " ", " ".join(pages(render_decompte(facts))).replace("\u00a0", " ").replace("\u202f", " "))
    # The principal: invoice − the part of the payments imputed on it = « Reste dû ».
    assert ("Paiements reçus : 4 000,00 €, imputés d’abord sur les pénalités de retard échues (219,77 €), puis sur "
            "le principal (3 780,23 €) : 10 000,00 € − 3 780,23 € = 6 219,77 € de principal restant dû.") in text
    # The penalties: accrued − settled = still due, the figure of the summary.
    assert "Pénalités courues (107 jours) 322,85 €" in text
    assert "Pénalités déjà réglées par les paiements partiels − 219,77 €" in text
    assert "Pénalités restant dues, arrondies au centime 103,08 €" in text
    assert "Total dû au 30 juin 2025 6 362,85 €" in text
