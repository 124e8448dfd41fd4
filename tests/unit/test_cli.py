"""The command line: SPEC §4 JSON shapes, exit codes, and messages instead of tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relance.cli import main

from ..conftest import MINIMAL_RULES

DATA = {
    "customers": [{"id": "C1", "name": "Menuiserie Martin SARL", "kind": "business"},
                  {"id": "C2", "name": "Camille Durand", "kind": "consumer"}],
    "invoices": [
        {"id": "F-1", "customer_id": "C1", "issue_date": "2026-04-01", "due_date": "2026-05-01",
         "amount": "1200.00"},
        {"id": "F-2", "customer_id": "C1", "issue_date": "2026-04-01", "due_date": "2026-05-01",
         "amount": "300.00"},
        {"id": "F-3", "customer_id": "C2", "issue_date": "2026-04-01", "due_date": "2026-05-01",
         "amount": "80.00", "status": "disputed"},
    ],
}


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(DATA), encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_json_has_exactly_the_spec_keys(capsys, rules_dir, data_file):
    # Due Fri 1 May 2026 (holiday); J+5 = Wed 6 May.
    code, out, _ = run(capsys, "plan", "--rules", str(rules_dir()), "--data", str(data_file), "--on", "2026-05-06",
                       "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload == {
        "date": "2026-05-06",
        "actions": [
            {"invoice": "F-1", "customer": "C1", "segment": "tous", "scenario": "standard", "step": "relance_1",
             "channel": "email", "tone": "courtois"},
            {"invoice": "F-2", "customer": "C1", "segment": "tous", "scenario": "standard", "step": "relance_1",
             "channel": "email", "tone": "courtois"},
        ],
        "messages": [{"customer": "C1", "channel": "email", "tone": "courtois", "invoices": ["F-1", "F-2"]}],
        "skipped": [{"invoice": "F-3", "reason": "paused: disputed"}],
    }


def test_simulate_json_is_sorted_by_date_then_invoice(capsys, rules_dir, data_file):
    code, out, _ = run(capsys, "simulate", "--rules", str(rules_dir()), "--data", str(data_file),
                       "--from", "2026-04-20", "--to", "2026-06-30", "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert (payload["from"], payload["to"]) == ("2026-04-20", "2026-06-30")
    keys = [(a["date"], a["invoice"]) for a in payload["actions"]]
    assert keys == sorted(keys)
    assert set(payload["actions"][0]) == {"date", "invoice", "customer", "segment", "scenario", "step", "channel",
                                          "tone"}
    assert [(a["date"], a["step"]) for a in payload["actions"] if a["invoice"] == "F-1"] == [
        ("2026-04-28", "preventif"), ("2026-05-06", "relance_1"), ("2026-05-18", "appel"),
        ("2026-06-01", "mise_en_demeure")]


def test_plan_table_for_people(capsys, rules_dir, data_file):
    code, out, _ = run(capsys, "plan", "--rules", str(rules_dir()), "--data", str(data_file), "--on", "2026-05-06")
    assert code == 0
    assert "Relances du 06/05/2026 — 2 action(s)" in out and "F-1" in out and "paused: disputed" in out


def test_check_prints_file_line_col_on_stderr_and_exits_1(capsys, rules_dir):
    directory = rules_dir(MINIMAL_RULES.replace("tone: factuel", "tone: factual"))
    code, _, err = run(capsys, "check", "--rules", str(directory))
    assert code == 1
    assert f"{directory / 'rules.yaml'}:10:" in err and ": error: ton inconnu « factual »" in err
    assert "Traceback" not in err


def test_check_json(capsys, rules_dir):
    directory = rules_dir(MINIMAL_RULES.replace("tone: factuel", "tone: factual"))
    code, out, _ = run(capsys, "check", "--rules", str(directory), "--format", "json")
    payload = json.loads(out)
    assert code == 1 and payload["ok"] is False and payload["errors"] >= 1
    assert {"file", "line", "column", "severity", "message"} <= set(payload["diagnostics"][0])


def test_plan_with_broken_rules_exits_1_without_traceback(capsys, rules_dir, data_file):
    directory = rules_dir("version: 1\nsegments: [\n")
    code, _, err = run(capsys, "plan", "--rules", str(directory), "--data", str(data_file), "--on", "2026-05-06")
    assert code == 1 and "rules.yaml:" in err and "Traceback" not in err


def test_bad_data_names_the_place(capsys, rules_dir, tmp_path):
    bad = json.loads(json.dumps(DATA))
    bad["invoices"][1]["due_date"] = "2026-02-30"
    path = tmp_path / "data.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    code, _, err = run(capsys, "plan", "--rules", str(rules_dir()), "--data", str(path), "--on", "2026-05-06")
    assert code == 1
    assert f"{path}: invoices[1].due_date: '2026-02-30' is not a date" in err


def test_missing_data_file(capsys, rules_dir, tmp_path):
    code, _, err = run(capsys, "plan", "--rules", str(rules_dir()), "--data", str(tmp_path / "nope.json"),
                       "--on", "2026-05-06")
    assert code == 1 and "cannot read the file" in err


@pytest.mark.parametrize("argv", [
    ["plan", "--data", "x.json", "--on", "2026-02-30"],
    ["plan", "--data", "x.json"],
    ["simulate", "--data", "x.json", "--from", "2026-05-02", "--to", "2026-05-01"],
    ["frobnicate"],
    [],
])
def test_usage_errors_exit_2(capsys, argv):
    code, _, _ = run(capsys, *argv)
    assert code == 2


def test_schema_is_a_json_schema(capsys):
    code, out, _ = run(capsys, "schema")
    schema = json.loads(out)
    assert code == 0 and schema["$schema"].startswith("https://json-schema.org/")
    assert {"segments", "scenarios", "calendar", "pause", "tones", "company", "legal"} <= set(schema["properties"])


@pytest.mark.parametrize("body", ["{{ 'x' * 10**10 }}", "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
                                  "{{ customer.name|truncate(-1) }}"])
def test_render_of_a_template_over_its_budget_is_a_message_not_a_traceback(capsys, rules_dir, data_file, body):
    directory = rules_dir(MINIMAL_RULES, templates={"email/courtois.fr.j2": f"Objet : Rappel\n\n{body}\n"})
    code, _, err = run(capsys, "render", "--rules", str(directory), "--data", str(data_file), "--invoice", "F-1",
                       "--step", "relance_1", "--out", str(directory.parent / "out"))
    assert code == 1 and "Traceback" not in err
    assert err.splitlines()[-1].startswith("modèle email/courtois.fr.j2, ligne 3 : ")
