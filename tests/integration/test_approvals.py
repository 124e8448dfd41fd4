"""Approval before a step on the local stack, through the real evaluator, digest and letter functions: the sample
rules ask the account manager's approval for the formal notice (3 days, then it goes anyway)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes, policy

import pytest
from moto.ses.models import ses_backends

from relance.app import approvals
from relance.local.runner import scheduled_event

from .conftest import book, business, invoice

MANAGER = "julie.perrin@atelier.example"
ASKED = date(2026, 11, 4)  # Wednesday: the formal notices of invoices due Monday 5 October are due (J+30)
HISTORY = [{"step": "relance_1", "channel": "email", "date": "2026-10-12"},
           {"step": "relance_2", "channel": "phone", "date": "2026-10-20"},
           {"step": "relance_3", "channel": "email", "date": "2026-10-27"}]
ADDRESS = {"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"}


def sent_emails(stack) -> list:
    backend = ses_backends["123456789012"][stack.region]
    return [message_from_bytes(m.raw_data.encode() if isinstance(m.raw_data, str) else m.raw_data,
                               policy=policy.default) for m in backend.sent_messages]


@pytest.fixture(autouse=True)
def _clear_ses(stack):
    ses_backends["123456789012"][stack.region].sent_messages.clear()


@pytest.fixture
def seeded(store):
    # One customer each, so that no contact policy joins their letters: approved, held, forgotten, paid meanwhile.
    customers = [business(c, account_manager=MANAGER, address=ADDRESS) for c in ("C1", "C2", "C3", "C4")]
    store.seed(book(customers, [invoice(f"F{n}", f"C{n}", due="2026-10-05", history=HISTORY) for n in range(1, 5)]))
    return store


def run_day(functions, day: date) -> None:
    """The morning run, then the letters it queued, as the demo drains them."""
    functions.invoke("EvaluatorFunction", scheduled_event(day.isoformat()), RELANCE_TODAY=day.isoformat())
    functions.drain("EvaluationQueue", "EvaluatorFunction", RELANCE_TODAY=day.isoformat())
    functions.drain("RegisteredLetterQueue", "LetterFunction", RELANCE_TODAY=day.isoformat())


def notices_sent(store, invoice_id: str) -> list[str]:
    return [e["date"] for e in store.history(invoice_id) if e["kind"] == "sent" and e.get("step") == "mise_en_demeure"]


def test_formal_notices_wait_for_approval_and_each_decision_is_kept(stack, functions, seeded):
    run_day(functions, ASKED)
    assert all(notices_sent(seeded, f"F{n}") == [] for n in range(1, 5))
    assert all([e["kind"] for e in seeded.history(f"F{n}")] == ["approval_requested"] for n in range(1, 5))

    # The digest of 10:30 lists the four, each with its preview attached, and how to decide.
    functions.invoke("DigestFunction", {"run_date": ASKED.isoformat()}, RELANCE_TODAY=ASKED.isoformat())
    (digest,) = sent_emails(stack)
    assert digest["To"] == MANAGER and "4 envois en attente" in digest["Subject"]
    text = digest.get_body(("plain",)).get_content()
    assert "relance invoice approve F1 --step mise_en_demeure" in text
    assert sorted(p.get_filename() for p in digest.iter_attachments()) == [
        f"apercu-mise-en-demeure-F{n}.pdf" for n in range(1, 5)]

    assert approvals.approve(seeded, "F1", "mise_en_demeure", by=MANAGER, on=ASKED).done
    assert approvals.hold(seeded, "F2", "mise_en_demeure", by=MANAGER, on=ASKED).done
    seeded.apply_payment(provider="manual", event_id="virement-F4", invoice_id="F4", amount=Decimal("1200.00"),
                         currency="EUR", on=ASKED)
    assert approvals.approve(seeded, "F4", "mise_en_demeure", by=MANAGER, on=ASKED).done  # paid, unknown to him

    for offset in range(1, 22):
        run_day(functions, ASKED + timedelta(days=offset))

    assert notices_sent(seeded, "F1") == ["2026-11-05"]  # approved: the next run, once
    assert notices_sent(seeded, "F2") == []  # held: never
    assert notices_sent(seeded, "F3") == ["2026-11-09"]  # forgotten: 3 days (Sat 7), then the next business day
    assert notices_sent(seeded, "F4") == []  # paid meanwhile: nothing, approved or not
    (approved,) = [e for e in seeded.history("F1") if e["kind"] == "approved"]
    assert (approved["by"], approved["date"]) == (MANAGER, "2026-11-04")
    (timeout,) = [e for e in seeded.history("F3") if e["kind"] == "approval_timeout" and e["step"] == "mise_en_demeure"]
    assert (timeout["then"], timeout["date"], timeout["by"]) == ("send", "2026-11-07", "relance")
    assert seeded.invoice("F2")[0].approval.state == "held"
    assert "action_planned" not in [e["kind"] for e in seeded.history("F2")]
    # The injonction (J+45, Thu 19 Nov) asks again: F1, approved and sent, has it built after its 5 days.
    assert [(e["kind"], e["date"]) for e in seeded.history("F1") if e.get("step") == "injonction"][:2] == [
        ("approval_requested", "2026-11-19"), ("approval_timeout", "2026-11-24")]
