"""`relance check` refuses a template that is missing, broken, or reaches beyond its variables."""

from __future__ import annotations

import pytest

from relance.rules.loader import load_rules

RULES = """\
version: 1
segments:
  - name: anglophones
    when: {customer.language: en}
    scenario: simple
  - name: tous
    scenario: simple
scenarios:
  simple:
    steps:
      - {id: relance_1, at: J+5, channel: email, tone: courtois}
      - {id: appel, at: J+15, channel: phone, tone: factuel}
"""
EMAIL = "Objet : Facture {{ invoices[0].id }}\n\nBonjour {{ customer.name }},\n{{ total|money }}\n"
PHONE = "Appeler {{ customer.name }} au sujet de {{ total|money }}.\n"
GOOD = {"email/courtois.fr.j2": EMAIL, "email/courtois.en.j2": EMAIL, "phone/default.fr.j2": PHONE,
        "phone/default.en.j2": PHONE}


def errors(result):
    return [d for d in result.diagnostics if d.severity == "error"]


def test_complete_templates_pass(rules_dir):
    result = load_rules(rules_dir(RULES, templates=GOOD), check_templates=True)
    assert result.ok, [str(d) for d in result.diagnostics]


def test_missing_template_points_at_the_step(rules_dir):
    templates = {k: v for k, v in GOOD.items() if k != "email/courtois.fr.j2"}
    (error,) = errors(load_rules(rules_dir(RULES, templates=templates), check_templates=True))
    assert error.line == 11 and "modèle manquant" in error.message
    assert "templates/email/courtois.fr.j2" in error.message and "templates/email/default.fr.j2" in error.message


def test_a_language_routed_by_a_segment_needs_its_templates(rules_dir):
    templates = {k: v for k, v in GOOD.items() if k != "phone/default.en.j2"}
    (error,) = errors(load_rules(rules_dir(RULES, templates=templates), check_templates=True))
    assert "langue en" in error.message and "phone/default.en.j2" in error.message


def test_plan_and_simulate_need_no_templates(rules_dir):
    assert load_rules(rules_dir(RULES)).ok


def test_syntax_error_names_the_template_line(rules_dir):
    broken = dict(GOOD, **{"email/courtois.fr.j2": "Objet : x\n\nBonjour\n{% if total %}\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert error.file.endswith("email/courtois.fr.j2") and error.line == 4
    assert "n’est pas refermé : ajoutez {% endif %}" in error.message


def test_misspelt_closing_tag_names_the_right_one(rules_dir):
    broken = dict(GOOD, **{"phone/default.fr.j2": "{% for f in invoices %}\n{{ f.id }}\n{% endfo %}\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert error.line == 3 and "balise inconnue « endfo »" in error.message and "{% endfor %}" in error.message


def test_unknown_filter(rules_dir):
    broken = dict(GOOD, **{"phone/default.fr.j2": "{{ total|monnaie }}\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert "filtre inconnu « monnaie »" in error.message and "money" in error.message


def test_misspelt_attribute_suggests_the_right_one(rules_dir):
    broken = dict(GOOD, **{"phone/default.fr.j2": "{{ company.signataire }}\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert "« company.signataire » n’existe pas — vouliez-vous dire « signatory » ?" in error.message


def test_unprotected_free_column_is_a_warning(rules_dir):
    broken = dict(GOOD, **{"phone/default.fr.j2": "Chantier : {{ invoices[0].extra.chantier }}\n"})
    result = load_rules(rules_dir(RULES, templates=broken), check_templates=True)
    assert result.ok
    (warning,) = result.diagnostics
    assert warning.severity == "warning" and "« chantier » peut manquer" in warning.message


def test_protected_free_column_passes(rules_dir):
    fine = dict(GOOD, **{"phone/default.fr.j2": "{% if invoices[0].extra.chantier is defined %}"
                                                  "{{ invoices[0].extra.chantier }}{% endif %}\n"})
    assert load_rules(rules_dir(RULES, templates=fine), check_templates=True).diagnostics == []


def test_subject_line_may_use_a_no_break_space(rules_dir):
    fine = dict(GOOD, **{"email/courtois.fr.j2": "Objet\u00a0: Facture\n\nBonjour\n"})
    assert load_rules(rules_dir(RULES, templates=fine), check_templates=True).ok


def test_unknown_variable_suggests_the_closest(rules_dir):
    broken = dict(GOOD, **{"phone/default.fr.j2": "Bonjour\n{{ costumer.name }}\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert error.line == 2 and "variable inconnue « costumer » — vouliez-vous dire « customer » ?" in error.message


def test_unknown_attribute_is_refused(rules_dir):
    broken = dict(GOOD, **{"phone/default.fr.j2": "Bonjour\n\n{{ customer.nom }}\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert error.line == 3 and "« customer.nom » n’existe pas" in error.message and "name" in error.message


def test_email_without_subject_line(rules_dir):
    broken = dict(GOOD, **{"email/courtois.en.j2": "Bonjour {{ customer.name }}\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert error.line == 1 and "Objet :" in error.message


@pytest.mark.parametrize("attack", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.system('id') }}",
    "{{ customer.__class__.__init__.__globals__ }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ invoices.append(1) }}",
])
def test_template_injection_is_refused_never_executed(rules_dir, attack):
    broken = dict(GOOD, **{"phone/default.fr.j2": f"Bonjour\n{attack}\n"})
    result = load_rules(rules_dir(RULES, templates=broken), check_templates=True)
    assert not result.ok
    assert any(d.file.endswith("phone/default.fr.j2") for d in errors(result)), [str(d) for d in result.diagnostics]


def test_template_that_is_not_utf8(rules_dir):
    directory = rules_dir(RULES, templates=GOOD)
    (directory / "templates" / "phone" / "default.fr.j2").write_bytes(b"\xff\xfe\x00A")
    (error,) = errors(load_rules(directory, check_templates=True))
    assert "UTF-8" in error.message
