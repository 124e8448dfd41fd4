"""Wherever a rule file names something defined elsewhere, a misspelt name gets « vouliez-vous dire … ? ».

Each case misspells one name in the shipped rules (rules/), as a person editing them would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from relance.rules.loader import load_rules

SHIPPED = Path(__file__).resolve().parents[2] / "rules"


def errors_after(tmp_path: Path, file: str, old: str, new: str) -> list[str]:
    target = tmp_path / "rules"
    shutil.copytree(SHIPPED, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return [str(d) for d in load_rules(target, check_templates=True).diagnostics if d.severity == "error"]


@pytest.mark.parametrize(("file", "old", "new", "said"), [
    ("scenarios.yaml", "template: preventif}", "template: preventive}",
     "modèle « preventive », langue fr) : créez {dir}/templates/email/preventive.fr.j2 — vouliez-vous dire "
     "« preventif » ?"),
    ("segments.yaml", "scenario: standard", "scenario: standart", "scénario inconnu « standart » — vouliez-vous "
                                                                  "dire « standard » ?"),
    ("scenarios.yaml", "tone: ferme}", "tone: frme}", "ton inconnu « frme » (tons définis : courtois, factuel, "
                                                      "ferme, formel) — vouliez-vous dire « ferme » ?"),
    ("scenarios.yaml", "channel: email, tone: courtois}", "channel: emial, tone: courtois}",
     "— vouliez-vous dire « email » ?"),
], ids=["template", "scenario", "tone", "channel"])
def test_a_misspelt_name_gets_the_name_meant(tmp_path, file, old, new, said):
    (error,) = errors_after(tmp_path, file, old, new)
    assert said.format(dir=tmp_path / "rules") in error
    assert error.startswith(str(tmp_path / "rules" / file) + ":")


def test_a_template_name_close_to_nothing_gets_no_guess(tmp_path):
    (error,) = errors_after(tmp_path, "scenarios.yaml", "template: preventif}", "template: annonce_salon}")
    assert "créez" in error and "vouliez-vous dire" not in error
