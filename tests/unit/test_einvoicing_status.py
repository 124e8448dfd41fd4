"""Lifecycle statuses from the e-invoicing platform: signed, read, applied once, each on the history."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from relance import signing
from relance.app.einvoicing import apply_status
from relance.domain.einvoicing import PAYMENT_SENT_HOLD_DAYS
from relance.domain.model import Customer, Invoice, why_held
from relance.payments.einvoicing import StatusNotice, verify_status
from relance.payments.webhooks import MalformedPayload
from relance.signing import InvalidSignature
from tests.support.fake_store import FakeStore

SECRET = "relance-example-secret-do-not-use"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DOC = Path(__file__).parents[2] / "functions" / "relance" / "payments" / "EINVOICING_STATUS.md"
EXAMPLE = Path(__file__).parents[1] / "events" / "einvoicing_status.json"


@pytest.fixture
def store() -> FakeStore:
    s = FakeStore()
    s.upsert_customers([Customer("987654321", "LE CLIENT", "business")])
    s.upsert_invoices([Invoice("F20260023", "987654321", date(2026, 1, 31), date(2026, 3, 2), Decimal("104.90"),
                               Decimal("104.90"))])
    return s


def notice(code: str, *, msg: str = "", amount: str | None = None, on: date = date(2026, 11, 20),
           invoice: str = "F20260023") -> StatusNotice:
    return StatusNotice(msg or f"pa-{code}-{on}", invoice, code, on, None if amount is None else Decimal(amount),
                        "EUR", "")


def state(store: FakeStore) -> Invoice:
    return store.invoice("F20260023")[0]


def statuses(store: FakeStore) -> list[tuple[str, str]]:
    return [(e["code"], e["outcome"]) for e in store.history("F20260023") if e["kind"] == "einvoicing_status"]


# -- the signed notice ------------------------------------------------------------------------------------------------

def test_the_worked_example_of_the_documentation_is_what_relance_computes_and_reads():
    body = EXAMPLE.read_bytes()
    header = signing.sign(body, SECRET, now=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))

    assert header == "t=1795165200,v1=c7d0f76206fea692b7e9ceff4cb8de0ceda8f87dda073af0336ca519650cdde9"
    assert f"Relance-Signature: {header}" in DOC.read_text(encoding="utf-8")
    assert f"{len(body)} bytes" in DOC.read_text(encoding="utf-8")
    read = verify_status(body, {"relance-signature": header}, [SECRET], now=NOW)
    assert (read.id, read.invoice_id, read.code, read.on, read.amount, read.label) == (
        "pa-2026-11-20-000321", "F20260023", "212", date(2026, 11, 20), Decimal("104.90"), "Encaissée")


def test_a_bad_signature_is_refused():
    body = EXAMPLE.read_bytes()
    header = signing.sign(body, "another secret", now=NOW)

    with pytest.raises(InvalidSignature):
        verify_status(body, {"Relance-Signature": header}, [SECRET], now=NOW)


@pytest.mark.parametrize(("body", "field"), [
    ({"id": "m1", "invoice_id": "F1", "status": "2120", "date": "2026-11-20"}, "status"),
    ({"id": "m1", "invoice_id": "F1", "status": "207", "date": "20/11/2026"}, "date"),
    ({"id": "", "invoice_id": "F1", "status": "207", "date": "2026-11-20"}, "id"),
    ({"id": "m1", "invoice_id": "F1", "status": "212", "date": "2026-11-20", "amount": "-3"}, "amount"),
    ({"id": "m1", "invoice_id": "F1", "status": "212", "date": "2026-11-20", "amount": "3.00"}, "currency")])
def test_a_malformed_body_names_its_field(body, field):
    raw = json.dumps(body).encode()

    with pytest.raises(MalformedPayload) as caught:
        verify_status(raw, {"relance-signature": signing.sign(raw, SECRET, now=NOW)}, [SECRET], now=NOW)

    assert str(caught.value).startswith(f"invalid_field: {field}:")


# -- what each status does ------------------------------------------------------------------------------------------

def test_207_disputes_and_reminders_pause(store):
    assert apply_status(store, notice("207")) == "applied"

    assert state(store).status == "disputed"
    assert why_held(state(store), date(2026, 11, 21)) == "disputed"
    assert statuses(store) == [("207", "applied")]


def test_208_pauses_and_209_ends_the_pause(store):
    apply_status(store, notice("208"))
    assert state(store).status == "disputed"

    apply_status(store, notice("209", on=date(2026, 11, 25)))

    assert state(store).status == "open"
    assert statuses(store) == [("208", "applied"), ("209", "applied")]


@pytest.mark.parametrize("how", ["207", "portal", "manual"])
def test_209_ends_only_a_208_pause_never_a_dispute(store, how):
    # 209 Complétée closes a 208 Suspendue (the platform's pause); a dispute — the buyer's 207 « En litige », or one
    # made on the portal or recorded by staff — stays until a person lifts it.
    if how == "207":
        apply_status(store, notice("207"))
    else:
        store.update_invoice_state("F20260023", kind="dispute", on=date(2026, 11, 20), sets={"status": "disputed"},
                                   when_status=("open",), details={"reason": "prix", "source": how})
    assert state(store).status == "disputed"

    assert apply_status(store, notice("209", on=date(2026, 11, 25))) == "recorded"

    assert state(store).status == "disputed"
    assert why_held(state(store), date(2026, 11, 26)) == "disputed"
    assert statuses(store)[-1] == ("209", "recorded")


def test_209_after_a_208_that_came_on_top_of_a_dispute_keeps_the_dispute(store):
    apply_status(store, notice("207"))
    apply_status(store, notice("208", on=date(2026, 11, 21)))  # already disputed: the 208 is only recorded

    apply_status(store, notice("209", on=date(2026, 11, 25)))

    assert state(store).status == "disputed"
    assert statuses(store) == [("207", "applied"), ("208", "recorded"), ("209", "recorded")]


def test_a_208_pause_lifted_by_hand_then_disputed_is_not_ended_by_a_late_209(store):
    from relance.app.manual import record_dispute, resume

    apply_status(store, notice("208"))
    resume(store, "F20260023", date(2026, 11, 22))
    record_dispute(store, "F20260023", date(2026, 11, 23), "livraison incomplète")

    assert apply_status(store, notice("209", on=date(2026, 11, 25))) == "recorded"
    assert state(store).status == "disputed"


def test_212_without_an_amount_collects_all_that_is_due(store):
    assert apply_status(store, notice("212")) == "paid"

    assert (state(store).status, state(store).amount_due) == ("paid", Decimal(0))


def test_212_with_an_amount_is_a_partial_payment(store):
    assert apply_status(store, notice("212", amount="40.00")) == "partial"

    assert (state(store).status, state(store).amount_due) == ("open", Decimal("64.90"))


def test_a_status_message_is_applied_once(store):
    first = apply_status(store, notice("212", msg="pa-1", amount="40.00"))
    again = apply_status(store, notice("212", msg="pa-1", amount="40.00"))

    assert (first, again) == ("partial", "duplicate")
    assert state(store).amount_due == Decimal("64.90")
    assert apply_status(store, notice("207", msg="pa-2")) == "applied"
    assert apply_status(store, notice("207", msg="pa-2")) == "duplicate"
    assert statuses(store) == [("207", "applied")]


def test_a_212_bringing_back_a_payment_relance_recorded_is_not_counted_twice(store):
    store.apply_payment(provider="stripe", event_id="evt_1", invoice_id="F20260023", amount=Decimal("40.00"),
                        currency="EUR", on=date(2026, 11, 20))

    assert apply_status(store, notice("212", amount="40.00")) == "recorded"

    assert state(store).amount_due == Decimal("64.90")
    assert statuses(store) == [("212", "recorded")]


def test_210_stops_reminders_and_is_kept_for_the_company(store):
    apply_status(store, notice("210"))

    assert state(store).status == "disputed"
    assert [(r["code"], r["review"]) for r in store.einvoicing_reviews()] == [("210", "refused")]


def test_213_cancels_the_invoice_and_asks_for_a_reissue(store):
    apply_status(store, notice("213"))

    assert state(store).status == "cancelled"
    assert [r["review"] for r in store.einvoicing_reviews()] == ["rejected"]


def test_211_holds_the_reminders_like_a_promise(store):
    apply_status(store, notice("211"))

    until = state(store).promise_to_pay_until
    assert until == date(2026, 11, 20 + PAYMENT_SENT_HOLD_DAYS)
    assert why_held(state(store), until) == "promise to pay"
    assert why_held(state(store), date(2026, 12, 1)) is None


@pytest.mark.parametrize("code", ["220", "225"])
def test_220_and_225_stop_reminders_for_good(store, code):
    apply_status(store, notice(code))

    assert state(store).status == "cancelled"


def test_226_changes_nothing_but_is_on_the_history(store):
    before = state(store)

    assert apply_status(store, notice("226")) == "recorded"

    assert state(store) == before
    assert statuses(store) == [("226", "recorded")]


def test_an_unknown_code_is_recorded_and_kept_for_review(store):
    assert apply_status(store, notice("299")) == "recorded"

    assert state(store).status == "open"
    assert [(r["code"], r["review"]) for r in store.einvoicing_reviews()] == [("299", "unknown_code")]


def test_a_status_of_an_unknown_invoice_is_kept_for_review(store):
    assert apply_status(store, notice("207", invoice="F-NOPE")) == "unmatched"

    assert [(r["invoice_ref"], r["review"]) for r in store.einvoicing_reviews()] == [("F-NOPE", "unmatched")]


def test_a_dispute_on_a_paid_invoice_changes_nothing_but_is_on_the_history(store):
    apply_status(store, notice("212", msg="paid"))

    assert apply_status(store, notice("207", msg="late dispute")) == "recorded"

    assert state(store).status == "paid"
    assert ("207", "recorded") in statuses(store)


def test_the_documented_table_names_every_code_the_app_maps():
    from relance.app.einvoicing import EFFECTS

    text = DOC.read_text(encoding="utf-8")
    for code in [*EFFECTS, "211", "212", "226"]:
        assert re.search(rf"^\| {code} ", text, re.M), code
