"""``approval: required`` on a step, with ``approval_timeout_days`` and ``then``: what ``relance check`` accepts,
what it says in French where the mistake is, and how ``plan`` and ``simulate`` show an action awaiting approval."""

from __future__ import annotations

import json
from datetime import date

from relance.cli import main
from relance.domain.approval import StepApproval
from relance.domain.planner import Planner
from relance.rules.loader import load_rules

from ..conftest import MINIMAL_RULES
from ..support.books import book, business, invoice

NOTICE = "      - {id: mise_en_demeure, at: J+30, channel: registered_letter, tone: formel}\n"


def with_notice(extra: str) -> str:
    """The minimal rules with the formal notice written as a block, ``extra`` lines added to it."""
    block = ("      - id: mise_en_demeure\n        at: J+30\n        channel: registered_letter\n"
             "        tone: formel\n" + extra)
    return MINIMAL_RULES.replace(NOTICE, block)


def errors(directory):
    result = load_rules(directory)
    return [d for d in result.diagnostics if d.severity == "error"], result


def notice_step(result):
    return result.rules.scenarios["standard"].steps[-1]


def test_approval_required_alone_waits_for_a_person(rules_dir):
    found, result = errors(rules_dir(with_notice("        approval: required\n")))
    assert found == []
    assert notice_step(result).approval == StepApproval(timeout_days=None)


def test_a_timeout_with_its_then_is_compiled(rules_dir):
    found, result = errors(rules_dir(with_notice(
        "        approval: required\n        approval_timeout_days: 5\n        then: send\n")))
    assert found == []
    assert notice_step(result).approval == StepApproval(timeout_days=5, then="send")
    assert result.rules.scenarios["standard"].steps[0].approval is None


def test_a_misspelt_approval_key_is_named_with_a_suggestion(rules_dir):
    (error,), _ = errors(rules_dir(with_notice("        aproval: required\n")))
    assert error.line == 15 and "« aproval »" in error.message and "« approval »" in error.message


def test_an_approval_other_than_required_is_refused_in_french(rules_dir):
    (error,), _ = errors(rules_dir(with_notice("        approval: yes\n")))
    assert error.line == 15 and "approval" in error.message and "required" in error.message


def test_then_other_than_send_or_hold_is_refused(rules_dir):
    (error,), _ = errors(rules_dir(with_notice(
        "        approval: required\n        approval_timeout_days: 5\n        then: wait\n")))
    assert error.line == 17 and "« wait »" in error.message and "send" in error.message


def test_a_timeout_without_then_says_what_to_add(rules_dir):
    (error,), _ = errors(rules_dir(with_notice("        approval: required\n        approval_timeout_days: 5\n")))
    assert error.line == 16
    assert "then: send" in error.message and "then: hold" in error.message


def test_then_without_a_timeout_says_what_to_add(rules_dir):
    (error,), _ = errors(rules_dir(with_notice("        approval: required\n        then: hold\n")))
    assert error.line == 16 and "approval_timeout_days" in error.message


def test_a_timeout_without_approval_required_is_an_error_on_each_line(rules_dir):
    found, _ = errors(rules_dir(with_notice("        approval_timeout_days: 5\n        then: send\n")))
    assert [e.line for e in found] == [15, 16]
    assert all("approval: required" in e.message for e in found)


def test_a_timeout_of_zero_days_is_refused(rules_dir):
    (error,), _ = errors(rules_dir(with_notice(
        "        approval: required\n        approval_timeout_days: 0\n        then: send\n")))
    assert error.line == 16 and "approval_timeout_days" in error.message


# -- plan and simulate ------------------------------------------------------------------------------------------
def data_file(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps({
        "customers": [business("C1")],
        "invoices": [invoice("F1", due="2026-10-05", history=[{"step": "relance_1", "channel": "email",
                                                              "date": "2026-10-12"},
                                                             {"step": "appel", "channel": "phone",
                                                              "date": "2026-10-20"}])]}), encoding="utf-8")
    return path


def test_plan_lists_an_action_awaiting_approval_but_no_message_for_it(rules_dir, tmp_path, capsys):
    rules = rules_dir(with_notice("        approval: required\n"))
    code = main(["plan", "--rules", str(rules), "--data", str(data_file(tmp_path)), "--on", "2026-11-04",
                 "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["messages"] == []  # nothing goes out today
    assert [(a["invoice"], a["step"], a["channel"], a["approval"]) for a in out["actions"]] == [
        ("F1", "mise_en_demeure", "registered_letter", "required")]


def test_plan_table_says_awaiting_approval_in_french(rules_dir, tmp_path, capsys):
    rules = rules_dir(with_notice("        approval: required\n"))
    assert main(["plan", "--rules", str(rules), "--data", str(data_file(tmp_path)), "--on", "2026-11-04"]) == 0
    assert "attente d’approbation" in capsys.readouterr().out


def test_simulate_shows_what_goes_when_nobody_answers(rules_dir, tmp_path, capsys):
    # Asked Wed 4 Nov; 3 days without an answer: Sat 7 Nov, then the next business day.
    rules = rules_dir(with_notice("        approval: required\n        approval_timeout_days: 3\n        then: send\n"))
    code = main(["simulate", "--rules", str(rules), "--data", str(data_file(tmp_path)), "--from", "2026-11-02",
                 "--to", "2026-11-10", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    (notice,) = out["actions"]
    assert (notice["date"], notice["step"], notice["approval"]) == ("2026-11-09", "mise_en_demeure", "required")


def test_simulate_sends_nothing_that_waits_for_a_person_or_is_held_by_its_timeout(rules_dir, tmp_path, capsys):
    for extra in ("", "        approval_timeout_days: 3\n        then: hold\n"):
        rules = rules_dir(with_notice("        approval: required\n" + extra))
        assert main(["simulate", "--rules", str(rules), "--data", str(data_file(tmp_path)), "--from", "2026-11-02",
                     "--to", "2026-12-31", "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["actions"] == []


def test_the_planner_skips_an_invoice_awaiting_approval_and_one_held(rules_dir):
    result = load_rules(rules_dir(with_notice("        approval: required\n")))
    planner = Planner(result.rules)
    pending = book([business("C1")], [invoice("F1", due="2026-10-05", approval={
        "step": "mise_en_demeure", "state": "pending", "requested_on": "2026-11-04"})])
    held = book([business("C1")], [invoice("F1", due="2026-10-05", approval={
        "step": "mise_en_demeure", "state": "held", "requested_on": "2026-11-04"})])
    assert [tuple(s) for s in planner.plan(pending, date(2026, 11, 10)).skipped] == [("F1", "awaiting approval")]
    assert [tuple(s) for s in planner.plan(held, date(2026, 11, 10)).skipped] == [("F1", "paused: held")]
