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


# -- every template file, every kind of debtor (issue 12, item 6) --------------------------------------------
def test_a_language_no_segment_routes_on_is_checked_too(rules_dir):
    """A typo in courtois.de.j2 would fail every e-mail to a German-speaking customer the day one is imported."""
    broken = dict(GOOD, **{"email/courtois.de.j2": "Objet : Rechnung\n\nGuten Tag,\n{{ customer.nmae }}\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert error.file.endswith("email/courtois.de.j2") and error.line == 4
    assert "« customer.nmae » n’existe pas" in error.message


def test_a_template_no_step_uses_is_checked_too(rules_dir):
    broken = dict(GOOD, **{"letter/ferme.fr.j2": "Objet : Relance\n\n{{ total|monnaie }}\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert error.file.endswith("letter/ferme.fr.j2") and "filtre inconnu « monnaie »" in error.message


@pytest.mark.parametrize(("branch", "who"), [
    ("{% if customer.kind == 'consumer' %}", "particulier"),
    ("{% if invoices|length == 1 %}", "une seule facture"),
    ("{% if not customer.email %}", "sans e-mail"),
    ("{% if not customer.siren and customer.kind == 'business' %}", "sans e-mail, téléphone, SIREN"),
    ("{% if invoices[0].days_overdue <= 0 %}", "pas encore échue"),
    ("{% if invoices|length > 10 %}", "douze factures"),
])
def test_a_branch_the_first_debtor_never_takes_is_rendered_too(rules_dir, branch, who):
    """An error only rendering finds (an attribute named in a string), in a branch one debtor takes."""
    broken = dict(GOOD, **{"phone/default.fr.j2": f"Appeler {{{{ customer.name }}}}.\n{branch}\n"
                                                  "{{ invoices|map(attribute='montant')|join }}\n{% endif %}\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert error.file.endswith("phone/default.fr.j2") and error.line == 3
    assert "« invoices[…].montant » n’existe pas" in error.message and who in error.message


@pytest.mark.parametrize(("body", "path"), [
    ("{% if today.month == 12 %}{{ customer.nmae }}{% endif %}", "customer.nmae"),
    ("{% if customer.extra.vip == 'oui' %}{{ company.address.rue }}{% endif %}", "company.address.rue"),
    ("{% for f in invoices|selectattr('days_overdue', '>', 400) %}{{ f.montant }}{% endfor %}",
     "invoices[…].montant"),
    ("{% if step.id == 'relance_9' %}{{ legal.taux }}{% endif %}", "legal.taux"),
])
def test_a_misspelt_attribute_is_found_in_a_branch_no_debtor_takes(rules_dir, body, path):
    broken = dict(GOOD, **{"phone/default.fr.j2": f"Appeler {{{{ customer.name }}}}.\n{body}\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert error.line == 2 and f"« {path} » n’existe pas" in error.message


def test_a_name_the_template_sets_itself_is_not_checked_as_a_variable(rules_dir):
    fine = dict(GOOD, **{"phone/default.fr.j2": "{% for customer in invoices %}{{ customer.amount }}{% endfor %}\n"
                                                "{% set step = {'x': 1} %}{{ step.x }}\n"})
    assert load_rules(rules_dir(RULES, templates=fine), check_templates=True).ok


def test_a_template_outside_the_channel_folders_is_a_warning(rules_dir):
    stray = dict(GOOD, **{"sms/courtois.fr.j2": "Bonjour\n", "email/courtois.j2": "Objet : x\n"})
    result = load_rules(rules_dir(RULES, templates=stray), check_templates=True)
    assert result.ok
    assert sorted(d.file.rsplit("templates/", 1)[1] for d in result.diagnostics) == ["email/courtois.j2",
                                                                                     "sms/courtois.fr.j2"]
    assert all("ne sera jamais utilisé" in d.message for d in result.diagnostics)


# -- a template that would exhaust the function is refused at its line (issue 12, item 7) -----------------
MILLION = "1\u202f000\u202f000"  # numbers in messages are grouped with narrow no-break spaces


@pytest.mark.parametrize(("body", "line", "says"), [
    ("{{ 'x' * 10**10 }}", 2, f"dépasserait {MILLION} caractères"),
    ("{% for i in range(100000) %}\n{% for j in range(100000) %}{% endfor %}{% endfor %}", 2, "range"),
    ("{% for i in range(10000) %}\n{% for j in range(10000) %}{% endfor %}{% endfor %}", 3, "100\u202f000 tours"),
    ("{{ customer.name|truncate(-1) }}", 2, "truncate(-1)"),
    ("{% macro relance(n) %}\n{{ relance(n) }}\n{% endmacro %}{{ relance(1) }}", 3, "appels imbriqués"),
    ("{{ ('x' * 1000000)|replace('x', 'xxxxxxxxxx') }}", 2, f"dépasserait {MILLION} caractères"),
    ("{{ ', '.join(['x' * 100000] * 1000) }}", 2, f"dépasserait {MILLION} caractères"),
    ("{{ (['x' * 100000] * 1000)|join }}", 2, f"dépasserait {MILLION} caractères"),
    ("{{ customer.name|center(1000000000) }}", 2, "largeur"),
    ("{{ customer.name|indent(1000000000) }}", 2, "retrait"),
    ("{{ customer.name|wordwrap(0) }}", 2, "wordwrap(0)"),
    ("{{ '%0999999999d' % 1 }}", 2, f"dépasserait {MILLION} caractères"),
    ("{{ '{:>999999999}'.format(total) }}", 2, f"dépasserait {MILLION} caractères"),
    ("{{ 10 ** 100000 }}", 2, "plus de 1\u202f000 chiffres"),
    ("{% set x = 1 %}{% set x.y = 2 %}", 2, "namespace"),
    ("{% for x in invoices recursive %}{{ loop(invoices) }}{% endfor %}", 2, "recursive"),
    ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", 1, "trop imbriqué"),
    ("{{ cycler().next() }}", 2, "at least one item"),
    ("{{ 1[1:] }}", 2, "not subscriptable"),
])
def test_a_template_over_its_budget_is_a_french_error_at_its_line(rules_dir, body, line, says):
    broken = dict(GOOD, **{"phone/default.fr.j2": f"Appeler {{{{ customer.name }}}}.\n{body}\n"})
    result = load_rules(rules_dir(RULES, templates=broken), check_templates=True)
    (error,) = errors(result)
    assert error.file.endswith("phone/default.fr.j2") and error.line == line, str(error)
    assert says in error.message, error.message


def test_a_slice_of_a_literal_warns_nothing_on_the_terminal(rules_dir, recwarn):
    broken = dict(GOOD, **{"phone/default.fr.j2": "Appeler {{ customer.name }}.\n{{ 1[1:] }}\n"})
    (error,) = errors(load_rules(rules_dir(RULES, templates=broken), check_templates=True))
    assert error.line == 2 and not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]
