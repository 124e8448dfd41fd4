"""The written payment plan agreement (« échéancier », SPEC §2.9), read back from the PDF as the debtor reads it."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from relance.domain.model import Address
from relance.letters import LetterLine, PlanAgreement
from relance.letters.agreement import AgreementMismatch, render_agreement

from .test_dossier_pdf import CREDITOR

INVOICES = (
    LetterLine("F-2026-0311", date(2026, 9, 1), date(2026, 10, 1), Decimal("1500.00"), Decimal("1500.00")),
    LetterLine("F-2026-0342", date(2026, 9, 15), date(2026, 10, 15), Decimal("900.00"), Decimal("500.01")),
)
# 2 000,01 € in three installments of 666,67 €.
INSTALLMENTS = ((date(2026, 12, 15), Decimal("666.67")), (date(2027, 1, 15), Decimal("666.67")),
                (date(2027, 2, 15), Decimal("666.67")))


def agreement(**changes) -> PlanAgreement:
    base = PlanAgreement(
        creditor=CREDITOR, debtor_name="Dupont Rénovation", debtor_legal_form="SARL", debtor_siren="532117650",
        debtor_address=Address(line1="45 rue Garibaldi", postal_code="69003", city="Lyon"),
        invoices=INVOICES, installments=INSTALLMENTS,
        agreed_on=date(2026, 12, 1), how="portal", link_id="kT3v9QbX2mLp", grace_days=3, broken_after_days=8,
        free_of_charge=True, payment_reference="RF18C1042")
    return dataclasses.replace(base, **changes)


def text_of(pdf: bytes) -> str:
    """The pages' text with lines joined, spaces normalised (no-break ones included), as a reader sees it."""
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", raw.replace("\u202f", " ").replace("\u00a0", " "))


def test_the_agreement_names_both_parties_with_the_creditors_mentions():
    text = text_of(render_agreement(agreement()))
    assert "La société Atelier Bois & Fils (SAS – SIREN 841 273 659)" in text
    assert "12 quai Saint-Vincent, 69001 Lyon" in text and "« le créancier »" in text
    assert "la société Dupont Rénovation, SIREN 532 117 650" in text and "« le débiteur »" in text


def test_each_installment_has_its_date_and_amount_and_they_add_up_to_the_balance_to_the_cent():
    text = text_of(render_agreement(agreement(installments=INSTALLMENTS)))
    assert "somme de 2 000,01 €" in text
    assert "n° 1 15 décembre 2026 666,67 €" in text
    assert "n° 2 15 janvier 2027 666,67 €" in text
    assert "n° 3 15 février 2027 666,67 €" in text
    assert "Total des échéances 2 000,01 €" in text
    assert "F-2026-0311" in text and "F-2026-0342" in text and "Total restant dû 2 000,01 €" in text


def test_installments_that_do_not_add_up_to_the_balance_write_no_agreement():
    with pytest.raises(AgreementMismatch):
        render_agreement(agreement(installments=((date(2026, 12, 15), Decimal("1000.00")),
                                                  (date(2027, 1, 15), Decimal("1000.00")))))


def test_it_states_the_deceance_du_terme_after_a_default_notice_giving_the_rules_days():
    text = text_of(render_agreement(agreement(broken_after_days=15, grace_days=5)))
    assert "impayée 5 jours après sa date donne lieu à une mise en demeure" in text
    assert "lettre recommandée avec accusé de réception, qui lui laisse 15 jours pour la régler" in text
    assert "la déchéance du terme est acquise" in text
    assert "la totalité du solde restant dû devient immédiatement exigible" in text


def test_interest_keeps_running_unless_the_agreement_says_otherwise():
    running = text_of(render_agreement(agreement()))
    assert "Sauf accord contraire des parties, les pénalités de retard" in running
    assert "continuent de courir" in running
    waived = text_of(render_agreement(agreement(interest_waived=True)))
    assert "cessent de courir" in waived and "continuent de courir" not in waived


def test_it_is_an_acknowledgement_of_the_debt_that_interrupts_prescription():
    text = text_of(render_agreement(agreement()))
    assert "Le débiteur reconnaît devoir au créancier la somme de 2 000,01 €" in text
    assert "interrompt la prescription (article 2240 du Code civil)" in text
    assert "court à compter du 1er décembre 2026" in text


def test_a_self_service_plan_says_it_was_chosen_on_the_portal_with_the_links_id_and_free_of_charge():
    text = text_of(render_agreement(agreement()))
    assert "choisi par le débiteur sur son espace client le 1er décembre 2026" in text
    assert "lien n° kT3v9QbX2mLp" in text
    assert "sans frais" in text


def test_a_plan_agreed_with_staff_names_who_agreed_and_no_portal_link():
    text = text_of(render_agreement(agreement(how="staff", link_id="", agreed_by="Claire Martin",
                                              free_of_charge=False)))
    assert "convenu le 1er décembre 2026 entre le débiteur et Claire Martin, pour le créancier" in text
    assert "espace client" not in text and "lien n°" not in text and "sans frais" not in text


def test_the_debtor_knows_how_to_pay_each_installment():
    text = text_of(render_agreement(agreement()))
    assert "IBAN FR76 3000 6000 0112 3456 7890 189" in text and "référence RF18C1042" in text


def test_an_english_speaking_debtor_gets_the_agreement_in_english():
    text = text_of(render_agreement(agreement(language="en")))
    assert "Payment plan agreement" in text
    assert "acknowledges owing the creditor €2,000.01" in text
    assert "No. 1 15 December 2026 €666.67" in text and "Total of the instalments €2,000.01" in text
    assert "article 2240 of the French Civil Code" in text
    assert "giving 8 days to pay it" in text and "(déchéance du terme)" in text
    assert "keep accruing" in text and "link No. kT3v9QbX2mLp" in text
    assert "reconnaît" not in text


def test_the_same_agreement_gives_the_same_bytes():
    assert render_agreement(agreement()) == render_agreement(agreement())


def test_a_consumer_is_named_by_name_and_owes_interest_not_penalties():
    text = text_of(render_agreement(agreement(debtor_kind="consumer", debtor_name="Camille Petit",
                                              debtor_legal_form="", debtor_siren="")))
    assert "et Camille Petit, demeurant 45 rue Garibaldi" in text
    assert "les intérêts de retard continuent de courir" in text
