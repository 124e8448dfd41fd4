"""The documents' prose (requête, décompte, chronology, filing guide, call digest, report page) ships as templates
that a rules directory may override in ``templates/documents/``; `relance check` reads those overrides too."""

from __future__ import annotations

from datetime import date

from relance.app.deliver import call_digest_text
from relance.rules.loader import load_rules
from relance.texts import PACKAGED, template_names

from .test_template_check import GOOD, RULES, errors

TASK = {"customer_name": "Cuisines Saône Design", "phone": "04 78 00 00 00", "total": "1150.00", "tone": "factuel",
        "script": "Bonjour,\n\nMerci.", "invoices": [{"id": "F-1", "amount_due": "1150.00", "days_late": 45,
                                                      "already": ["relance_1 (email) le 23/09/2026"]}]}


def test_every_document_ships_in_the_package():
    assert {"requete.fr.j2", "decompte.fr.j2", "chronologie.fr.j2", "lisez-moi.fr.txt.j2", "appels.fr.txt.j2",
            "rapport.fr.html.j2"} <= set(template_names())


def test_the_call_digest_says_its_subject_and_whom_to_call():
    # One spelling (« 1 client », « 45 jours »), the phone number, French step labels, no double space (issue 14).
    subject, text = call_digest_text("marc@example.fr", date(2026, 11, 2), [TASK], "Atelier Bois & Fils")
    assert subject == "Appels de relance du lundi 2 novembre 2026\u00a0: 1 client, 1\u202f150,00\u202f€"
    assert text.startswith("Bonjour,\n\nVoici le client à appeler aujourd’hui (1)")
    assert "1. Cuisines Saône Design — tél. 04 78 00 00 00 — 1\u202f150,00\u202f€" in text
    assert "45 jours de retard" in text and "(s)" not in text
    assert "Étape\u00a0: appel (ton factuel)" in text
    assert "relance invoice paid F-1\n" in text
    assert "  " not in text
    assert text.endswith("Atelier Bois & Fils — relances automatiques")


def test_the_call_digest_names_the_customer_and_the_step_in_french():
    task = dict(TASK, customer="C015", step_label="appel (ton ferme)",
                invoices=[dict(TASK["invoices"][0], days_late=1,
                               already=["relance par e-mail (ton courtois) le 23/09/2026"])])
    _, text = call_digest_text("marc@example.fr", date(2026, 11, 2), [task, dict(task, customer_name="Autre")],
                               "Atelier Bois & Fils")
    assert "Voici les clients à appeler aujourd’hui (2)" in text
    assert "Cuisines Saône Design (client C015) — tél. 04 78 00 00 00" in text
    assert "1 jour de retard. Déjà fait\u00a0: relance par e-mail (ton courtois) le 23/09/2026." in text
    assert "Étape\u00a0: appel (ton ferme)" in text and "relance_1" not in text


def test_a_rules_directory_may_override_the_call_digest(tmp_path):
    folder = tmp_path / "templates" / "documents"
    folder.mkdir(parents=True)
    packaged = (PACKAGED / "appels.fr.txt.j2").read_text(encoding="utf-8")
    (folder / "appels.fr.txt.j2").write_text(packaged.replace("Bonne journée,", "À demain,"), encoding="utf-8")
    _, text = call_digest_text("marc@example.fr", date(2026, 11, 2), [TASK], "Atelier Bois & Fils", tmp_path)
    assert "À demain," in text and "Bonne journée" not in text


def test_check_reads_an_overridden_document_template(rules_dir):
    broken = dict(GOOD, **{"documents/requete.fr.j2": "@para\n{% if consumer %}\nx\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert error.file.endswith("documents/requete.fr.j2") and "n’est pas refermé" in error.message


def test_check_warns_on_a_document_template_that_replaces_nothing(rules_dir):
    result = load_rules(rules_dir(RULES, templates=dict(GOOD, **{"documents/requette.fr.j2": "@para\nx\n"})),
                        check_templates=True)
    assert result.ok
    (warning,) = [d for d in result.diagnostics if d.file.endswith("requette.fr.j2")]
    assert "ne remplace aucun" in warning.message and "requete.fr.j2" in warning.message
