"""Whatever a rule file or data file holds, the answer is valid rules/data or clean messages — never a crash."""

from __future__ import annotations

import contextlib
import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance.datafile import DataError, parse_book
from relance.domain.claim import Rates, RateUnknown, compute_claim
from relance.domain.planner import Planner
from relance.domain.policy import Legal
from relance.rules.loader import load_rules

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FIELDS = ["invoice.amount_due", "invoice.amount", "invoice.days_overdue", "invoice.due_date", "customer.kind",
          "customer.tags", "customer.language", "customer.country", "invoice.currency", "customer.open_balance",
          "customer.seniority_years",
          "invoice.extra.x", "customer.extra.y.z", "invoice.montant", "all", "any", "not"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=12),
                    st.sampled_from([">= 300", "< 0", "!= business", "> 2026-01-01", "J+5", "J-3", "legal", "FR",
                                     "email", "courtois", "business", "consumer", "none", "57", "!= robot",
                                     "2026-02-30", ">= 2026-13-01", "FR", "fr", "EUR", "33", "J+45\n"]))


def condition(depth: int = 2):
    leaf = st.one_of(scalars, st.lists(scalars, max_size=3),
                     st.fixed_dictionaries({}, optional={"contains": scalars, "exists": st.booleans()}))
    if depth == 0:
        return st.dictionaries(st.sampled_from(FIELDS[:-3]), leaf, max_size=3)
    inner = condition(depth - 1)
    return st.dictionaries(st.sampled_from(FIELDS), st.one_of(leaf, inner, st.lists(inner, max_size=2)), max_size=3)


steps = st.lists(st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b", "relance_1", "Bad Id", "c"]),
     "at": st.sampled_from(["J-3", "J+0", "J+5", "J+15", "J5", "J+30", 5, "J+45\n", "J-9999", "J+99999"]),
     "tone": st.sampled_from(["courtois", "factuel", "ferme", "formel", "gentil"]),
     "channel": st.sampled_from(["email", "letter", "registered_letter", "phone", "litigation", "fax"])},
    optional={"when": condition(1), "template": st.sampled_from(["preventif", "x y"])}), min_size=1, max_size=4,
    unique_by=lambda s: s["id"])
rule_files = st.fixed_dictionaries(
    {
        "version": st.sampled_from([1, 1, 1, 2, "1"]),
        "segments": st.lists(st.fixed_dictionaries({"name": st.text(min_size=1, max_size=5),
                                                    "scenario": st.sampled_from(["s", "s", "t"])},
                                                   optional={"when": condition()}), min_size=1, max_size=3),
        "scenarios": st.fixed_dictionaries({"s": st.fixed_dictionaries({"steps": steps})},
                                           optional={"t": st.fixed_dictionaries({"steps": steps}),
                                                     "U": st.fixed_dictionaries({"steps": steps})}),
    },
    optional={
        "calendar": st.fixed_dictionaries({}, optional={
            "timezone": st.sampled_from(["Europe/Paris", "Mars/Olympus"]),
            "business_days_only": st.booleans(), "min_gap_days": st.integers(-2, 400),
            "holidays": st.one_of(st.sampled_from(["FR", "none", "XX"]),
                                  st.fixed_dictionaries({"country": st.sampled_from(["FR", "DE"])},
                                                        optional={"subdivision": st.sampled_from(["57", "99"])}))}),
        "pause": st.lists(st.fixed_dictionaries({"name": st.text(max_size=5), "when": condition()}), max_size=2),
        "tones": st.lists(st.sampled_from(["courtois", "factuel", "ferme", "formel", "Doux"]), max_size=4),
        "legal": st.fixed_dictionaries({}, optional={"late_interest": st.sampled_from(["legal", 15, 0, "x"]),
                                                     "formal_notice_deadline_days": st.integers(-1, 100)}),
        "company": st.fixed_dictionaries({}, optional={"name": scalars, "siren": scalars}),
        "extra_section": scalars,
    })

BOOK = parse_book(json.dumps({
    "customers": [{"id": "C1", "name": "A", "kind": "business", "tags": ["x"], "since": "2020-01-01",
                   "extra": {"y": {"z": "3"}}},
                  {"id": "C2", "name": "B", "kind": "consumer"}],
    "invoices": [{"id": f"F{i}", "customer_id": "C1" if i % 2 else "C2", "issue_date": "2026-01-01",
                  "due_date": f"2026-0{1 + i % 9}-1{i % 10}", "amount": str(100 * i + 50),
                  "extra": {"x": ["a", 3, None][i % 3]},
                  "history": [{"step": "a", "date": "2026-02-01"}] if i % 4 == 0 else []}
                 for i in range(12)]}))


def _load_text(files: dict[str, str], *, check_templates: bool = True):
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        return load_rules(tmp, check_templates=check_templates)


def _assert_clean(result) -> None:
    for d in result.diagnostics:
        assert d.line >= 1 and d.column >= 1 and d.severity in ("error", "warning") and d.message
    assert (result.rules is not None) == (not result.errors)


@SETTINGS
@given(st.text(max_size=400))
def test_any_text_is_rules_or_clean_errors(text):
    _assert_clean(_load_text({"rules.yaml": text}))


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_are_rules_or_clean_errors(blob):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "rules.yaml").write_bytes(blob)
        _assert_clean(load_rules(tmp, check_templates=True))


@SETTINGS
@given(rule_files, st.dates(date(2025, 12, 1), date(2026, 12, 31)))
def test_rule_shaped_files_load_or_explain_and_valid_ones_plan(document, on):
    result = _load_text({"rules.yaml": json.dumps(document, ensure_ascii=False)}, check_templates=False)
    _assert_clean(result)
    if result.rules is not None:
        plan = Planner(result.rules).plan(BOOK, on)
        assert {a.invoice for a in plan.actions}.isdisjoint({s.invoice for s in plan.skipped})


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
              st.sampled_from(["2026-02-30", "2026-01-15", "12.50", "C1", "business", "open", "paid"])),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children,
                                                                               max_size=3)),
    max_leaves=12)
customer_like = st.fixed_dictionaries({}, optional={
    "id": st.sampled_from(["C1", "C2", 3, None]), "name": json_values, "kind": st.sampled_from(["business", "x"]),
    "tags": json_values, "since": json_values, "address": json_values, "extra": json_values})
invoice_like = st.fixed_dictionaries({}, optional={
    "id": st.sampled_from(["F1", "F2", None, 7]), "customer_id": st.sampled_from(["C1", "C9"]),
    "issue_date": json_values, "due_date": json_values, "amount": json_values, "amount_due": json_values,
    "status": json_values, "paid_on": json_values, "payments": json_values, "history": json_values,
    "promise_to_pay_until": json_values})


@SETTINGS
@given(st.one_of(json_values, st.fixed_dictionaries({"customers": st.lists(customer_like, max_size=3),
                                                      "invoices": st.lists(invoice_like, max_size=3)})))
def test_any_data_file_is_a_book_or_named_problems(document):
    try:
        book = parse_book(json.dumps(document), "data.json")
    except DataError as err:
        assert err.problems and all(p.startswith("data.json") for p in err.problems)
        return
    assert all(inv.customer_id in book.customers for inv in book.invoices)


@SETTINGS
@given(st.text(max_size=200))
def test_any_text_as_data_file_is_handled(text):
    try:
        parse_book(text, "data.json")
    except DataError as err:
        assert all(p.startswith("data.json") for p in err.problems)


# -- dates and amounts within and beyond SPEC §3's bounds: the data file and the planner never raise ---------

any_day = st.one_of(st.dates(date(1, 1, 1), date(9999, 12, 31)),
                    st.sampled_from([date(1900, 1, 1), date(2199, 12, 31), date(1899, 12, 31), date(2200, 1, 1),
                                     date(9999, 12, 31), date(1, 1, 1), date(2026, 3, 2)]))
any_amount = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers(-10**15, 10**15).map(lambda n: f"{n / 100:.2f}" if abs(n) < 10**14 else str(n)),
    st.sampled_from(["1e999999999", "-1E+999999999", "999999999999.99", "1000000000000", "0.001", "1E-999999",
                     "12.50", "0", "-15.00", "1" + "0" * 5000]))
POISON_RULES = """\
version: 1
segments:
  - name: gros
    when: {customer.open_balance: ">= 5000"}
    scenario: standard
  - name: tous
    scenario: standard
scenarios:
  standard:
    steps:
      - {id: preventif, at: J-3, channel: email, tone: courtois}
      - {id: relance_1, at: J+5, channel: email, tone: courtois}
      - {id: mise_en_demeure, at: J+30, channel: registered_letter, tone: formel}
"""
RATES = Rates.load()
POISON_PLANNER = Planner(_load_text({"rules.yaml": POISON_RULES}, check_templates=False).rules)
poison_invoices = st.lists(st.fixed_dictionaries(
    {"customer_id": st.sampled_from(["C1", "C2"]), "issue_date": any_day, "due_date": any_day,
     "amount": any_amount},
    optional={"amount_due": any_amount, "paid_on": any_day, "promise_to_pay_until": any_day,
              "payments": st.lists(st.fixed_dictionaries({"date": any_day, "amount": any_amount}), max_size=2),
              "history": st.lists(st.fixed_dictionaries({"step": st.sampled_from(["preventif", "relance_1"]),
                                                         "date": any_day}, optional={"delivered_on": any_day}),
                                  max_size=2)}), min_size=1, max_size=5)


def _as_json(value):
    return value.isoformat() if isinstance(value, date) else value


@SETTINGS
@given(poison_invoices, st.dates(date(1900, 1, 1), date(2199, 12, 31)), st.sampled_from(["1900-01-01", "9999-12-31"]))
def test_dates_and_amounts_beyond_bounds_set_invoices_aside_and_never_raise(invoices, on, since):
    # Given invoices whose dates and amounts fall anywhere, bounds included and far beyond
    document = {"customers": [{"id": "C1", "name": "A", "kind": "business"},
                              {"id": "C2", "name": "B", "kind": "consumer", "since": since}],
                "invoices": [{"id": f"F{i}", **{k: (_as_json(v) if not isinstance(v, list) else
                                                  [{kk: _as_json(vv) for kk, vv in e.items()} for e in v])
                                               for k, v in raw.items()}} for i, raw in enumerate(invoices)]}
    text = json.dumps(document).replace('"1' + "0" * 5000 + '"', "1" + "0" * 5000)
    try:
        book = parse_book(text, "data.json")
    except DataError as err:  # only what is malformed (a due date before the issue date): never a bound
        assert all(p.startswith("data.json") and "antérieure à la date d’émission" in p for p in err.problems)
        return
    # Then every invoice is either usable or set aside with the field to blame
    assert {i.id for i in book.invoices} | {u.invoice for u in book.unusable} == {f"F{i}" for i in range(len(invoices))}
    assert all(u.reason.startswith("invalid data: ") and u.problem for u in book.unusable)
    # and planning a day and simulating a week plan the usable ones and list every one set aside
    plan = POISON_PLANNER.plan(book, on)
    skipped = {s.invoice: s.reason for s in plan.skipped}
    assert all(skipped[u.invoice] == u.reason for u in book.unusable)
    assert {a.invoice for a in plan.actions}.isdisjoint(skipped)
    end = min(on + timedelta(days=6), date(2199, 12, 31))
    run = POISON_PLANNER.simulate_run(book, on, end)
    assert {u.invoice for u in book.unusable} <= {u.invoice for u in run.unusable}
    # and the claim of a usable invoice is a figure, or a date before the first known rate
    for invoice in book.invoices:
        with contextlib.suppress(RateUnknown):
            compute_claim(invoice, book.customers[invoice.customer_id], Legal(), on, RATES)
