"""Rules checked when the layer is built ship with their digest and load without being checked again.

What a function sees must not depend on the shortcut: the same steps, segments, places and plans as the full
check; and anything that makes the record stale (an edited rule file, another checker, a damaged record)
sends the rules through the full check, which still refuses bad rules.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from relance.datafile import load_book
from relance.domain.planner import Planner
from relance.rules import ship, shipped
from relance.rules.loader import RulesError, load_rules, load_rules_or_raise

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "functions" / "relance" / "sample" / "data.json"


@pytest.fixture
def layer(tmp_path) -> Path:
    """The rules layer as `sam build` makes it: the Makefile's own target."""
    out = subprocess.run(["make", "-s", "build-RulesLayer", f"ARTIFACTS_DIR={tmp_path}", f"PYTHON={sys.executable}"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return tmp_path / "rules"


def _loads_in_a_fresh_interpreter(directory: Path) -> list[str]:
    code = ("import sys\n"
            "from relance.rules.loader import load_rules_or_raise\n"
            f"load_rules_or_raise({str(directory)!r})\n"
            "print(' '.join(m for m in ('jsonschema', 'ruamel', 'holidays', 'stdnum') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def _where(place) -> tuple:
    return Path(place.file).name, place.line, place.column


def _shape(rules) -> tuple:
    return (rules.digest, rules.version, rules.tones, rules.calendar, rules.company, rules.legal,
            [(s.name, s.scenario, s.when is None, _where(s.place)) for s in rules.segments],
            {n: [(st.id, st.at, st.channel, st.tone, st.template, st.when is None, _where(st.place)) for st in sc.steps]
             for n, sc in rules.scenarios.items()},
            [p.name for p in rules.pauses], rules.rates is None, rules.courts is None)


def test_the_layer_build_checks_the_rules_and_writes_their_record(layer):
    record = json.loads((layer / shipped.CHECKED_FILE).read_text(encoding="utf-8"))
    assert record["digest"] == load_rules_or_raise(ROOT / "rules").digest
    assert record["checker"] == shipped.checker_fingerprint()


def test_recorded_rules_load_without_the_yaml_parser_the_schema_or_the_holiday_library(layer):
    assert _loads_in_a_fresh_interpreter(layer) == []


def test_recorded_rules_are_the_rules_the_full_check_builds(layer, tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(layer, plain)
    (plain / shipped.CHECKED_FILE).unlink()
    fast, full = load_rules_or_raise(layer), load_rules_or_raise(plain)
    assert _shape(fast) == _shape(full)
    assert fast.segments[0].place.file == str(layer / "segments.yaml")
    book, on = load_book(SAMPLE), date(2026, 11, 23)
    assert Planner(fast).plan(book, on) == Planner(full).plan(book, on)


def test_an_edited_rule_file_goes_through_the_full_check_again(layer):
    scenarios = layer / "scenarios.yaml"
    scenarios.write_text(scenarios.read_text(encoding="utf-8").replace("tone:", "tonalite:", 1), encoding="utf-8")
    with pytest.raises(RulesError) as refused:
        load_rules_or_raise(layer)
    assert any("tonalite" in str(d) or "tone" in str(d) for d in refused.value.diagnostics)


def test_a_valid_edit_is_loaded_by_the_full_check(layer):
    (layer / "zz_extra.yaml").write_text("# un commentaire\n", encoding="utf-8")
    assert "jsonschema" in _loads_in_a_fresh_interpreter(layer)
    assert load_rules(layer).ok


def test_a_record_written_by_another_checker_is_not_trusted(layer, monkeypatch):
    monkeypatch.setattr(shipped, "checker_fingerprint", lambda: "another relance")
    assert shipped.read_record(layer, load_rules_or_raise(layer).digest) is None


@pytest.mark.parametrize("damage", ["", "{", '{"format": 1}', "[]"])
def test_a_damaged_record_falls_back_to_the_full_check(layer, damage):
    digest = load_rules_or_raise(layer).digest
    (layer / shipped.CHECKED_FILE).write_text(damage, encoding="utf-8")
    assert shipped.read_record(layer, digest) is None
    assert load_rules_or_raise(layer).digest == digest


def test_the_layer_is_not_built_from_invalid_rules(tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(ROOT / "rules", bad)
    (bad / "segments.yaml").write_text("segments: 3\n", encoding="utf-8")
    assert ship.main([str(bad), str(tmp_path / "out")]) == 1
    assert not (tmp_path / "out" / shipped.CHECKED_FILE).exists()


def test_decimals_and_mappings_keep_their_types_through_the_record():
    data = {"rate": shipped.Decimal("10.50"), "n": [1, True, None, "x"], "by": {1: "un", "$x": "y"}}
    text = json.dumps(shipped.encode_data(data), default=shipped._encode)
    assert json.loads(text, object_hook=shipped._decode) == data
