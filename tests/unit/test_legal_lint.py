"""`relance check`'s legal lint on templates (issue 15 item 5): warnings, never errors — a daily run must not stop
because a sentence changed, and the notice may have been written outside relance.

- a formal notice (the template of a ``registered_letter`` step), rendered for a made-up debtor, must state the
  amount claimed, the deadline to pay (``legal.formal_notice_deadline_days`` days) and the words « en demeure »;
- no template rendered for a made-up consumer may mention the 40 € recovery indemnity (art. D441-5 of the Code de
  commerce applies between professionals only).
"""

from __future__ import annotations

import pytest

from relance.rules.loader import load_rules

RULES = """\
version: 1
segments:
  - name: tous
    scenario: simple
scenarios:
  simple:
    steps:
      - {id: relance_1, at: J+5, channel: email, tone: courtois}
      - {id: mise_en_demeure, at: J+30, channel: registered_letter, tone: formel}
"""
EMAIL = "Objet : Facture {{ invoices[0].id }}\n\nBonjour {{ customer.name }},\n{{ total|money }} restent dus.\n"
NOTICE = ("Objet : Mise en demeure de payer\n\nMadame, Monsieur,\n\nNous vous mettons en demeure de nous payer la "
          "somme de {{ total|money }} dans un délai de {{ legal.formal_notice_deadline_days }} jours à compter de "
          "la réception du présent courrier.\n"
          "{% if customer.kind == 'business' %}S’y ajoute l’indemnité forfaitaire de "
          "{{ legal.recovery_indemnity|money }} par facture.\n{% endif %}")


def lint(rules_dir, **templates: str) -> list[tuple[str, int, str]]:
    files = {"email/courtois.fr.j2": EMAIL, "registered_letter/formel.fr.j2": NOTICE}
    files.update({k.replace("__", "/") + ".fr.j2": v for k, v in templates.items()})
    result = load_rules(rules_dir(RULES, templates=files), check_templates=True)
    assert result.ok, [str(d) for d in result.errors]  # warnings only: nothing stops the daily run
    return [(d.file.split("templates/")[-1], d.line, d.message) for d in result.diagnostics
            if d.severity == "warning" and "templates/" in d.file]


def test_a_complete_formal_notice_passes(rules_dir):
    assert lint(rules_dir) == []


@pytest.mark.parametrize(("cut", "says"), [
    ("la somme de {{ total|money }} ", "le montant réclamé"),
    ("dans un délai de {{ legal.formal_notice_deadline_days }} jours à compter de la réception du présent courrier",
     "le délai de paiement"),
    ("mettons en demeure de nous payer", "les mots « en demeure »"),
])
def test_a_formal_notice_missing_a_mention_is_a_warning(rules_dir, cut, says):
    text = NOTICE.replace(cut, "réglons ").replace("Objet : Mise en demeure de payer", "Objet : Rappel")
    (warning,) = lint(rules_dir, registered_letter__formel=text)
    file, line, message = warning
    assert file == "registered_letter/formel.fr.j2" and line == 1
    assert says in message and "mise en demeure" in message


def test_a_deadline_written_in_words_counts(rules_dir):
    text = NOTICE.replace("{{ legal.formal_notice_deadline_days }} jours", "huit jours")
    assert lint(rules_dir, registered_letter__formel=text) == []


def test_a_registered_letter_no_step_uses_is_not_a_formal_notice(rules_dir):
    assert lint(rules_dir, registered_letter__courtois="Objet : Rappel\n\nMerci de régler {{ total|money }}.\n") == []


def test_a_template_that_tells_a_consumer_of_the_40_euros_is_a_warning(rules_dir):
    text = NOTICE.replace("{% if customer.kind == 'business' %}", "").replace("{% endif %}", "")
    (warning,) = lint(rules_dir, registered_letter__formel=text)
    file, line, message = warning
    assert file == "registered_letter/formel.fr.j2" and line == 6
    assert "particulier" in message and "40" in message and "D441-5" in message


def test_the_indemnity_written_by_hand_in_an_email_is_found_too(rules_dir):
    text = EMAIL + "Une indemnité forfaitaire de 40 € vous sera facturée.\n"
    (warning,) = lint(rules_dir, email__courtois=text)
    assert warning[0] == "email/courtois.fr.j2" and warning[1] == 5 and "particulier" in warning[2]


def test_the_sample_rules_pass_the_legal_lint():
    from tests.conftest import SAMPLE_RULES

    result = load_rules(SAMPLE_RULES, check_templates=True)
    assert not [d for d in result.diagnostics if "mise en demeure" in d.message or "D441-5" in d.message]
