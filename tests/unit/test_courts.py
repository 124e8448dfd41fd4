"""The court of an injonction de payer (SPEC §5): its type by the debtor's nature, its seat and exact name from
a cited table — never made up from the debtor's city."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from relance.domain.courts import CIVIL, COMMERCIAL, CourtTable, court_for
from relance.domain.model import Address, Customer

TABLE = CourtTable.load()
TAE_SEATS = ("Avignon", "Auxerre", "Le Havre", "Le Mans", "Limoges", "Lyon", "Marseille", "Nancy", "Nanterre",
             "Paris", "Saint-Brieuc", "Versailles")  # arrêté du 5 juillet 2024, art. 2


def debtor(kind: str = "business", *, legal_form: str = "", activity: str = "", postal_code: str = "69002",
           city: str = "Lyon") -> Customer:
    return Customer(id="C1", name="Débiteur", kind=kind, legal_form=legal_form, activity=activity,  # type: ignore[arg-type]
                    address=Address(line1="1 rue X", postal_code=postal_code, city=city))


def answer(customer: Customer, amount: str = "3000.00") -> dict[str, str | None]:
    return court_for(customer, TABLE, Decimal(amount)).as_json()


def test_a_lyon_company_goes_to_lyons_tribunal_des_activites_economiques():
    assert answer(debtor(legal_form="SARL")) == {
        "type": COMMERCIAL, "city": "Lyon", "name": "tribunal des activités économiques de Lyon"}
    # a business customer without legal_form counts as a merchant; « LYON 02 » is Lyon
    assert answer(debtor(city="LYON 02")) == answer(debtor(legal_form="S.A.R.L."))


def test_a_villeurbanne_company_goes_to_lyon_not_to_a_villeurbanne_commercial_court():
    assert answer(debtor(postal_code="69100", city="Villeurbanne")) == {
        "type": COMMERCIAL, "city": "Lyon", "name": "tribunal des activités économiques de Lyon"}


def test_a_villeurbanne_consumer_goes_to_the_tribunal_de_proximite_up_to_10000_euros_then_to_lyon():
    consumer = debtor("consumer", postal_code="69100", city="Villeurbanne")
    assert answer(consumer, "10000.00") == {
        "type": CIVIL, "city": "Villeurbanne", "name": "tribunal de proximité de Villeurbanne"}
    assert answer(consumer, "10000.01") == {"type": CIVIL, "city": "Lyon", "name": "tribunal judiciaire de Lyon"}


def test_a_commune_outside_the_table_gets_no_court_and_a_warning():
    court = court_for(debtor(legal_form="SAS", postal_code="74000", city="Annecy"), TABLE, Decimal("3000"))

    assert court.as_json() == {"type": COMMERCIAL, "city": None, "name": None}
    assert court.warning is not None and "74000 Annecy" in court.warning and "annuaire" in court.warning


@pytest.mark.parametrize("form", ["SCI", "association", "SELARL", "Société civile immobilière", "GAEC"])
def test_a_civil_debtor_goes_to_the_tribunal_judiciaire(form):
    assert answer(debtor(legal_form=form)) == {"type": CIVIL, "city": "Lyon", "name": "tribunal judiciaire de Lyon"}


@pytest.mark.parametrize(("activity", "kind"), [("liberale", CIVIL), ("Libérale", CIVIL), ("agricole", CIVIL),
                                                ("commerciale", COMMERCIAL), ("artisanale", COMMERCIAL)])
def test_an_ei_goes_where_its_activity_sends_it(activity, kind):
    assert answer(debtor(legal_form="EI", activity=activity))["type"] == kind


def test_an_ei_without_activity_gets_no_court_and_a_warning():
    court = court_for(debtor(legal_form="EI"), TABLE, Decimal("3000"))

    assert court.as_json() == {"type": None, "city": None, "name": None}
    assert court.warning is not None and "activité" in court.warning


def test_an_unknown_legal_form_is_not_guessed():
    court = court_for(debtor(legal_form="Coopérative bizarre"), TABLE, Decimal("3000"))
    assert court.as_json()["name"] is None and court.warning is not None


def test_every_tae_seat_is_in_the_table_under_that_name():
    for seat in TAE_SEATS:
        entry = next(e for e in TABLE.communes if e.commune == seat)
        assert entry.commercial.name.startswith("tribunal des activités économiques")
        assert entry.commercial.city == seat and entry.source
        court = court_for(debtor(legal_form="SAS", postal_code=entry.postal_codes[0], city=seat), TABLE)
        assert court.name == entry.commercial.name


def test_alsace_moselle_has_a_chambre_commerciale_of_the_tribunal_judiciaire():
    court = court_for(debtor(legal_form="SARL", postal_code="67000", city="Strasbourg"), TABLE)
    assert (court.city, court.name) == ("Strasbourg", "chambre commerciale du tribunal judiciaire de Strasbourg")


def test_every_entry_cites_its_source_and_the_table_says_until_when_it_is_verified():
    assert TABLE.verified_until >= date(2026, 12, 31)
    assert all(e.source for e in TABLE.communes)


def test_past_verified_until_the_answer_carries_a_warning():
    court = court_for(debtor(), TABLE, Decimal("3000"), date(2030, 1, 1))
    assert court.name == "tribunal des activités économiques de Lyon"
    assert court.warning is not None and "non vérifiée" in court.warning


def test_a_rule_editor_adds_a_commune():
    table = TABLE.extended([{"commune": "Annecy", "postal_codes": ["74000"], "source": "annuaire justice.fr",
                             "tribunal_judiciaire": {"city": "Annecy", "name": "tribunal judiciaire d’Annecy"},
                             "tribunal_de_proximite": None,
                             "commercial": {"city": "Annecy", "name": "tribunal de commerce d’Annecy"}}],
                           "rules/x.yaml")

    court = court_for(debtor(legal_form="SAS", postal_code="74000", city="Annecy"), table, Decimal("3000"))
    assert court.as_json() == {"type": COMMERCIAL, "city": "Annecy", "name": "tribunal de commerce d’Annecy"}


def test_an_entry_without_a_source_is_refused():
    with pytest.raises(ValueError, match="source"):
        TABLE.extended([{"commune": "Annecy", "postal_codes": ["74000"],
                         "tribunal_judiciaire": {"city": "Annecy", "name": "tribunal judiciaire d’Annecy"},
                         "commercial": {"city": "Annecy", "name": "tribunal de commerce d’Annecy"}}],
                           "rules/x.yaml")


def test_the_shipped_table_is_valid_json_with_a_how_to_update_note():
    from importlib import resources

    data = json.loads(resources.files("relance.domain").joinpath("courts.json").read_text(encoding="utf-8"))
    assert data["how_to_update"] and data["verified_until"]
