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
        "deferred": [],
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
    # The skip reasons are French in the table (issue 19); the JSON keeps SPEC §4's codes.
    assert "Relances du 06/05/2026 — 2 actions" in out and "F-1" in out
    assert "en pause : facture contestée (litige)" in out and "paused" not in out


def test_simulate_table_for_people_shows_the_deferred_actions_and_why(capsys, tmp_path):
    # The sample, with its contact policy: on 13 October C002 gets a formal notice, so the pre-due reminders of
    # its two invoices not yet due wait (SPEC §2.8, « not yet due »). The sample's formal notices wait for approval
    # (3 days) since issue 17; here they go on their day, as when approved beforehand: the rules without it.
    import shutil

    from ..conftest import SAMPLE_RULES

    rules = tmp_path / "rules"
    shutil.copytree(SAMPLE_RULES, rules)
    scenarios = rules / "scenarios.yaml"
    scenarios.write_text("\n".join(line for line in scenarios.read_text(encoding="utf-8").split("\n")
                                   if line.strip() not in ("approval: required", "approval_timeout_days: 3",
                                                           "approval_timeout_days: 5", "then: send")),
                         encoding="utf-8")
    code, out, _ = run(capsys, "simulate", "--rules", str(rules), "--data", "sample", "--from", "2026-10-01",
                       "--to", "2026-12-31")
    assert code == 0
    deferred = out.split("Relances reportées par la politique de contact")[1]
    assert "13/10/2026" in deferred and "F-2026-0420" in deferred and "C002" in deferred
    assert "pas encore échue" in deferred


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
    assert f"{path}: invoices[1].due_date: '2026-02-30' n’est pas une date" in err


def test_missing_data_file(capsys, rules_dir, tmp_path):
    code, _, err = run(capsys, "plan", "--rules", str(rules_dir()), "--data", str(tmp_path / "nope.json"),
                       "--on", "2026-05-06")
    assert code == 1 and "impossible de lire le fichier" in err


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


# -- One poisoned invoice never stops a command (SPEC §3) -------------------------------------------------

NO_DUE_DATE = {"id": "F-9", "customer_id": "C1", "issue_date": "2026-04-01", "due_date": "9999-12-31",
               "amount": "500.00"}


@pytest.fixture
def poisoned_file(tmp_path: Path) -> Path:
    path = tmp_path / "poisoned.json"
    path.write_text(json.dumps({**DATA, "invoices": [*DATA["invoices"], NO_DUE_DATE]}), encoding="utf-8")
    return path


def test_plan_lists_a_no_due_date_invoice_as_invalid_data_and_plans_the_others(capsys, rules_dir, data_file,
                                                                               poisoned_file):
    rules = str(rules_dir())
    _, clean, _ = run(capsys, "plan", "--rules", rules, "--data", str(data_file), "--on", "2026-05-06",
                      "--format", "json")
    code, out, err = run(capsys, "plan", "--rules", rules, "--data", str(poisoned_file), "--on", "2026-05-06",
                         "--format", "json")
    assert code == 0
    payload, before = json.loads(out), json.loads(clean)
    assert payload["actions"] == before["actions"] and payload["messages"] == before["messages"]
    assert payload["skipped"] == [{"invoice": "F-3", "reason": "paused: disputed"},
                                  {"invoice": "F-9", "reason": "invalid data: due_date"}]
    assert f"{poisoned_file}: invoices[3].due_date" in err and "F-9" in err and "31/12/9999" in err
    assert "Traceback" not in err


def test_simulate_lists_the_invoice_set_aside_and_simulates_the_others(capsys, rules_dir, data_file, poisoned_file):
    rules = str(rules_dir())
    window = ("--from", "2026-04-20", "--to", "2026-06-30", "--format", "json")
    _, clean, _ = run(capsys, "simulate", "--rules", rules, "--data", str(data_file), *window)
    code, out, err = run(capsys, "simulate", "--rules", rules, "--data", str(poisoned_file), *window)
    assert code == 0
    payload = json.loads(out)
    assert payload["actions"] == json.loads(clean)["actions"]
    assert payload["skipped"] == [{"invoice": "F-9", "reason": "invalid data: due_date"}]
    assert "F-9" in err and "Traceback" not in err


def test_plan_table_shows_the_invoice_set_aside(capsys, rules_dir, poisoned_file):
    code, out, err = run(capsys, "plan", "--rules", str(rules_dir()), "--data", str(poisoned_file),
                         "--on", "2026-05-06")
    assert code == 0 and "données inutilisables : champ due_date" in out and "F-9" in err


def _sample_with_poison(tmp_path: Path) -> Path:
    """The bundled sample, plus an invoice with no due date and one with an absurd amount, for a debtor
    whose other invoices are good."""
    from relance.cli import sample_data_path

    sample = json.loads(sample_data_path().read_text(encoding="utf-8"))
    base = {"customer_id": "C002", "issue_date": "2026-06-01", "currency": "EUR", "status": "open"}
    sample["invoices"] += [{**base, "id": "F-NO-DUE", "due_date": "9999-12-31", "amount": "900.00"},
                           {**base, "id": "F-HUGE", "due_date": "2026-07-01", "amount": "__HUGE__"}]
    path = tmp_path / "sample.json"
    path.write_text(json.dumps(sample, ensure_ascii=False).replace('"__HUGE__"', "1e999999999"), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [
    ["plan", "--on", "2026-11-23"],
    ["simulate", "--from", "2026-10-01", "--to", "2026-12-31"],
    ["report", "--on", "2026-11-30", "--out", "{tmp}/report"],
    ["claim", "--invoice", "F-2026-0305", "--on", "2026-11-30"],
    ["dossier", "--invoice", "F-2026-0305", "--on", "2026-11-30", "--out", "{tmp}/dossiers"],
    ["render", "--invoice", "F-2026-0305", "--step", "mise_en_demeure", "--out", "{tmp}/render"],
], ids=lambda argv: argv[0])
@pytest.mark.parametrize("fmt", ["json", "table"])
def test_every_command_goes_on_past_the_poisoned_invoices(capsys, tmp_path, command, fmt):
    from ..conftest import SAMPLE_RULES

    data = _sample_with_poison(tmp_path)
    argv = [part.format(tmp=tmp_path) for part in command]
    code, _, err = run(capsys, *argv, "--rules", str(SAMPLE_RULES), "--data", str(data), "--format", fmt)
    assert code == 0, err
    assert "F-NO-DUE" in err and "F-HUGE" in err and "Traceback" not in err


@pytest.mark.parametrize("command", [
    ["claim", "--on", "2026-11-30"],
    ["dossier", "--on", "2026-11-30", "--out", "{tmp}/dossiers"],
    ["render", "--step", "relance_1", "--out", "{tmp}/render"],
], ids=lambda argv: argv[0])
@pytest.mark.parametrize(("invoice", "field"), [("F-NO-DUE", "due_date"), ("F-HUGE", "amount")])
def test_asking_for_the_poisoned_invoice_itself_is_a_clean_error(capsys, tmp_path, command, invoice, field):
    from ..conftest import SAMPLE_RULES

    data = _sample_with_poison(tmp_path)
    argv = [part.format(tmp=tmp_path) for part in command]
    code, out, err = run(capsys, *argv, "--invoice", invoice, "--rules", str(SAMPLE_RULES), "--data", str(data))
    assert code == 1 and out == ""
    assert f"{invoice} : facture inutilisable" in err and f"invalid data: {field}" in err
    assert "Traceback" not in err


def test_the_installed_command_prints_no_traceback_on_poisoned_data(tmp_path):
    import subprocess
    import sys

    from ..conftest import SAMPLE_RULES

    data = _sample_with_poison(tmp_path)
    done = subprocess.run([sys.executable, "-m", "relance.cli", "plan", "--rules", str(SAMPLE_RULES), "--data",
                           str(data), "--on", "2026-11-23", "--format", "json"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    skipped = {s["invoice"]: s["reason"] for s in json.loads(done.stdout)["skipped"]}
    assert skipped["F-NO-DUE"] == "invalid data: due_date" and skipped["F-HUGE"] == "invalid data: amount"


@pytest.mark.parametrize("on", ["9999-12-31", "0001-01-01", "2200-01-01"])
@pytest.mark.parametrize("command", [
    ["plan", "--on"], ["claim", "--invoice", "F-1", "--on"], ["dossier", "--invoice", "F-1", "--on"],
    ["report", "--on"], ["simulate", "--from", "2026-05-01", "--to"],
], ids=lambda argv: argv[0])
def test_a_run_date_out_of_bounds_is_a_usage_error_not_a_traceback(capsys, rules_dir, data_file, command, on):
    code, _, err = run(capsys, *command, on, "--rules", str(rules_dir()), "--data", str(data_file))
    assert code == 2 and "hors des bornes" in err and "Traceback" not in err


POISON_DATES = ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"]
POISON_AMOUNTS = ['"1e999999999"', "1e999999999", '"-1E+999999999"', '"1000000000000"', '"0.001"', '"1E-999999"',
                  "1" + "0" * 5000]
POISON_CASES = ([(f, f'"{d}"') for f in ("issue_date", "due_date", "paid_on", "promise_to_pay_until", "completed_on",
                                         "payments[0].date", "history[0].date", "history[0].delivered_on",
                                         "customer.since") for d in POISON_DATES]
                + [(f, a) for f in ("amount", "amount_due", "payments[0].amount") for a in POISON_AMOUNTS])


@pytest.mark.parametrize(("field", "raw"), POISON_CASES, ids=[f"{f}={r[:14]}" for f, r in POISON_CASES])
def test_plan_names_the_poisoned_field_whatever_it_is(capsys, rules_dir, tmp_path, field, raw):
    # Given a third customer whose one invoice carries the poison in one field
    poisoned = {"id": "F-9", "customer_id": "C3", "issue_date": "2026-04-01", "due_date": "2026-05-01",
                "amount": "500.00", "payments": [{"date": "2026-05-02", "amount": "10.00"}],
                "history": [{"step": "preventif", "date": "2026-04-28", "delivered_on": "2026-04-29"}]}
    customer = {"id": "C3", "name": "Tiers", "kind": "business"}
    target = customer if field == "customer.since" else poisoned
    if "[0]." in field:
        listed, key = field.split("[0].")
        target[listed][0][key] = "__POISON__"
    else:
        target[field.removeprefix("customer.")] = "__POISON__"
    document = {"customers": [*DATA["customers"], customer], "invoices": [*DATA["invoices"], poisoned]}
    path = tmp_path / "data.json"
    path.write_text(json.dumps(document).replace('"__POISON__"', raw), encoding="utf-8")
    # When planning, Then the others are planned and that invoice is listed with the field to blame
    code, out, err = run(capsys, "plan", "--rules", str(rules_dir()), "--data", str(path), "--on", "2026-05-06",
                         "--format", "json")
    assert code == 0 and "Traceback" not in err
    payload = json.loads(out)
    assert [a["invoice"] for a in payload["actions"]] == ["F-1", "F-2"]
    assert {"invoice": "F-9", "reason": f"invalid data: {field}"} in payload["skipped"]
@pytest.mark.parametrize("body", ["{{ 'x' * 10**10 }}", "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
                                  "{{ customer.name|truncate(-1) }}"])
def test_render_of_a_template_over_its_budget_is_a_message_not_a_traceback(capsys, rules_dir, data_file, body):
    directory = rules_dir(MINIMAL_RULES, templates={"email/courtois.fr.j2": f"Objet : Rappel\n\n{body}\n"})
    code, _, err = run(capsys, "render", "--rules", str(directory), "--data", str(data_file), "--invoice", "F-1",
                       "--step", "relance_1", "--out", str(directory.parent / "out"))
    assert code == 1 and "Traceback" not in err
    assert err.splitlines()[-1].startswith("modèle email/courtois.fr.j2, ligne 3 : ")
