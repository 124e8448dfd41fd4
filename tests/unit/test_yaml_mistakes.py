"""The common editing mistakes in a rule file are reported on the line where they are made, in plain French.

Each case takes the shipped rules (rules/, which no test wrote for itself), makes one mistake on one line as a
person editing them would, and checks the line named and the advice. rules/README.md (« Erreurs de syntaxe
courantes ») quotes these messages. YAML itself often stops far below the mistake: an unclosed quote on line
32 used to be reported on line 52 as « YAML illisible ici (expected chomping or indentation indicators…) ».
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.rules.loader import load_rules
from relance.rules.yamlfile import YamlFile, parse_yaml_text

SHIPPED = Path(__file__).resolve().parents[2] / "rules"
GUIDE = (SHIPPED / "README.md").read_text(encoding="utf-8")


def quoted_in_guide(file: str, said: str) -> bool:
    """The guide (rules/README.md, « Erreurs de saisie YAML ») shows this very message, at this very place."""
    line_col, _, message = said.partition(": ")
    return f"rules/{file}:{line_col}: error: {message}" in GUIDE


def broken(tmp_path: Path, old: str, new: str, file: str = "scenarios.yaml") -> tuple[int, str]:
    """The shipped rules with the first line holding ``old`` changed to hold ``new``: (that line, its message)."""
    target = tmp_path / "rules"
    shutil.copytree(SHIPPED, target)
    path = target / file
    lines = path.read_text(encoding="utf-8").split("\n")
    number = next(i for i, line in enumerate(lines, 1) if old in line)
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    errors = [d for d in load_rules(target).diagnostics if d.severity == "error"]
    assert len(errors) == 1, errors
    assert errors[0].file.endswith(file)
    return number, f"{errors[0].line}:{errors[0].column}: {errors[0].message}"


def test_an_unclosed_double_quote_is_reported_where_it_opens(tmp_path):
    line, said = broken(tmp_path, 'invoice.amount_due: ">= 300"', 'invoice.amount_due: ">= 300')
    assert said.startswith(f"{line}:")
    assert "guillemet « \" » ouvert ici et jamais refermé" in said
    assert "jusqu’au guillemet suivant, ligne" in said  # where YAML would have stopped, far below
    assert 'invoice.amount_due: ">= 300"' in said  # the line as it should read
    assert "chomping" not in said and "YAML illisible" not in said
    assert quoted_in_guide("scenarios.yaml", said)


def test_an_unclosed_single_quote_runs_to_the_end_of_the_file_and_is_reported_where_it_opens(tmp_path):
    line, said = broken(tmp_path, 'invoice.amount_due: ">= 300"', "invoice.amount_due: '>= 300")
    assert said.startswith(f"{line}:") and "jusqu’à la fin du fichier" in said
    assert "invoice.amount_due: '>= 300'" in said


def test_an_unclosed_quote_inside_braces_is_closed_before_the_brace_in_the_advice(tmp_path):
    line, said = broken(tmp_path, "tone: courtois, template: preventif}", 'tone: courtois, template: "preventif}')
    assert said.startswith(f"{line}:")
    assert 'template: "preventif"}' in said


def test_a_colon_in_a_value_says_to_quote_the_value(tmp_path):
    line, said = broken(tmp_path, "channel: litigation", "channel: litigation: à valider")
    assert said.startswith(f"{line}:")
    assert "la valeur de « channel » contient « : »" in said and 'channel: "litigation: à valider"' in said
    assert quoted_in_guide("scenarios.yaml", said)


def test_a_key_indented_too_far_names_the_line_to_align_on(tmp_path):
    line, said = broken(tmp_path, "        tone: formel", "          tone: formel")
    assert said.startswith(f"{line}:11:")
    assert f"plus indentée que la précédente (ligne {line - 1}, colonne 9)" in said
    assert quoted_in_guide("scenarios.yaml", said)


def test_a_key_not_indented_enough_names_both_columns(tmp_path):
    line, said = broken(tmp_path, "        tone: formel", "      tone: formel")
    assert said.startswith(f"{line}:")
    assert f"commence en colonne 7, la précédente (ligne {line - 1}) en colonne 9" in said
    assert quoted_in_guide("scenarios.yaml", said)


def test_a_list_item_out_of_line(tmp_path):
    line, said = broken(tmp_path, "      - {id: relance_1, at: J+5", "     - {id: relance_1, at: J+5")
    assert said.startswith(f"{line}:") and "indentation incohérente" in said and "colonne 6" in said


def test_a_tab_in_the_indentation(tmp_path):
    line, said = broken(tmp_path, "        tone: formel", "\ttone: formel")
    assert said.startswith(f"{line}:1:") and "tabulation interdite" in said and "espaces" in said
    assert quoted_in_guide("scenarios.yaml", said)


def test_no_space_after_the_colon(tmp_path):
    line, said = broken(tmp_path, "        tone: formel", "        tone:formel")
    assert said.startswith(f"{line}:9:") and "« tone:formel » : écrivez « tone: formel »" in said
    assert quoted_in_guide("scenarios.yaml", said)


def test_a_missing_colon_is_reported_on_its_own_line_not_two_lines_below(tmp_path):
    line, said = broken(tmp_path, "    scenario: particuliers", "    scenario particuliers", file="segments.yaml")
    assert said.startswith(f"{line}:5:")
    assert "il manque « : » après « scenario » : écrivez « scenario: particuliers »" in said
    assert quoted_in_guide("segments.yaml", said)


def test_an_unclosed_brace(tmp_path):
    line, said = broken(tmp_path, "tone: courtois}", "tone: courtois")
    assert said.startswith(f"{line}:") and "accolade « { » ouverte ici et jamais refermée" in said
    assert quoted_in_guide("scenarios.yaml", said)


def test_apostrophes_and_quotes_in_valid_text_are_no_mistake():
    text = ("a: l'échéance est passée\nb: \"deux\n  lignes\"\nc: |\n  \"Bonjour\n  d'accord\nd: 'it''s'\n"
            "e: [\"x\", 'y']\n")
    assert parse_yaml_text(text, YamlFile("t.yaml")).problems == []


def test_a_multi_line_quoted_text_before_a_later_mistake_is_not_blamed():
    text = 'message: "une phrase\n  sur deux lignes"\nsteps:\n  - a: 1\n   - b: 2\n'
    (problem,) = parse_yaml_text(text, YamlFile("t.yaml")).problems
    assert problem.line == 5 and "indentation" in problem.message


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a: 1", "  b: 'x", '  - "y', "c:d", "\tx: 1", "- [1, 2", "e: {f: 1",
                                 "g: |", '  "h', "i: j: k", "", "# l'm", "m: n'o"]), min_size=1, max_size=12))
def test_any_mix_of_mistakes_gets_a_french_message_on_a_line_of_the_file(lines):
    text = "\n".join(lines) + "\n"
    for problem in parse_yaml_text(text, YamlFile("t.yaml")).problems:
        assert 1 <= problem.line <= len(lines) + 1
        assert "expected" not in problem.message and problem.message


@pytest.mark.parametrize("mistake", ["unclosed quote", "colon in a value"])
def test_check_from_the_command_line_names_the_file_and_line(tmp_path, capsys, mistake):
    from relance.cli import main

    old, new = {"unclosed quote": ('invoice.amount_due: ">= 300"', 'invoice.amount_due: ">= 300'),
                "colon in a value": ("channel: litigation", "channel: litigation: à valider")}[mistake]
    line, _ = broken(tmp_path, old, new)
    assert main(["check", "--rules", str(tmp_path / "rules")]) == 1
    err = capsys.readouterr().err
    assert f"scenarios.yaml:{line}:" in err and ": error: " in err and "Traceback" not in err
