"""Every error class of the rule checker comes back as FILE:LINE:COL with a plain French message."""

from __future__ import annotations

from pathlib import Path

import pytest

from relance.rules.loader import Diagnostic, load_rules

from ..conftest import MINIMAL_RULES

COMPLETE_COMPANY = """\
company:
  name: Atelier Test
  legal_form: SAS
  siren: "732829320"
  address: {line1: 1 rue Neuve, postal_code: "69001", city: Lyon, country: FR}
  email: compta@test.example
  iban: FR7630006000011234567890189
  signatory: Camille Test, présidente
"""


@pytest.fixture
def rules_dir(rules_dir):
    """Rule files plus a complete company in its own file, so letters raise no warning."""

    def write(files=None, **kwargs):
        if isinstance(files, str) and "company:" not in files:
            files = {"rules.yaml": files, "company.yaml": COMPLETE_COMPANY}
        return rules_dir(files, **kwargs)

    return write


def only(diagnostics: list[Diagnostic], severity: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == severity]


def single_error(directory: Path, **kwargs) -> Diagnostic:
    result = load_rules(directory, **kwargs)
    errors = only(result.diagnostics, "error")
    assert len(errors) == 1, [str(d) for d in result.diagnostics]
    assert result.rules is None
    return errors[0]


def test_minimal_rules_load_without_error(rules_dir):
    result = load_rules(rules_dir(MINIMAL_RULES))
    assert result.ok, [str(d) for d in result.diagnostics]
    assert [s.id for s in result.rules.scenarios["standard"].steps] == [
        "preventif", "relance_1", "appel", "mise_en_demeure"]
    assert [s.at for s in result.rules.scenarios["standard"].steps] == [-3, 5, 15, 30]


def test_message_format_is_file_line_col_severity_message(rules_dir):
    directory = rules_dir(MINIMAL_RULES.replace("scenario: standard", "scenario: standart"))
    error = single_error(directory)
    assert str(error) == (f"{directory / 'rules.yaml'}:4:15: error: scénario inconnu « standart » — "
                          "vouliez-vous dire « standard » ?")


def test_duplicate_key_names_both_lines(rules_dir):
    text = MINIMAL_RULES.replace("  - name: tous\n", "  - name: tous\n    name: encore\n")
    error = single_error(rules_dir(text))
    assert (error.line, error.column) == (4, 5)
    assert "« name » apparaît deux fois" in error.message and "ligne 3" in error.message


def test_section_defined_in_two_files_names_the_first(rules_dir):
    directory = rules_dir({"a.yaml": MINIMAL_RULES, "b.yaml": "tones: [doux]\nversion: 1\n"})
    error = single_error(directory)
    assert error.file.endswith("b.yaml") and error.line == 2
    assert "déjà définie" in error.message and "a.yaml (ligne 1)" in error.message


def test_sections_merge_across_files(rules_dir):
    scenarios = MINIMAL_RULES.split("scenarios:")[1]
    directory = rules_dir({"base.yaml": "version: 1\n", "segments.yaml": MINIMAL_RULES.split("scenarios:")[0]
                           .replace("version: 1\n", ""), "scenarios.yml": "scenarios:" + scenarios})
    result = load_rules(directory)
    assert result.ok, [str(d) for d in result.diagnostics]


def test_missing_required_section(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES.replace("version: 1\n", "")))
    assert "section obligatoire « version »" in error.message


def test_unknown_section_suggests_the_closest(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES + "calendrier: {}\n"))
    assert error.line == 12 and "section inconnue « calendrier »" in error.message
    assert "« calendar »" in error.message


def test_unknown_key_in_a_step_suggests_the_closest(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES.replace("channel: phone", "chanel: phone")))
    assert (error.line, error.column) == (10, 31)
    assert "clé inconnue « chanel » — vouliez-vous dire « channel » ?" in error.message


def test_missing_key_in_a_step(rules_dir):
    result = load_rules(rules_dir(MINIMAL_RULES.replace("channel: phone, ", "")))
    assert any("il manque la clé « channel »" in d.message and d.line == 10 for d in result.diagnostics)


def test_unknown_channel_suggests_the_closest(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES.replace("channel: phone", "channel: telephone")))
    assert error.line == 10
    assert "« telephone » n’est pas une valeur possible pour « channel »" in error.message
    assert "« phone »" in error.message


def test_unknown_tone_suggests_the_closest(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES.replace("tone: factuel", "tone: factual")))
    assert error.line == 10 and "ton inconnu « factual »" in error.message and "« factuel »" in error.message


def test_custom_tones_replace_the_default_ones(rules_dir):
    text = MINIMAL_RULES + "tones: [doux, courtois, factuel, formel]\n"
    result = load_rules(rules_dir(text))
    assert result.ok and result.rules.tones == ("doux", "courtois", "factuel", "formel")


def test_step_without_tone_is_an_error_except_litigation(rules_dir):
    text = MINIMAL_RULES.replace(", tone: factuel", "") + "      - {id: injonction, at: J+45, channel: litigation}\n"
    error = single_error(rules_dir(text))
    assert error.line == 10 and "il manque le ton" in error.message


def test_duplicate_step_id(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES.replace("id: appel", "id: relance_1")))
    assert error.line == 10 and "« relance_1 » existe déjà" in error.message and "ligne 9" in error.message


def test_at_not_increasing(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES.replace("at: J+15", "at: J+5")))
    assert error.line == 10 and "doit venir après celui de l’étape précédente (J+5)" in error.message


def test_at_written_badly(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES.replace("at: J+15", "at: J15")))
    assert error.line == 10 and "délai « J15 » invalide" in error.message


def test_step_id_with_capitals_or_spaces(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES.replace("id: appel", "id: Appel client")))
    assert error.line == 10 and "identifiant « Appel client » invalide" in error.message


def test_unknown_condition_field_suggests_the_closest(rules_dir):
    text = MINIMAL_RULES.replace("    scenario: standard", "    when: {invoice.amount_du: \">= 300\"}\n"
                                                          "    scenario: standard\n  - name: reste\n"
                                                          "    scenario: standard")
    error = single_error(rules_dir(text))
    assert (error.line, error.column) == (4, 12)
    assert "champ inconnu « invoice.amount_du » — vouliez-vous dire « invoice.amount_due » ?" in error.message


def test_extra_fields_are_free(rules_dir):
    text = MINIMAL_RULES.replace("    scenario: standard", "    when: {invoice.extra.chantier: Cuisine}\n"
                                                          "    scenario: standard\n  - name: reste\n"
                                                          "    scenario: standard")
    assert load_rules(rules_dir(text)).ok


def test_condition_value_of_the_wrong_type(rules_dir):
    text = MINIMAL_RULES.replace("    scenario: standard", "    when: {invoice.amount_due: \">= beaucoup\"}\n"
                                                          "    scenario: standard")
    error = single_error(rules_dir(text))
    assert error.line == 4 and "« beaucoup » n’en est pas un" in error.message


def test_unquoted_comparison_gets_a_quoting_hint(rules_dir):
    text = MINIMAL_RULES.replace("    scenario: standard", "    when: {invoice.amount_due: >= 300}\n"
                                                          "    scenario: standard")
    error = single_error(rules_dir(text))
    assert error.line == 4 and "entre guillemets" in error.message


def test_unquoted_not_equal_gets_a_quoting_hint(rules_dir):
    text = MINIMAL_RULES.replace("    scenario: standard", "    when:\n      customer.kind: != consumer\n"
                                                          "    scenario: standard")
    error = single_error(rules_dir(text))
    assert (error.line, error.column) == (5, 22) and "entre guillemets" in error.message


def test_tone_going_backwards_is_a_warning(rules_dir):
    text = MINIMAL_RULES.replace("tone: formel", "tone: courtois")
    result = load_rules(rules_dir(text))
    assert result.ok
    warning = only(result.diagnostics, "warning")[0]
    assert warning.line == 11 and "le ton redescend de « factuel » à « courtois »" in warning.message


def test_no_catch_all_last_segment_is_a_warning(rules_dir):
    text = MINIMAL_RULES.replace("    scenario: standard", "    when: {customer.kind: business}\n"
                                                          "    scenario: standard")
    result = load_rules(rules_dir(text))
    assert result.ok
    (warning,) = only(result.diagnostics, "warning")
    assert warning.line == 3 and "attrape-tout" in warning.message


def test_segment_after_the_catch_all_is_a_warning(rules_dir):
    text = MINIMAL_RULES.replace("    scenario: standard", "    scenario: standard\n  - name: jamais\n"
                                                          "    when: {customer.kind: consumer}\n"
                                                          "    scenario: standard", 1)
    result = load_rules(rules_dir(text))
    (warning,) = only(result.diagnostics, "warning")
    assert warning.line == 5 and "« jamais » ne sera jamais utilisé" in warning.message


def test_step_after_litigation_is_unreachable(rules_dir):
    text = MINIMAL_RULES + ("      - {id: injonction, at: J+45, channel: litigation}\n"
                            "      - {id: apres, at: J+60, channel: email, tone: formel}\n")
    result = load_rules(rules_dir(text))
    assert any(d.line == 13 and "ne sera jamais atteinte" in d.message for d in result.diagnostics)


def test_company_incomplete_with_letters_is_a_warning(rules_dir):
    result = load_rules(rules_dir(MINIMAL_RULES + "company:\n  name: Atelier\n"))
    assert result.ok
    (warning,) = only(result.diagnostics, "warning")
    assert warning.line == 12 and "company est incomplète" in warning.message and "siren" in warning.message


def test_company_not_needed_without_letters(rules_dir):
    text = MINIMAL_RULES.replace("      - {id: mise_en_demeure, at: J+30, channel: registered_letter, tone: formel}\n",
                                 "")
    assert load_rules(rules_dir(text)).diagnostics == []


def test_unknown_timezone_and_holiday_country(rules_dir):
    result = load_rules(rules_dir(MINIMAL_RULES + "calendar:\n  timezone: Europe/Pari\n  holidays: XX\n"))
    messages = [(d.line, d.message) for d in only(result.diagnostics, "error")]
    assert any(line == 13 and "fuseau horaire inconnu « Europe/Pari »" in m and "Europe/Paris" in m
               for line, m in messages)
    assert any(line == 14 and "pays inconnu « XX »" in m for line, m in messages)


def test_alsace_moselle_subdivision_is_accepted(rules_dir):
    result = load_rules(rules_dir(MINIMAL_RULES + "calendar:\n  holidays: {country: FR, subdivision: \"57\"}\n"))
    assert result.ok and result.rules.calendar.subdivision == "57"


def test_numbers_where_text_is_expected_get_a_quoting_hint(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES + COMPLETE_COMPANY.replace('"732829320"', "732829320")))
    assert error.file.endswith("rules.yaml") and error.line == 15
    assert "« siren » doit être un texte" in error.message and "guillemets" in error.message


def test_the_company_mentions_are_read_and_a_malformed_one_says_how_to_write_it(rules_dir):
    mentions = '  rcs_city: Lyon\n  share_capital: "50000"\n  vat_number: FR08841273659\n'
    result = load_rules(rules_dir(MINIMAL_RULES + COMPLETE_COMPANY + mentions))
    assert result.ok
    company = result.rules.company
    assert (company.rcs_city, company.share_capital, company.vat_number) == ("Lyon", "50000", "FR08841273659")

    error = single_error(rules_dir(MINIMAL_RULES + COMPLETE_COMPANY + mentions.replace('"50000"', "50000")))
    assert "« share_capital » doit être un texte" in error.message and '"50000"' in error.message
    error = single_error(rules_dir(MINIMAL_RULES + COMPLETE_COMPANY + mentions.replace("FR08", "FR 08")))
    assert "numéro de TVA « FR 08841273659 » invalide" in error.message and "FR08841273659" in error.message


class TestCompanyValuesGoIntoEmailHeaders:
    """The company's name and address are in every e-mail's From header, which refuses a line break: what
    `check` lets through must not fail every e-mail at send time (issue 12, item 6)."""

    def company(self, name_lines: str) -> str:
        return COMPLETE_COMPANY.replace("  name: Atelier Test\n", name_lines)

    def test_a_folded_name_keeps_no_trailing_newline(self, rules_dir):
        result = load_rules(rules_dir(MINIMAL_RULES + self.company("  name: >\n    Atelier Test\n    et Fils\n")))
        assert result.ok, [str(d) for d in result.diagnostics]
        assert result.rules.company.name == "Atelier Test et Fils"

    @pytest.mark.parametrize("name_lines", [
        "  name: |\n    Atelier Test\n    et Fils\n",
        '  name: "Atelier Test\\r\\nBcc: victime@example.com"\n',
        '  name: "Atelier\\u2028Test"\n',
        '  name: "Atelier\\x0bTest"\n',
    ])
    def test_a_line_break_inside_is_an_error_with_the_one_line_spelling(self, rules_dir, name_lines):
        error = single_error(rules_dir(MINIMAL_RULES + self.company(name_lines)))
        assert error.file.endswith("rules.yaml") and error.line == 13 and error.column == 9
        assert "« company.name »" in error.message and "une seule ligne" in error.message
        assert 'name: "Atelier' in error.message

    def test_an_address_line_with_a_line_break_is_an_error(self, rules_dir):
        text = COMPLETE_COMPANY.replace("line1: 1 rue Neuve", 'line1: "1 rue Neuve\\nBât. A"')
        error = single_error(rules_dir(MINIMAL_RULES + text))
        assert "« company.address.line1 »" in error.message and error.line == 16

    def test_an_email_that_is_no_address_is_an_error(self, rules_dir):
        error = single_error(rules_dir(MINIMAL_RULES + COMPLETE_COMPANY.replace("compta@test.example",
                                                                                "compta chez test.example")))
        assert error.line == 17 and "n’est pas une adresse e-mail" in error.message


def test_late_interest_accepts_legal_or_a_rate(rules_dir):
    assert load_rules(rules_dir(MINIMAL_RULES + "legal: {late_interest: 15}\n")).ok
    error = single_error(rules_dir(MINIMAL_RULES + "legal: {late_interest: beaucoup}\n"))
    assert "late_interest vaut legal" in error.message


class TestUnreadableFiles:
    def test_tabs(self, rules_dir):
        error = single_error(rules_dir(MINIMAL_RULES.replace("    scenario: standard", "\tscenario: standard")))
        assert error.line == 4 and "tabulation" in error.message

    def test_empty_file_is_a_warning_beside_valid_ones(self, rules_dir):
        result = load_rules(rules_dir({"rules.yaml": MINIMAL_RULES, "vide.yaml": "", "company.yaml": COMPLETE_COMPANY}))
        assert result.ok
        assert [d.file.endswith("vide.yaml") and "vide" in d.message for d in result.diagnostics] == [True]

    def test_only_an_empty_file(self, rules_dir):
        result = load_rules(rules_dir(""))
        assert not result.ok and any("section obligatoire" in d.message for d in result.diagnostics)

    def test_binary(self, rules_dir):
        directory = rules_dir({})
        (directory / "image.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
        error = single_error(directory)
        assert error.file.endswith("image.yaml") and "UTF-8" in error.message

    def test_control_characters(self, rules_dir):
        directory = rules_dir({})
        (directory / "r.yaml").write_bytes(b"version: 1\x00\x01\n")
        error = single_error(directory)
        assert "non imprimable" in error.message

    def test_ten_megabytes(self, rules_dir):
        directory = rules_dir({})
        (directory / "enorme.yaml").write_text("# " + "x" * 10_000_000 + "\n", encoding="utf-8")
        error = single_error(directory)
        assert "trop volumineux" in error.message

    def test_alias_bomb(self, rules_dir):
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
                  for i in range(1, 12)]
        error = single_error(rules_dir("\n".join(lines) + "\n"))
        assert "trop complexe" in error.message

    def test_a_list_at_the_top(self, rules_dir):
        error = single_error(rules_dir("- version: 1\n"))
        assert "suite de sections" in error.message

    def test_several_documents(self, rules_dir):
        error = single_error(rules_dir(MINIMAL_RULES + "---\nversion: 1\n"))
        assert "un seul document" in error.message

    def test_missing_directory(self, tmp_path):
        error = single_error(tmp_path / "absent")
        assert "introuvable" in error.message

    def test_directory_without_yaml(self, tmp_path):
        error = single_error(tmp_path)
        assert "aucun fichier .yaml" in error.message


@pytest.mark.parametrize("broken", [
    "version: 1\nsegments: [\n",
    "version: 1\nsegments:\n  - name: a\n   scenario: b\n",
    "version: 'abc\n",
    "version: 1\nsegments: *nowhere\n",
    "a: b: c\n",
])
def test_yaml_syntax_errors_have_a_line(rules_dir, broken):
    error = single_error(rules_dir(broken))
    assert error.line >= 1 and error.message and "Traceback" not in error.message


def test_at_written_as_a_bare_number(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES.replace("at: J+15", "at: 15")))
    assert error.line == 10 and "délai « 15 » invalide" in error.message


def test_badly_named_scenario_points_at_its_name(rules_dir):
    text = MINIMAL_RULES.replace("  standard:\n", "  Standard:\n").replace("scenario: standard", "scenario: Standard")
    result = load_rules(rules_dir(text))
    assert any(d.line == 6 and "nom de scénario « Standard » invalide" in d.message for d in result.diagnostics)


def test_unquoted_subdivision_gets_a_quoting_hint(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES + "calendar:\n  holidays: {country: FR, subdivision: 57}\n"))
    assert "« subdivision » doit être un texte" in error.message and '"57"' in error.message


def test_condition_without_value_points_at_its_key(rules_dir):
    text = MINIMAL_RULES.replace("    scenario: standard", "    when:\n      customer.kind:\n    scenario: standard")
    error = single_error(rules_dir(text))
    assert (error.line, error.column) == (5, 7) and "n’a pas de valeur" in error.message


def test_cgv_rate_below_three_times_the_legal_rate_is_a_warning(rules_dir):
    result = load_rules(rules_dir(MINIMAL_RULES + "legal: {late_interest: 5}\n"))
    assert result.ok
    (warning,) = only(result.diagnostics, "warning")
    assert warning.line == 12 and "inférieur à trois fois le taux d’intérêt légal" in warning.message
    assert not only(load_rules(rules_dir(MINIMAL_RULES + "legal: {late_interest: 15}\n")).diagnostics, "warning")


def test_the_company_iban_siren_and_vat_keys_are_checked_and_a_spaced_iban_is_normalised(rules_dir):
    """Issue 15: a wrong key in the company's IBAN, SIREN or VAT number is an error in check (python-stdnum)."""
    spaced = COMPLETE_COMPANY.replace("FR7630006000011234567890189", "FR76 3000 6000 0112 3456 7890 189")
    result = load_rules(rules_dir(MINIMAL_RULES + spaced))
    assert result.ok and result.rules.company.iban == "FR7630006000011234567890189"
    for good, bad in (("FR7630006000011234567890189", "FR7630006000011234567890188"),
                      ('"732829320"', '"732829321"')):
        error = single_error(rules_dir(MINIMAL_RULES + COMPLETE_COMPANY.replace(good, bad)))
        assert "invalide" in error.message


def test_a_vat_number_whose_key_does_not_match_the_siren_is_an_error_and_la_postes_siren_passes(rules_dir):
    with_vat = COMPLETE_COMPANY + "  vat_number: FR44732829320\n"
    assert load_rules(rules_dir(MINIMAL_RULES + with_vat)).ok
    error = single_error(rules_dir(MINIMAL_RULES + with_vat.replace("FR44", "FR45")))
    assert "numéro de TVA « FR45732829320 » invalide" in error.message
    # La Poste's SIREN fails Luhn's key, yet it is valid (INSEE's one exception).
    assert load_rules(rules_dir(MINIMAL_RULES + COMPLETE_COMPANY.replace('"732829320"', '"356000000"'))).ok


def test_a_litigation_step_without_a_formal_notice_before_it_is_a_warning(tmp_path):
    import shutil

    from ..conftest import SAMPLE_RULES

    shutil.copytree(SAMPLE_RULES, tmp_path / "rules")
    scenarios = tmp_path / "rules" / "scenarios.yaml"
    scenarios.write_text(scenarios.read_text(encoding="utf-8").replace("channel: registered_letter",
                                                                         "channel: letter"), encoding="utf-8")
    result = load_rules(tmp_path / "rules")
    assert result.ok
    assert any("aucune mise en demeure" in d.message for d in result.diagnostics if d.severity == "warning")
    assert not any("aucune mise en demeure" in d.message for d in load_rules(SAMPLE_RULES).diagnostics)
# -- loose checks (issue 12, item 8) ---------------------------------------------------------------------------------

def _segment_when(condition: str) -> str:
    """MINIMAL_RULES with a first segment under ``condition`` (line 4) and a catch-all after it."""
    return MINIMAL_RULES.replace("    scenario: standard", f"    when: {condition}\n    scenario: standard\n"
                                                          "  - name: reste\n    scenario: standard")


@pytest.mark.parametrize("written", ['"J+45\\n"', "'J+45\n\n'", ">\n          J+45"])
def test_a_delay_ending_with_a_line_break_is_refused(rules_dir, written):
    text = MINIMAL_RULES.replace("      - {id: mise_en_demeure, at: J+30, channel: registered_letter, tone: formel}\n",
                                 f"      - id: mise_en_demeure\n        at: {written}\n"
                                 "        channel: registered_letter\n        tone: formel\n")
    error = single_error(rules_dir(text))
    assert (error.line, error.column) == (12, 13)
    assert "délai « J+45\\n » invalide" in error.message and "retour à la ligne" in error.message
    assert "at: J+45" in error.message


@pytest.mark.parametrize("pattern_field", [
    ('"relance_1\\n"', "id: relance_1", "identifiant"),
    ('"preventif\\n"', "id: relance_1, template: preventif", "nom de modèle"),
])
def test_any_patterned_value_ending_with_a_line_break_is_refused(rules_dir, pattern_field):
    written, where, label = pattern_field
    key = "template" if "template" in where else "id"
    text = MINIMAL_RULES.replace("id: relance_1", where).replace(f"{key}: {where.split(': ')[-1]}",
                                                                 f"{key}: {written}")
    error = single_error(rules_dir(text))
    assert error.line == 9 and label in error.message and "retour à la ligne" in error.message


def test_a_siren_ending_with_a_line_break_is_refused(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES + COMPLETE_COMPANY.replace('"732829320"', '"732829320\\n"')))
    assert error.line == 15 and "SIREN" in error.message and "retour à la ligne" in error.message


@pytest.mark.parametrize("at", ["J-9999", "J+99999", "J+3651", "J-3651"])
def test_a_delay_beyond_ten_years_is_refused(rules_dir, at):
    text = MINIMAL_RULES.replace("      - {id: preventif, at: J-3,", f"      - {{id: preventif, at: {at},")
    if at.startswith("J+"):
        text = MINIMAL_RULES + f"      - {{id: tard, at: {at}, channel: registered_letter, tone: formel}}\n"
    error = single_error(rules_dir(text))
    assert error.line in (8, 12)
    assert f"délai {at}" in error.message or f"délai « {at} »" in error.message
    assert "3650" in error.message


def test_a_delay_of_ten_years_is_accepted(rules_dir):
    text = MINIMAL_RULES.replace("at: J-3,", "at: J-3650,") + \
        "      - {id: tard, at: J+3650, channel: registered_letter, tone: formel}\n"
    assert load_rules(rules_dir(text)).ok


def test_not_equal_to_an_impossible_kind_is_refused(rules_dir):
    error = single_error(rules_dir(_segment_when('{customer.kind: "!= robot"}')))
    assert (error.line, error.column) == (4, 27)
    assert "« robot » n’est pas une valeur possible de « customer.kind » (business, consumer)" in error.message


def test_not_equal_to_a_misspelt_status_suggests_the_closest(rules_dir):
    error = single_error(rules_dir(_segment_when('{invoice.status: "!= payed"}')))
    assert "« payed »" in error.message and "vouliez-vous dire « paid » ?" in error.message


def test_a_number_in_a_list_of_countries_is_refused(rules_dir):
    error = single_error(rules_dir(_segment_when("{customer.country: [FR, 33]}")))
    assert (error.line, error.column) == (4, 35)  # at « 33 » itself
    assert "« 33 » n’est pas un code pays" in error.message


@pytest.mark.parametrize(("condition", "expected"), [
    ("{customer.country: fr}", "vouliez-vous dire « FR » ?"),
    ("{customer.country: UK}", "vouliez-vous dire « GB » ?"),
    ('{customer.country: "!= FRA"}', "code pays"),
    ("{customer.language: [fr, english]}", "vouliez-vous dire « en » ?"),
    ("{customer.language: FR}", "vouliez-vous dire « fr » ?"),
    ('{invoice.currency: "!= EURO"}', "vouliez-vous dire « EUR » ?"),
    ("{invoice.currency: [EUR, €]}", "vouliez-vous dire « EUR » ?"),
])
def test_codes_outside_the_iso_lists_are_refused_with_the_closest_code(rules_dir, condition, expected):
    error = single_error(rules_dir(_segment_when(condition)))
    assert error.line == 4 and expected in error.message


def test_valid_codes_are_accepted(rules_dir):
    condition = '{customer.country: [FR, BE, CH], customer.language: "!= de", invoice.currency: [EUR, USD]}'
    assert load_rules(rules_dir(_segment_when(condition))).ok


def test_an_unquoted_number_for_a_text_field_gets_a_quoting_hint(rules_dir):
    error = single_error(rules_dir(_segment_when("{customer.id: [C001, 1e3]}")))
    assert error.line == 4 and "entre guillemets" in error.message and "customer.id" in error.message


@pytest.mark.parametrize(("condition", "reason"), [
    ('{invoice.due_date: ">= 2026-02-30"}', "le 30 février 2026 n’existe pas"),
    ('{invoice.extra.x: ">= 2026-13-01"}', "il n’y a pas de mois 13"),
    ("{invoice.extra.x: 2026-04-31}", "le 31 avril 2026 n’existe pas"),
    ('{customer.extra.fin_contrat: ["2026-01-01", "2026-00-10"]}', "il n’y a pas de mois 0"),
    ('{invoice.issue_date: "< 9999-12-31"}', "hors des bornes"),
])
def test_an_impossible_date_is_refused(rules_dir, condition, reason):
    error = single_error(rules_dir(_segment_when(condition)))
    assert error.line == 4 and reason in error.message


def test_a_real_date_on_an_extra_field_is_accepted(rules_dir):
    assert load_rules(rules_dir(_segment_when('{invoice.extra.x: ">= 2028-02-29"}'))).ok


def test_no_pattern_of_the_published_schema_lets_a_line_break_through():
    """Python's ``$`` matches before a final line break, ECMA-262's (editors') does not: patterns avoid it."""
    import re

    from jsonschema import Draft202012Validator

    from relance.rules.schema import schema

    patterns: list[str] = []

    def collect(node):
        if isinstance(node, dict):
            patterns.extend(v for k, v in node.items() if k == "pattern")
            for k, v in node.items():
                if k != "pattern":
                    collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    collect(schema())
    assert len(patterns) >= 9
    for pattern in patterns:
        samples = ("J+45", "123456789", "FR08841273659", "50000", "relance_1", "2026-01-01", "2026-H1", "3.15", "69266",
                   "en")
        sample = next(s for s in samples if re.search(pattern, s))
        validator = Draft202012Validator({"type": "string", "pattern": pattern})
        assert validator.is_valid(sample), pattern
        assert not validator.is_valid(sample + "\n") and not validator.is_valid(sample + "\r\n"), pattern
