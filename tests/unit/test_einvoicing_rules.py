"""The rules' ``einvoicing`` section: what the platform's statuses do where the company chooses otherwise —
checked by ``relance check`` (French, FILE:LINE), then applied by the status route."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.app.einvoicing import apply_status
from relance.domain.einvoicing import EInvoicingPolicy
from relance.domain.model import Customer, Invoice, why_held
from relance.payments.einvoicing import StatusNotice
from relance.rules.loader import load_rules
from tests.conftest import SAMPLE_RULES
from tests.support.fake_store import FakeStore

from ..conftest import MINIMAL_RULES

RULES_END = MINIMAL_RULES.count("\n")  # the section starts on the next line


def single_error(directory):
    result = load_rules(directory)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert len(errors) == 1 and result.rules is None, [str(d) for d in result.diagnostics]
    return errors[0]


def notice(code: str, on: date = date(2026, 11, 20)) -> StatusNotice:
    return StatusNotice(f"pa-{code}-{on}", "F1", code, on, None, "EUR", "")


@pytest.fixture
def store() -> FakeStore:
    s = FakeStore()
    s.upsert_customers([Customer("C1", "LE CLIENT", "business")])
    s.upsert_invoices([Invoice("F1", "C1", date(2026, 9, 1), date(2026, 10, 1), Decimal("500.00"),
                               Decimal("500.00"))])
    return s


def test_the_section_is_read_into_the_compiled_rules(rules_dir):
    result = load_rules(rules_dir(MINIMAL_RULES + "einvoicing:\n  payment_sent_hold_days: 5\n"
                                                  "  statuses:\n    \"210\": alert\n    225: record\n"))

    assert result.ok, [str(d) for d in result.diagnostics]
    policy = result.rules.einvoicing
    assert policy.payment_sent_hold_days == 5
    assert (policy.action("210"), policy.action("225"), policy.action("207"), policy.action("212")) == (
        "alert", "record", "pause", "")


def test_without_the_section_relance_s_own_mapping_holds(rules_dir):
    policy = load_rules(rules_dir(MINIMAL_RULES)).rules.einvoicing
    assert policy == EInvoicingPolicy()
    assert (policy.payment_sent_hold_days, policy.action("210"), policy.action("226")) == (10, "stop", "record")


def test_an_unknown_code_is_an_error_on_its_line_with_a_suggestion(rules_dir):
    directory = rules_dir(MINIMAL_RULES + "einvoicing:\n  statuses:\n    \"2100\": alert\n")
    error = single_error(directory)
    assert error.file.endswith("rules.yaml") and error.line == RULES_END + 3
    assert "code de statut inconnu : « 2100 » — vouliez-vous dire « 210 » ?" in error.message


def test_a_code_whose_consequence_is_not_a_choice_is_refused_with_why(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES + "einvoicing:\n  statuses:\n    \"212\": record\n"))
    assert "le statut 212 ne se règle pas : c’est un paiement" in error.message and error.line == RULES_END + 3


def test_a_choice_that_code_does_not_allow_names_the_allowed_ones(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES + "einvoicing:\n  statuses:\n    \"210\": record\n"))
    assert "le statut 210 ne peut pas valoir « record »" in error.message
    assert "stop (" in error.message and "alert (" in error.message


def test_an_unknown_key_suggests_the_closest(rules_dir):
    error = single_error(rules_dir(MINIMAL_RULES + "einvoicing:\n  payment_sent_hold_day: 5\n"))
    assert error.line == RULES_END + 2 and "« payment_sent_hold_days »" in error.message


def test_the_sample_rules_pass_and_say_what_relance_does_by_default():
    result = load_rules(SAMPLE_RULES)
    assert result.ok, [str(d) for d in result.diagnostics]
    assert result.rules.einvoicing.payment_sent_hold_days == 10


# -- applied ---------------------------------------------------------------------------------------------------

def test_211_holds_as_many_days_as_the_rules_say(store):
    apply_status(store, notice("211"), EInvoicingPolicy(payment_sent_hold_days=3))
    # 20/11 + 3 days: held through 23/11, reminded again on 24/11
    assert store.invoice("F1")[0].promise_to_pay_until == date(2026, 11, 23)
    assert why_held(store.invoice("F1")[0], date(2026, 11, 24)) is None


def test_a_refusal_set_to_alert_keeps_reminding_and_tells_the_company(store):
    assert apply_status(store, notice("210"), EInvoicingPolicy(statuses=(("210", "alert"),))) == "recorded"

    assert store.invoice("F1")[0].status == "open"
    (kept,) = store.einvoicing_reviews()
    assert (kept["code"], kept["review"]) == ("210", "alert")


def test_a_factored_invoice_set_to_alert_is_still_reminded(store):
    apply_status(store, notice("225"), EInvoicingPolicy(statuses=(("225", "alert"),)))
    assert store.invoice("F1")[0].status == "open"
    assert [k["code"] for k in store.einvoicing_reviews()] == ["225"]


def test_a_dispute_set_to_record_is_only_on_the_history(store):
    assert apply_status(store, notice("207"), EInvoicingPolicy(statuses=(("207", "record"),))) == "recorded"
    assert store.invoice("F1")[0].status == "open" and store.einvoicing_reviews() == []
    assert [e["code"] for e in store.history("F1") if e["kind"] == "einvoicing_status"] == ["207"]


def test_226_set_to_alert_tells_the_company_and_changes_nothing(store):
    apply_status(store, notice("226"), EInvoicingPolicy(statuses=(("226", "alert"),)))
    assert store.invoice("F1")[0].status == "open"
    assert [k["review"] for k in store.einvoicing_reviews()] == ["alert"]


def test_the_company_s_notice_says_the_reminders_go_on_for_an_alert(store):
    from relance.app.einvoicing import platform_notice_text

    apply_status(store, notice("210"), EInvoicingPolicy(statuses=(("210", "alert"),)))
    _, text = platform_notice_text(store.einvoicing_reviews(), date(2026, 11, 21), "Atelier")
    assert "« 210 Refusée »" in text and "les relances continuent" in text
