"""The contact policy (SPEC §2.8) through the real evaluator and channel functions, with the sample rules:
one message a day per customer, 3 in 7 days (consumers: 2 in 14 days), a tone floor over 30 days.

Business customers follow ``standard``: relance_1 J+5 (email, courtois) · relance_2 J+15 (phone, factuel) ·
relance_3 J+22 (email, ferme) · mise_en_demeure J+30 (registered_letter, formel). Consumers follow
``particuliers``: relance_1 J+7 (email, courtois) · relance_2 J+15 (email, factuel) · …
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader

from relance.local.runner import scheduled_event

from .conftest import book, business, invoice, queued


def run_day(functions, day: date) -> None:
    functions.invoke("EvaluatorFunction", scheduled_event(day.isoformat()))
    functions.drain("EvaluationQueue", "EvaluatorFunction")


def actions(messages: list[dict]) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    return [(m["customer"], m["channel"], m["tone"], sorted((a["invoice"], a["step"]) for a in m["actions"]))
            for m in messages]


def test_a_formal_notice_and_a_first_reminder_of_one_day_go_as_one_registered_letter(functions, stack, store):
    # F1 due Fri 2 Oct: its formal notice J+30 = Sun 1 Nov → Mon 2 Nov; relance_3 (ferme) went on 26 Oct.
    # F2 due Wed 28 Oct: relance_1 J+5 = Mon 2 Nov. Floor: ferme; one message allowed: the registered letter.
    history = [{"step": "relance_1", "date": "2026-10-07", "channel": "email"},
               {"step": "relance_2", "date": "2026-10-19", "channel": "phone"},
               {"step": "relance_3", "date": "2026-10-26", "channel": "email"}]
    # The sample rules ask the account manager's approval for the formal notice: given already (the notice goes
    # that day as any action; approval itself is tests/integration/test_approvals.py's).
    approved = {"step": "mise_en_demeure", "state": "approved", "requested_on": "2026-10-30",
                "decided_on": "2026-10-30", "by": "julie@atelier.example"}
    store.seed(book([business("C1", address={"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"})],
                    [invoice("F1", due="2026-10-02", history=history, approval=approved),
                     invoice("F2", due="2026-10-28")]))
    run_day(functions, date(2026, 11, 2))
    assert queued(stack, "EmailQueue") == []
    letters = queued(stack, "RegisteredLetterQueue")
    assert actions(letters) == [("C1", "registered_letter", "formel",
                                 [("F1", "mise_en_demeure"), ("F2", "relance_1")])]
    recorded, _ = store.invoice("F2")
    assert (recorded.history[-1].step, recorded.history[-1].channel, recorded.history[-1].tone) == (
        "relance_1", "registered_letter", "formel")

    # What the letter function receives is that one message: one registered letter naming both invoices.
    stack.client("sqs").send_message(QueueUrl=stack.physical["RegisteredLetterQueue"],
                                     MessageBody=json.dumps(letters[0]))
    functions.drain("RegisteredLetterQueue", "LetterFunction", RELANCE_TODAY="2026-11-02")
    sent = [e for i in ("F1", "F2") for e in store.history(i) if e["kind"] == "sent"]
    assert len(sent) == 2 and {e["channel"] for e in sent} == {"registered_letter"}
    pdf = stack.client("s3").get_object(Bucket=stack.physical["DocumentsBucket"], Key=sent[0]["document"])
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf["Body"].read())).pages)
    assert "F1" in text and "F2" in text


def test_the_window_counts_the_messages_of_a_settled_invoice_and_a_deferred_step_comes_back(
        functions, stack, store):
    # A consumer, window 14 days / 2 messages. G1 due Mon 26 Oct, G2 Wed 28 Oct, G3 Fri 30 Oct: relance_1 J+7 on
    # Mon 2, Wed 4 and Fri 6 Nov. G1 is paid on 3 Nov: the daily query no longer reads it.
    # 6 Nov: [23 Oct, 5 Nov] holds 2 and 4 Nov (G1's only in the contact log): G3 waits, nothing recorded.
    # 17 Nov: [3 Nov, 16 Nov] holds 4 Nov: one message, G2's relance_2 (J+15 = 12 Nov, factuel) with G3's relance_1.
    store.seed(book([{"id": "P1", "name": "Mme Particulière", "kind": "consumer", "email": "p1@exemple.fr",
                      "address": {"line1": "2 rue Neuve", "postal_code": "69001", "city": "Lyon"}}],
                    [invoice("G1", "P1", due="2026-10-26"), invoice("G2", "P1", due="2026-10-28"),
                     invoice("G3", "P1", due="2026-10-30")]))
    run_day(functions, date(2026, 11, 2))
    assert actions(queued(stack, "EmailQueue")) == [("P1", "email", "courtois", [("G1", "relance_1")])]
    store.apply_payment(provider="generic", event_id="evt-g1", invoice_id="G1", amount=Decimal("1200.00"),
                        currency="EUR", on=date(2026, 11, 3))
    run_day(functions, date(2026, 11, 4))
    assert actions(queued(stack, "EmailQueue")) == [("P1", "email", "courtois", [("G2", "relance_1")])]
    run_day(functions, date(2026, 11, 6))
    assert queued(stack, "EmailQueue") == []
    assert [e["kind"] for e in store.history("G3")] == []
    run_day(functions, date(2026, 11, 17))
    assert actions(queued(stack, "EmailQueue")) == [
        ("P1", "email", "factuel", [("G2", "relance_2"), ("G3", "relance_1")])]


def random_book(seed: int) -> tuple[list[dict], list[dict], dict[str, date]]:
    """Eight customers (two consumers) and 24 invoices due from mid-September to late November; some paid
    on a day of November (``paid``: invoice → the day its payment arrives)."""
    import random

    rng = random.Random(seed)
    address = {"line1": "1 rue Neuve", "postal_code": "69001", "city": "Lyon"}
    customers = [business(f"C{n}", address=address) for n in range(6)] + [
        {"id": f"P{n}", "name": f"Particulier {n}", "kind": "consumer", "email": f"p{n}@exemple.fr",
         "address": address} for n in range(2)]
    invoices, paid = [], {}
    for n in range(24):
        due = date.fromordinal(date(2026, 9, 15).toordinal() + rng.randrange(70))
        owner = rng.choice(customers)["id"]
        invoices.append(invoice(f"F{n:02d}", owner, due=due.isoformat(), amount=str(rng.choice([400, 1200, 5000]))))
        if rng.random() < 0.25:
            paid[f"F{n:02d}"] = date(2026, 11, rng.randrange(3, 28))
    return customers, invoices, paid


def test_the_pipeline_sends_what_the_planner_says_and_keeps_the_limits(functions, stack, store):
    # A month of daily runs over a random book: what the channel queues receive is, day by day, the messages of
    # `relance simulate` on the same book, and no customer gets two a day, more than its window allows, or a
    # tone milder than its floor on an overdue invoice.
    from relance.domain.planner import Planner
    from relance.rules.loader import load_rules_or_raise

    from .conftest import rules_path

    customers, invoices, paid = random_book(14)
    store.seed(book(customers, invoices))
    start, end = date(2026, 11, 2), date(2026, 11, 30)
    got: list[tuple[str, str, str, str, tuple[str, ...]]] = []
    day = start
    while day <= end:
        for invoice_id, on in paid.items():
            if on == day:
                store.apply_payment(provider="generic", event_id=f"evt-{invoice_id}", invoice_id=invoice_id,
                                    amount=Decimal(next(i["amount"] for i in invoices if i["id"] == invoice_id)),
                                    currency="EUR", on=day)
        run_day(functions, day)
        for queue in ("EmailQueue", "LetterQueue", "RegisteredLetterQueue", "PhoneQueue"):
            got += [(m["run_date"], m["customer"], m["channel"], m["tone"],
                     tuple(sorted(a["invoice"] for a in m["actions"]))) for m in queued(stack, queue)]
        queued(stack, "LitigationQueue")
        day = date.fromordinal(day.toordinal() + 1)

    rules = load_rules_or_raise(rules_path())
    offline = book(customers, [{**i, "paid_on": paid[i["id"]].isoformat()} if i["id"] in paid else i
                               for i in invoices])
    run = Planner(rules).simulate_run(offline, start, end)
    expected = [(m.date.isoformat(), m.message.customer, m.message.channel, m.message.tone, m.message.invoices)
                for m in run.messages]
    assert sorted(got) == sorted(expected)
    assert len(got) > 10

    kinds = {c["id"]: c["kind"] for c in customers}
    due = {i["id"]: date.fromisoformat(i["due_date"]) for i in invoices}
    tones = rules.tones
    for when, customer, _channel, tone, listed in got:
        day = date.fromisoformat(when)
        limits = rules.contact.for_kind(kinds[customer])
        mine = [(date.fromisoformat(d), t) for d, c, _, t, _ in got if c == customer]
        assert sum(1 for d, _ in mine if d == day) <= limits.max_messages_per_day
        assert sum(1 for d, _ in mine if (day - d).days in range(limits.window_days + 1)) <= (
            limits.max_messages_in_window)
        if all(day > due[i] for i in listed):
            floor = max((tones.index(t) for d, t in mine if 0 < (day - d).days <= limits.tone_floor_days),
                        default=0)
            assert tones.index(tone) >= min(floor, len(tones) - 2), (when, customer, tone)
