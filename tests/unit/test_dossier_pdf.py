"""The injonction de payer dossier's PDFs, read back the way a court clerk would check them."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from relance.domain.claim import Claim, Period
from relance.domain.model import Address
from relance.letters import LetterLine, Sender
from relance.litigation.documents import (
    DossierFacts,
    Exhibit,
    render_chronologie,
    render_decompte,
    render_requete,
)

CREDITOR = Sender(
    name="Atelier Bois & Fils", legal_form="SAS", siren="841273659",
    address=Address(line1="12 quai Saint-Vincent", postal_code="69001", city="Lyon"),
    email="compta@atelier-bois.fr", phone="04 78 12 34 56",
    iban="FR76 3000 6000 0112 3456 7890 189", bic="AGRIFRPP", signatory="Hélène Bois, Présidente",
)
INVOICE = LetterLine("F-2025-0042", date(2025, 2, 13), date(2025, 3, 15), Decimal("12000.00"),
                     Decimal("12000.00"))
# SPEC §5's worked example: 107 days at 13.15 % + 93 days at 12.15 % on 12 000 €, on 2025-10-01.
CLAIM = {
    "invoice": "F-2025-0042", "on": "2025-10-01", "kind": "business",
    "principal": "12000.00", "interest": "834.08", "indemnity": "40.00", "total": "12874.08",
    "periods": [
        {"from": "2025-03-16", "to": "2025-06-30", "days": 107, "rate": "13.15", "base": "12000.00",
         "amount": "462.59"},
        {"from": "2025-07-01", "to": "2025-10-01", "days": 93, "rate": "12.15", "base": "12000.00",
         "amount": "371.49"},
    ],
    "warnings": [],
}
CHRONOLOGY = (
    {"date": "2025-03-20", "kind": "action_planned", "channel": "email", "step": "relance_1"},
    {"date": "2025-03-20", "kind": "sent", "channel": "email", "step": "relance_1",
     "message_key": "F-2025-0042/relance_1", "provider_id": "010001956a2b3c4d-ses-000000"},
    {"date": "2025-04-04", "kind": "sent", "channel": "email", "step": "relance_2",
     "message_key": "F-2025-0042/relance_2", "provider_id": "010001956f00aa11-ses-000000"},
    {"date": "2025-04-18", "kind": "call_task", "channel": "phone", "step": "appel",
     "message_key": "F-2025-0042/appel"},
    # Out of order, as the history may hold them: the chronology sorts by date, then sent → delivered → AR.
    {"date": "2025-05-05", "kind": "ar_signed", "channel": "registered_letter", "step": "mise_en_demeure",
     "provider_id": "LTR-7F3A21", "tracking_number": "1A12345678901"},
    {"date": "2025-05-02", "kind": "sent", "channel": "registered_letter", "step": "mise_en_demeure",
     "message_key": "F-2025-0042/mise_en_demeure", "provider_id": "LTR-7F3A21",
     "tracking_number": "1A12345678901"},
    {"date": "2025-05-05", "kind": "delivered", "channel": "registered_letter", "step": "mise_en_demeure",
     "provider_id": "LTR-7F3A21", "tracking_number": "1A12345678901"},
)
EXHIBITS = (
    Exhibit(1, "Facture n° F-2025-0042 du 13 février 2025", "piece-01-facture-F-2025-0042.pdf"),
    Exhibit(2, "Conditions générales de vente d’Atelier Bois & Fils", "piece-02-cgv.pdf"),
    Exhibit(3, "Lettre de mise en demeure du 2 mai 2025", "piece-03-mise-en-demeure.pdf"),
    Exhibit(4, "Avis de réception signé le 5 mai 2025", "piece-04-avis-de-reception.pdf"),
    Exhibit(5, "Décompte des sommes dues au 1er octobre 2025", "piece-05-decompte.pdf"),
    Exhibit(6, "Chronologie des relances et paiements", "piece-06-chronologie.pdf"),
)


def claim_of(data: dict) -> Claim:
    """A ``relance claim`` JSON as the domain object the documents are given."""
    periods = tuple(Period(date.fromisoformat(p["from"]), date.fromisoformat(p["to"]), p["days"], Decimal(p["rate"]),
                           Decimal(p["base"]), Decimal(p["amount"])) for p in data["periods"])
    return Claim(data["invoice"], date.fromisoformat(data["on"]), data["kind"], Decimal(data["principal"]),
                 Decimal(data["interest"]), Decimal(data["indemnity"]), Decimal(data["total"]), periods,
                 tuple(data["warnings"]), sum((p.amount for p in periods), Decimal(0)), Decimal(0))


def business(**changes) -> DossierFacts:
    if "claim" in changes:
        changes["claims"] = (claim_of(changes.pop("claim")),)
    facts = DossierFacts(
        creditor=CREDITOR, debtor_name="Cuisines Saône Design", debtor_kind="business",
        debtor_legal_form="SARL", debtor_siren="512345678",
        debtor_address=Address(line1="45 rue Garibaldi", postal_code="69003", city="Lyon"),
        invoices=(INVOICE,), claims=(claim_of(CLAIM),), court={"type": "tribunal_de_commerce", "city": "Lyon",
                                                "name": "tribunal des activités économiques de Lyon"},
        small_claims_eligible=False, chronology=CHRONOLOGY, exhibits=EXHIBITS, place="Lyon", on=date(2025, 10, 1),
    )
    return dataclasses.replace(facts, **changes)


CONSUMER_INVOICE = LetterLine("F-2025-0107", date(2025, 2, 20), date(2025, 3, 22), Decimal("3200.00"),
                              Decimal("3200.00"))
# Taux légal for a professional creditor from the day after the notice's delivery (5 May 2025).
CONSUMER_CLAIM = {
    "invoice": "F-2025-0107", "on": "2025-10-01", "kind": "consumer",
    "principal": "3200.00", "interest": "40.72", "indemnity": "0.00", "total": "3240.72",
    "periods": [
        {"from": "2025-05-06", "to": "2025-06-30", "days": 56, "rate": "3.71", "base": "3200.00", "amount": "18.21"},
        {"from": "2025-07-01", "to": "2025-10-01", "days": 93, "rate": "2.76", "base": "3200.00", "amount": "22.50"},
    ],
    "warnings": [],
}


def consumer(**changes) -> DossierFacts:
    if "claim" in changes:
        changes["claims"] = (claim_of(changes.pop("claim")),)
    facts = business(
        debtor_name="Julien Moreau", debtor_kind="consumer", debtor_legal_form="", debtor_siren="",
        debtor_address=Address(line1="8 rue des Capucins", postal_code="69001", city="Lyon"),
        invoices=(CONSUMER_INVOICE,), claims=(claim_of(CONSUMER_CLAIM),),
        court={"type": "tribunal_judiciaire", "city": "Lyon", "name": "tribunal judiciaire de Lyon"},
        small_claims_eligible=True,
        exhibits=(Exhibit(1, "Facture n° F-2025-0107 du 20 février 2025", "piece-01-facture-F-2025-0107.pdf"),
                  *EXHIBITS[1:]),
    )
    return dataclasses.replace(facts, **changes)


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text, with no-break spaces read as spaces and line breaks as single spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    return [re.sub(r"\s+", " ", page.extract_text().replace("\u202f", " ").replace("\u00a0", " "))
            for page in reader.pages]


def text_of(pdf: bytes) -> str:
    return " ".join(pages_text(pdf))


@pytest.fixture(scope="module")
def requete() -> str:
    return text_of(render_requete(business()))


@pytest.fixture(scope="module")
def consumer_requete() -> tuple[str, list[str]]:
    pages = pages_text(render_requete(consumer()))
    return " ".join(pages), pages


@pytest.fixture(scope="module")
def decompte() -> str:
    return text_of(render_decompte(business()))


@pytest.fixture(scope="module")
def chronologie() -> str:
    return text_of(render_chronologie(business()))


# --- the requête: every mention of CPC art. 1407 ------------------------------------------------------------

def test_the_request_is_addressed_to_the_president_of_the_commercial_court_of_the_debtor_city(requete):
    # SPEC §5 now: Lyon's commercial court is a tribunal des activités économiques since 2025.
    assert "À Madame, Monsieur le Président du tribunal des activités économiques de Lyon" in requete
    assert "REQUÊTE EN INJONCTION DE PAYER" in requete
    assert "articles 1405 et suivants du Code de procédure civile" in requete


def test_the_creditor_is_identified_with_form_siren_registered_office_and_legal_representative(requete):
    assert ("La société Atelier Bois & Fils, société par actions simplifiée (SAS), immatriculée sous le numéro "
            "SIREN 841 273 659, dont le siège social est situé 12 quai Saint-Vincent, 69001 Lyon, représentée par "
            "son représentant légal en exercice, Hélène Bois, Présidente") in requete


def test_a_registered_creditor_is_identified_with_its_capital_and_its_registry():
    creditor = dataclasses.replace(CREDITOR, rcs_city="Lyon", share_capital="7500,50")
    text = text_of(render_requete(business(creditor=creditor)))

    assert ("La société Atelier Bois & Fils, société par actions simplifiée (SAS) au capital de 7 500,50 €, "
            "immatriculée au registre du commerce et des sociétés de Lyon sous le numéro 841 273 659, dont le "
            "siège social est situé") in text


def test_the_debtor_company_is_identified_with_form_siren_and_registered_office(requete):
    assert ("La société Cuisines Saône Design, société à responsabilité limitée (SARL), immatriculée sous le "
            "numéro SIREN 512 345 678, dont le siège social est situé 45 rue Garibaldi, 69003 Lyon") in requete


def test_the_unpaid_invoice_is_listed_with_its_dates_and_amounts(requete):
    assert "F-2025-0042 13/02/2025 15/03/2025 12 000,00 € 12 000,00 €" in requete
    assert "exigible depuis le 15 mars 2025" in requete


def test_the_exact_amount_is_broken_down_into_principal_penalties_and_indemnity(requete):
    assert "Principal restant dû 12 000,00 €" in requete
    assert ("Pénalités de retard arrêtées au 1er octobre 2025 (taux BCE + 10 points : 13,15 % puis 12,15 % l’an, "
            "art. L441-10 C. com.) 834,08 €") in requete
    assert "Indemnité forfaitaire pour frais de recouvrement (40 € × 1 facture, art. D441-5 C. com.) 40,00 €" in requete
    assert "Total dû au 1er octobre 2025 12 874,08 €" in requete
    assert "outre les intérêts postérieurs au 1er octobre 2025" in requete


def test_the_legal_basis_cites_the_cgv_and_the_commercial_code(requete):
    assert "conditions générales de vente" in requete
    assert "article L441-10 du Code de commerce" in requete
    assert "article D441-5 du Code de commerce" in requete
    assert "majoré de dix points" in requete


def test_the_formal_notice_is_dated_with_its_tracking_number_and_receipt(requete):
    assert ("Par lettre recommandée avec demande d’avis de réception du 2 mai 2025 (envoi n° 1A12345678901, "
            "pièce n° 3), il l’a mis en demeure") in requete
    assert "reçue le 5 mai 2025, comme en atteste l’avis de réception signé (pièce n° 4)" in requete
    assert "2 relances amiables par e-mail entre le 20 mars 2025 et le 4 avril 2025" in requete


def test_the_prayer_asks_to_enjoin_payment_of_each_element_and_costs(requete):
    assert "PAR CES MOTIFS" in requete
    assert "Plaise à Madame, Monsieur le Président de bien vouloir" in requete
    assert ("ENJOINDRE à la société Cuisines Saône Design de payer à la société Atelier Bois & Fils la somme de "
            "12 874,08 €") in requete
    assert "12 000,00 € en principal" in requete
    assert "834,08 € au titre des pénalités de retard arrêtées au 1er octobre 2025" in requete
    assert "40,00 € au titre de l’indemnité forfaitaire pour frais de recouvrement" in requete
    assert "à compter du 2 octobre 2025 et jusqu’à parfait paiement" in requete
    assert "CONDAMNER la société Cuisines Saône Design aux dépens" in requete
    assert "SOUS TOUTES RÉSERVES" in requete


def test_the_request_is_dated_placed_and_signed_by_the_legal_representative(requete):
    assert "Fait à Lyon, le 1er octobre 2025" in requete
    assert "Pour la société Atelier Bois & Fils, Hélène Bois, Présidente" in requete
    assert "Signature" in requete


def test_the_bordereau_numbers_every_exhibit(requete):
    bordereau = requete[requete.index("Bordereau de pièces"):]
    positions = [bordereau.index(f"Pièce n° {e.number} {e.title}") for e in EXHIBITS]
    assert positions == sorted(positions)
    assert "piece-05-decompte.pdf" in bordereau


def test_the_prayer_comes_before_the_signature_and_the_bordereau(requete):
    order = [requete.index(s) for s in ("À LA REQUÊTE DE", "CONTRE", "PAR CES MOTIFS", "Fait à Lyon",
                                        "Bordereau de pièces")]
    assert order == sorted(order)


def test_every_page_is_numbered_and_carries_the_creditor(requete):
    pages = pages_text(render_requete(business()))
    assert all(f"Page {n}/{len(pages)}" in page for n, page in enumerate(pages, start=1))
    assert all("Atelier Bois & Fils" in page and "SAS – SIREN 841 273 659" in page for page in pages)


def test_a_cgv_rate_is_the_basis_named_instead_of_the_ecb_rate():
    text = text_of(render_requete(business(cgv_rate="15")))
    assert "au taux de 15 % l’an prévu par les conditions générales de vente" in text
    assert "taux des CGV : 15 % l’an" in text
    assert "majoré de dix points" not in text


def test_the_court_is_named_as_the_table_of_courts_names_it_never_from_the_city_alone():
    text = text_of(render_requete(business(court={"type": "tribunal_de_commerce", "city": "Metz",
                                                  "name": "chambre commerciale du tribunal judiciaire de Metz"})))
    assert "Président de la chambre commerciale du tribunal judiciaire de Metz" in text
    text = text_of(render_requete(business(court={"type": "tribunal_de_commerce", "city": None, "name": None})))
    assert "du tribunal de commerce compétent" in text and "de Lyon" not in text.split("REQUÊTE")[0]


def test_a_place_with_an_article_reads_as_french_does():
    text = text_of(render_requete(business(court={"type": "tribunal_de_commerce", "city": "Le Havre",
                                                  "name": "tribunal des activités économiques du Havre"},
                                           place="Le Havre")))
    assert "du tribunal des activités économiques du Havre" in text
    assert "Fait au Havre, le 1er octobre 2025" in text


def test_without_a_named_signatory_the_legal_representative_signs():
    text = text_of(render_requete(business(creditor=dataclasses.replace(CREDITOR, signatory=""))))
    assert "prise en la personne de son représentant légal en exercice" in text
    assert "Pour la société Atelier Bois & Fils, son représentant légal" in text


# --- the consumer variant -----------------------------------------------------------------------------------

def test_a_consumer_is_sued_before_the_judge_of_the_tribunal_judiciaire(consumer_requete):
    text, _ = consumer_requete
    assert "À Madame, Monsieur le Juge du tribunal judiciaire de Lyon" in text
    assert "Plaise à Madame, Monsieur le Juge de bien vouloir" in text
    assert "Julien Moreau, demeurant 8 rue des Capucins, 69001 Lyon" in text


def test_a_consumer_owes_legal_interest_from_the_formal_notice_and_no_indemnity(consumer_requete):
    text, _ = consumer_requete
    assert "article 1231-6 du Code civil" in text
    assert "à compter de la mise en demeure du 5 mai 2025" in text
    assert "Intérêts au taux légal arrêtés au 1er octobre 2025 (3,71 % puis 2,76 % l’an, art. 1231-6 C. civ.) " \
           "40,72 €" in text
    assert "ENJOINDRE à Julien Moreau de payer à la société Atelier Bois & Fils la somme de 3 240,72 €" in text
    assert "40,00 €" not in text
    assert "D441-5" not in text
    assert "L441-10" not in text
    assert "indemnité forfaitaire" not in text.lower()


def test_a_small_consumer_claim_suggests_the_small_claims_procedure_on_a_page_apart(consumer_requete):
    _, pages = consumer_requete
    note = pages[-1]
    assert "procédure simplifiée de recouvrement des petites créances" in note
    assert "commissaire de justice" in note
    assert "L125-1 du Code des procédures civiles d’exécution" in note
    assert "Ne fait pas partie de la requête" in note
    requete_pages = pages[:-1]
    assert all(f"Page {n}/{len(requete_pages)}" in page for n, page in enumerate(requete_pages, start=1))
    assert "Page" not in note.split("Note au créancier – ne fait pas partie de la requête")[-1]
    assert "petites créances" not in " ".join(requete_pages)


def test_no_small_claims_note_when_not_eligible():
    text = text_of(render_requete(consumer(small_claims_eligible=False)))
    assert "petites créances" not in text


def test_a_business_debtor_never_gets_the_small_claims_note():
    assert "petites créances" not in text_of(render_requete(business(small_claims_eligible=True)))


# --- the décompte -------------------------------------------------------------------------------------------

def test_the_decompte_is_dated_and_lists_each_period_with_days_rate_base_and_amount(decompte):
    assert "Décompte des sommes dues au 1er octobre 2025" in decompte
    assert "Du Au Jours Taux annuel Base Intérêts" in decompte
    assert "16/03/2025 30/06/2025 107 13,15 % 12 000,00 € 462,59 €" in decompte
    assert "01/07/2025 01/10/2025 93 12,15 % 12 000,00 € 371,49 €" in decompte
    assert "Total des intérêts (200 jours), arrondi au centime 834,08 €" in decompte


def test_the_decompte_states_the_computation_rule(decompte):
    assert "Intérêts simples : base × taux × jours / 365" in decompte
    assert "le total est arrondi une seule fois, au centime le plus proche" in decompte


def test_the_decompte_totals_principal_penalties_and_indemnity(decompte):
    assert "Principal restant dû 12 000,00 €" in decompte
    assert "40,00 €" in decompte
    assert "Total dû au 1er octobre 2025 12 874,08 €" in decompte
    assert "soit 3,99 € par jour au taux de 12,15 % l’an" in decompte


def test_the_claim_warnings_are_printed_as_observations():
    warning = "taux BCE non vérifié après le 31/12/2025 : dernier taux connu utilisé (2,15 %)"
    text = text_of(render_decompte(business(claim={**CLAIM, "warnings": [warning]})))
    assert "Observations" in text
    assert warning in text


def test_the_decompte_lists_payments_received():
    chronology = (*CHRONOLOGY, {"date": "2025-06-12", "kind": "payment", "channel": "bank", "amount": "2000.00"})
    text = text_of(render_decompte(business(chronology=chronology)))
    assert "Paiements reçus" in text
    assert "12/06/2025 Paiement reçu : 2 000,00 € 2 000,00 €" in text


def test_a_consumer_without_interest_gets_no_period_table():
    claim = {**CONSUMER_CLAIM, "interest": "0.00", "total": "3200.00", "periods": []}
    text = text_of(render_decompte(consumer(claim=claim)))
    assert "Aucun intérêt n’a couru à la date du décompte." in text
    assert "Taux annuel" not in text
    assert "Total dû au 1er octobre 2025 3 200,00 €" in text


# --- the chronology -----------------------------------------------------------------------------------------

def test_the_chronology_is_sorted_by_date_with_french_labels(chronologie):
    expected = [
        "13/02/2025 Facture n° F-2025-0042 émise : 12 000,00 € TTC",
        "15/03/2025 Échéance de la facture n° F-2025-0042 ; reste dû : 12 000,00 €",
        "20/03/2025 Relance par e-mail envoyée",
        "04/04/2025 Relance par e-mail envoyée",
        "18/04/2025 Appel téléphonique prévu",
        "02/05/2025 Mise en demeure envoyée en recommandé AR",
        "05/05/2025 Lettre recommandée distribuée",
        "05/05/2025 Accusé de réception signé",
    ]
    positions = [chronologie.index(row) for row in expected]
    assert positions == sorted(positions)


def test_the_chronology_gives_channels_and_the_tracking_number_but_no_internal_ids(chronologie):
    # Issue 15: no message keys, SES or provider ids, step codes or raw reason codes in what the court reads.
    assert "Recommandé AR N° de suivi : 1A12345678901" in chronologie
    assert "Téléphone" in chronologie
    for internal in ("F-2025-0042/", "ses-000000", "LTR-7F3A21", "Message :", "Id. prestataire", "Étape :",
                     "relance_1", "mise_en_demeure"):
        assert internal not in chronologie


def test_no_planned_step_or_raw_code_is_presented_as_a_fact():
    chronology = (*CHRONOLOGY,
                  {"date": "2025-05-20", "kind": "action_planned", "channel": "letter", "step": "relance_courrier"},
                  {"date": "2025-05-21", "kind": "litigation_parked", "channel": "litigation",
                   "reason": "notice_deadline_pending"})
    facts = business(chronology=chronology)
    chronologie = text_of(render_chronologie(facts))
    assert "Relance programmée" not in chronologie and "notice_deadline_pending" not in chronologie
    requete = " ".join(text_of(render_requete(facts)).split())
    # The call was only queued for the account manager (call_task): the requête does not say it was made.
    assert "téléphonique" not in requete


def test_a_planned_action_that_was_sent_shows_once(chronologie):
    assert "Relance programmée" not in chronologie
    assert chronologie.count("Relance par e-mail envoyée") == 2


@pytest.mark.parametrize(("event", "label"), [
    ({"kind": "payment", "channel": "bank", "amount": "500.00"}, "Paiement reçu : 500,00 €"),
    ({"kind": "dispute", "channel": "people", "note": "Conteste la qualité des plans de travail"},
     "Litige déclaré Conteste la qualité des plans de travail"),
    ({"kind": "sent", "channel": "letter"}, "Relance par courrier simple envoyée"),
    ({"kind": "returned", "channel": "registered_letter"}, "Pli retourné à l’expéditeur"),
    ({"kind": "email_bounced", "channel": "email"}, "E-mail non distribué"),
    ({"kind": "promise", "channel": "people"}, "Promesse de paiement enregistrée"),
    ({"kind": "something_new", "channel": "fax"}, "Something new"),
])
def test_each_kind_of_event_reads_in_french(event, label):
    text = text_of(render_chronologie(business(chronology=({"date": "2025-06-01", **event},))))
    assert f"01/06/2025 {label}" in text


def test_one_message_about_two_invoices_shows_once_with_both(chronologie):
    second = LetterLine("F-2025-0058", date(2025, 3, 1), date(2025, 3, 31), Decimal("850.00"), Decimal("850.00"))
    events = tuple({**e, "invoice": inv} for e in CHRONOLOGY[:2] for inv in ("F-2025-0042", "F-2025-0058"))
    text = text_of(render_chronologie(business(invoices=(INVOICE, second), chronology=events)))
    assert text.count("Relance par e-mail envoyée") == 1
    assert "Factures : F-2025-0042, F-2025-0058" in text


def test_a_long_history_flows_onto_numbered_pages_with_the_table_heading_repeated():
    chronology = tuple({"date": f"2025-04-{1 + i % 28:02d}", "kind": "sent", "channel": "email",
                        "step": f"relance_{i}", "message_key": f"F-2025-0042/relance_{i}"} for i in range(50))
    pages = pages_text(render_chronologie(business(chronology=chronology)))
    assert len(pages) > 1
    assert all(f"Page {n}/{len(pages)}" in page for n, page in enumerate(pages, start=1))
    assert all("Date Événement Canal Références" in page for page in pages)
    assert sum(page.count("Relance par e-mail envoyée") for page in pages) == 50


# --- all three ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("render", [render_requete, render_decompte, render_chronologie])
def test_the_same_facts_give_the_same_bytes(render):
    assert render(business()) == render(business())
    assert render(consumer()) == render(consumer())


@pytest.mark.parametrize("render", [render_requete, render_decompte, render_chronologie])
def test_each_document_is_a4_with_the_creditor_on_every_page(render):
    reader = PdfReader(io.BytesIO(render(business())))
    mm = 72 / 25.4
    for page in reader.pages:
        width, height = (float(v) / mm for v in page.mediabox[2:])
        assert (round(width), round(height)) == (210, 297)
    assert all("Atelier Bois & Fils" in page for page in pages_text(render(business())))


# --- the prose is a template a rules directory may override --------------------------------------------------

def test_a_rules_directory_may_override_a_documents_sentence(tmp_path):
    from relance.texts import PACKAGED

    overrides = tmp_path / "templates" / "documents"
    overrides.mkdir(parents=True)
    packaged = (PACKAGED / "requete.fr.j2").read_text(encoding="utf-8")
    changed = packaged.replace("Le requérant a l’honneur de vous exposer ce qui suit :",
                               "Le requérant expose respectueusement ce qui suit :")
    assert changed != packaged
    (overrides / "requete.fr.j2").write_text(changed, encoding="utf-8")
    text = text_of(render_requete(business(rules_dir=tmp_path)))
    assert "Le requérant expose respectueusement ce qui suit :" in text
    assert "a l’honneur de vous exposer" not in text
    # The other documents keep the packaged text.
    assert "Décompte des sommes dues au 1er octobre 2025" in text_of(render_decompte(business(rules_dir=tmp_path)))


def test_a_value_from_the_data_never_becomes_markup(tmp_path):
    # A dispute note typed by a person, with the characters the block markup uses, reads as typed.
    note = "Litige | voir @table ci-dessous \\ fin"
    text = text_of(render_chronologie(business(chronology=({"date": "2025-06-01", "kind": "dispute",
                                                             "channel": "people", "note": note},))))
    assert note in text
