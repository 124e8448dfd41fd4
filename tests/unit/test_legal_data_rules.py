"""Rates and courts as data a rule editor completes in the rules directory, checked by `check`, used by
`claim` and `dossier` (SPEC §5)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from relance.cli import main
from relance.domain.claim import rates_of
from relance.domain.courts import courts_of
from relance.rules.loader import load_rules

from ..conftest import MINIMAL_RULES

RATES_2026_H2 = """\
rates:
  verified_until: "2026-12-31"
  source: arrêté du taux de l’intérêt légal pour le second semestre 2026
  legal_rate:
    - {half_year: 2026-H2, professional: "2.50", consumer: "6.50"}
"""

COURT_ANNECY = """\
courts:
  - commune: Annecy
    postal_codes: ["74000"]
    tribunal_judiciaire: {city: Annecy, name: tribunal judiciaire d’Annecy}
    tribunal_de_proximite: null
    commercial: {city: Annecy, name: tribunal de commerce d’Annecy}
    source: annuaire des juridictions, justice.fr
"""


def test_a_rule_editor_adds_a_half_year_without_a_release(rules_dir):
    # The figures above are made up for the test: 2.50 / 6.50 are not the published 2026-H2 rates.
    result = load_rules(rules_dir({"rules.yaml": MINIMAL_RULES, "taux.yaml": RATES_2026_H2}))

    assert result.ok, [str(d) for d in result.diagnostics]
    rates = rates_of(result.rules)
    assert rates.legal_rate(date(2026, 9, 1)).rate == Decimal("2.50")
    assert rates.legal_rate(date(2026, 9, 1)).warning is None  # verified now
    assert rates.verified_until == date(2026, 12, 31) and "taux.yaml" in rates.source


def test_a_rates_section_with_a_gap_is_an_error_naming_the_file(rules_dir):
    gap = RATES_2026_H2.replace("2026-H2", "2027-H1")
    result = load_rules(rules_dir({"rules.yaml": MINIMAL_RULES, "taux.yaml": gap}))

    assert not result.ok
    (error,) = [d for d in result.diagnostics if d.severity == "error"]
    assert error.file.endswith("taux.yaml") and "2027-H1" in error.message


def test_a_rates_section_with_a_bad_half_year_is_refused_by_the_schema(rules_dir):
    bad = RATES_2026_H2.replace("half_year: 2026-H2", "half_year: 2026-S2")
    assert not load_rules(rules_dir({"rules.yaml": MINIMAL_RULES, "taux.yaml": bad})).ok


def test_a_rule_editor_adds_a_commune_to_the_courts(rules_dir):
    result = load_rules(rules_dir({"rules.yaml": MINIMAL_RULES, "tribunaux.yaml": COURT_ANNECY}))

    assert result.ok, [str(d) for d in result.diagnostics]
    assert any(e.commune == "Annecy" for e in courts_of(result.rules).communes)


def test_a_court_entry_without_its_source_is_an_error(rules_dir):
    bad = COURT_ANNECY.replace("    source: annuaire des juridictions, justice.fr\n", "")
    result = load_rules(rules_dir({"rules.yaml": MINIMAL_RULES, "tribunaux.yaml": bad}))

    assert not result.ok and any("source" in d.message for d in result.diagnostics)


def test_claim_says_which_rates_it_used(rules_dir, tmp_path, capsys):
    data = {"customers": [{"id": "C1", "name": "Martin SARL", "kind": "business",
                           "address": {"postal_code": "69003", "city": "Lyon"}}],
            "invoices": [{"id": "F1", "customer_id": "C1", "issue_date": "2026-06-01", "due_date": "2026-07-01",
                          "amount": "1000.00"}]}
    (tmp_path / "data.json").write_text(json.dumps(data), encoding="utf-8")
    shipped = rules_dir({"rules.yaml": MINIMAL_RULES})

    assert main(["claim", "--rules", str(shipped), "--data", str(tmp_path / "data.json"), "--invoice", "F1",
                 "--on", "2026-08-01", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert "rates.json" in payload["rates"]["source"] and payload["rates"]["verified_until"] == "2026-06-30"
    # 2026-H2 is past the shipped verified_until: the last known ECB rate, said in French
    assert any("non vérifié" in w for w in payload["warnings"])


def test_dossier_json_gives_the_court_type_city_and_name(rules_dir, tmp_path, capsys):
    notice = [{"step": "mise_en_demeure", "date": "2026-10-01", "channel": "registered_letter",
               "delivered_on": "2026-10-05"}]
    data = {"customers": [
        {"id": "C1", "name": "Julien Moreau", "kind": "consumer",
         "address": {"line1": "2 rue Y", "postal_code": "69100", "city": "Villeurbanne"}},
        {"id": "C2", "name": "SCI des Pentes", "kind": "business", "legal_form": "SCI",
         "address": {"line1": "3 rue Z", "postal_code": "69001", "city": "Lyon"}},
        {"id": "C3", "name": "Marc Petit", "kind": "business", "legal_form": "EI",
         "address": {"line1": "4 rue W", "postal_code": "69001", "city": "Lyon"}}],
        "invoices": [{"id": f"F{n}", "customer_id": f"C{n}", "issue_date": "2026-06-01", "due_date": "2026-07-01",
                      "amount": "3000.00", "history": notice} for n in (1, 2, 3)]}
    (tmp_path / "data.json").write_text(json.dumps(data), encoding="utf-8")
    rules = rules_dir({"rules.yaml": MINIMAL_RULES})

    def court_of(invoice: str) -> dict:
        assert main(["dossier", "--rules", str(rules), "--data", str(tmp_path / "data.json"), "--invoice", invoice,
                     "--on", "2026-11-30", "--format", "json", "--out", str(tmp_path / "out")]) == 0
        return json.loads(capsys.readouterr().out)["court"]

    assert court_of("F1") == {"type": "tribunal_judiciaire", "city": "Villeurbanne",
                              "name": "tribunal de proximité de Villeurbanne"}
    assert court_of("F2") == {"type": "tribunal_judiciaire", "city": "Lyon", "name": "tribunal judiciaire de Lyon"}
    assert court_of("F3") == {"type": None, "city": None, "name": None}  # an EI without activity


def test_a_rate_past_verified_until_is_told_to_the_company_never_written_in_the_decompte(tmp_path, capsys):
    import io
    import zipfile
    from pathlib import Path

    from pypdf import PdfReader

    from relance.cli import sample_data_path

    rules = Path(__file__).resolve().parents[2] / "rules"
    assert main(["dossier", "--rules", str(rules), "--data", str(sample_data_path()), "--invoice", "F-2026-0260",
                 "--on", "2026-11-30", "--format", "json", "--out", str(tmp_path)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert any("non vérifié" in w for w in payload["claim"]["warnings"])  # the CLI says it
    archive = zipfile.ZipFile(payload["path"])
    decompte = next(n for n in archive.namelist() if n.endswith("02-decompte.pdf"))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read(decompte))).pages)
    assert "non vérifié" not in text and "2 890,00" in text.replace("\u202f", " ")
