"""The bundled sample, as `make demo` runs it: valid rules, a whole timeline, and letters that render."""

from __future__ import annotations

import json
import zipfile
from collections import defaultdict
from datetime import date
from itertools import pairwise

import pytest

from relance.cli import DEMO_FROM, DEMO_TO, main, sample_data_path
from relance.datafile import load_book
from relance.domain.planner import Planner
from relance.domain.render import render_message
from relance.rules.loader import load_rules, load_rules_or_raise

from ..conftest import SAMPLE_RULES


@pytest.fixture(scope="module")
def rules():
    return load_rules_or_raise(SAMPLE_RULES)


@pytest.fixture(scope="module")
def book():
    return load_book(sample_data_path())


@pytest.fixture(scope="module")
def timeline(rules, book):
    return Planner(rules).simulate(book, DEMO_FROM, DEMO_TO)


def test_sample_rules_check_clean_with_templates():
    result = load_rules(SAMPLE_RULES, check_templates=True)
    assert result.ok and result.diagnostics == [], [str(d) for d in result.diagnostics]


def test_sample_files_point_editors_at_the_published_schema():
    for path in sorted(SAMPLE_RULES.glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        assert (path.parent / first.split("=", 1)[1]).resolve().is_file()


def test_sample_has_at_least_three_segments_and_a_catch_all(rules):
    assert len(rules.segments) >= 3 and rules.segments[-1].when is None


def test_every_step_of_every_scenario_happens_in_the_demo_window(rules, timeline):
    seen = defaultdict(set)
    for dated in timeline:
        seen[dated.action.scenario].add(dated.action.step)
    for name, scenario in rules.scenarios.items():
        assert seen[name] == {s.id for s in scenario.steps}, name


def test_no_invoice_gets_two_steps_on_one_day_nor_a_step_twice(timeline):
    per_day = [(d.date, d.action.invoice) for d in timeline]
    assert len(per_day) == len(set(per_day))
    steps = [(d.action.invoice, d.action.step) for d in timeline]
    assert len(steps) == len(set(steps))


def test_actions_fall_on_french_business_days_only(timeline):
    holidays_2026 = {date(2026, 11, 11), date(2026, 12, 25), date(2026, 11, 1)}
    for dated in timeline:
        assert dated.date.weekday() < 5 and dated.date not in holidays_2026


def test_nothing_after_payment_disputes_pauses_or_prescription(book, timeline):
    acted = defaultdict(list)
    for dated in timeline:
        acted[dated.action.invoice].append(dated.date)
    invoices = {i.id: i for i in book.invoices}
    customers = book.customers
    for invoice_id, days in acted.items():
        invoice = invoices[invoice_id]
        assert invoice.status in ("open",), invoice_id
        if invoice.paid_on:
            assert max(days) < invoice.paid_on, invoice_id
        assert "procedure_collective" not in customers[invoice.customer_id].tags
    never = [i.id for i in book.invoices if i.status in ("paid", "cancelled", "disputed")]
    assert never and not set(never) & set(acted)


def test_a_late_import_catches_up_one_step_at_a_time(book, timeline):
    late = [i for i in book.invoices if not i.history and i.status == "open" and i.due_date < DEMO_FROM
            and (DEMO_FROM - i.due_date).days > 40]
    assert late, "the sample must hold a late import"
    for invoice in late:
        days = [d.date for d in timeline if d.action.invoice == invoice.id]
        steps = [d.action.step for d in timeline if d.action.invoice == invoice.id]
        assert "mise_en_demeure" in steps, invoice.id
        assert all((b - a).days >= 3 for a, b in pairwise(days))


def test_every_message_of_the_demo_renders_in_french(rules, book, timeline):
    customers, invoices = book.customers, {i.id: i for i in book.invoices}
    messages = defaultdict(list)
    for dated in timeline:
        a = dated.action
        if a.channel != "litigation":
            messages[(dated.date, a.customer, a.channel, a.tone, a.scenario, a.step)].append(invoices[a.invoice])
    steps = {(name, s.id): s for name, sc in rules.scenarios.items() for s in sc.steps}
    assert messages
    for (day, customer_id, channel, tone, scenario, step_id), members in messages.items():
        step = steps[(scenario, step_id)]
        rendered = render_message(rules, customer=customers[customer_id], invoices=members, channel=channel,
                                  tone=tone, step_id=step_id, at=step.at_label, template=step.template, today=day)
        assert rendered.body.strip()
        if channel != "phone":
            assert rendered.subject
        assert "{{" not in rendered.body and "None" not in rendered.body


def test_formal_notice_mentions_differ_for_business_and_consumer(rules, book):
    invoice = next(i for i in book.invoices if i.status == "open")
    # French-speaking debtors: the sample's English one (C010) reads English (tests/unit/test_english.py).
    business = next(c for c in book.customers.values() if c.kind == "business" and c.language == "fr")
    consumer = next(c for c in book.customers.values() if c.kind == "consumer" and c.language == "fr")
    texts = {}
    for customer in (business, consumer):
        texts[customer.kind] = render_message(
            rules, customer=customer, invoices=[invoice], channel="registered_letter", tone="formel",
            step_id="mise_en_demeure", at="J+30", template=None, today=date(2026, 11, 23)).body
        texts[customer.kind] = texts[customer.kind].replace("\u00a0", " ").replace("\u202f", " ")
    assert "40,00 €" in texts["business"] and "L441-10" in texts["business"]
    assert "40,00 €" not in texts["consumer"] and "taux légal" in texts["consumer"]
    for text in texts.values():
        assert "mets en demeure" in text or "mettons en demeure" in text
        assert "8 jours" in text and "injonction de payer" in text


def test_simulate_json_over_the_sample(capsys):
    code = main(["simulate", "--rules", str(SAMPLE_RULES), "--data", "sample", "--from", "2026-10-01",
                 "--to", "2026-12-31", "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and len(payload["actions"]) > 50


def test_demo_runs_daily_on_the_local_stack_and_a_rerun_sends_nothing(capsys, tmp_path):
    assert main(["demo", "--rules", str(SAMPLE_RULES), "--from", "2026-11-12", "--to", "2026-11-24",
                 "--out", str(tmp_path), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    per_day = {d["date"]: d["messages"] for d in payload["days"]}
    assert per_day["2026-11-21"] == [] and per_day["2026-11-22"] == []  # a weekend
    assert per_day["2026-11-12"]  # the first run catches up with what the sample's history left due
    # One invoice of the sample reaches litigation: its dossier lands in out/dossiers.
    dossiers = sorted((tmp_path / "dossiers").glob("injonction_*.zip"))
    assert dossiers and all(zipfile.is_zipfile(d) for d in dossiers)
    assert payload["rerun"] == {"date": "2026-11-23", "messages": []}
    assert payload["dead_letters"] == 0
    assert (tmp_path / "queued.json").is_file()
    # Halfway (16 November), a signed Stripe event pays F-2026-0412: nothing is sent for it afterwards.
    (paid,) = payload["payments"]
    assert (paid["invoice"], paid["status"], paid["outcome"]) == ("F-2026-0412", 200, "paid")
    assert paid["reminders_after"] == 0
    # What the channel functions produced: e-mails, letters (a registered formal notice among them), call digests.
    emails = sorted((tmp_path / "emails").glob("*.eml"))
    letters = sorted((tmp_path / "courriers").glob("*.pdf"))
    assert emails and letters and list((tmp_path / "appels").glob("*.eml"))
    assert any("registered_letter" in p.name for p in letters)
    from email import message_from_bytes, policy

    first = message_from_bytes(emails[0].read_bytes(), policy=policy.default)
    assert first["From"].addresses[0].addr_spec == "compta@atelier-bois-fils.example"
    assert "€" in first.get_body(("plain",)).get_content()
