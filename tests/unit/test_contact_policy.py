"""The contact policy, SPEC §2.8: one voice per customer. Every timeline below is computed by hand.

Scenario (MINIMAL_RULES + an injonction): preventif J-3 (email, courtois) · relance_1 J+5 (email, courtois) ·
appel J+15 (phone, factuel) · mise_en_demeure J+30 (registered_letter, formel) · injonction J+45 (litigation).
Business days only, French holidays (Easter Monday is Mon 6 Apr 2026), min_gap_days 3.
Tones: courtois < factuel < ferme < formel; the floor never goes above ferme.
F1, due Mon 2 Mar 2026: preventif Fri 27 Feb · relance_1 Mon 9 Mar · appel Tue 17 Mar · mise_en_demeure Wed 1 Apr ·
injonction Thu 16 Apr.
"""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

import pytest

from relance.domain.contact import SentMessage
from relance.domain.model import Book, HistoryEntry
from relance.domain.planner import Deferred, Message, Planner
from relance.rules.loader import load_rules, load_rules_or_raise

from ..conftest import MINIMAL_RULES
from .test_planner import customer, invoice

LITIGATION_STEP = "      - {id: injonction, at: J+45, channel: litigation, tone: formel}\n"
RULES = MINIMAL_RULES + LITIGATION_STEP
CONTACT = """\
contact:
  max_messages_per_day: 1
  window_days: 7
  max_messages_in_window: 3
  tone_floor_days: 30
  consumer:
    window_days: 14
    max_messages_in_window: 2
"""
F1_HISTORY = (HistoryEntry("preventif", date(2026, 2, 27), "email"),
              HistoryEntry("relance_1", date(2026, 3, 9), "email"),
              HistoryEntry("appel", date(2026, 3, 17), "phone"))
NOTICE = HistoryEntry("mise_en_demeure", date(2026, 4, 1), "registered_letter")


@pytest.fixture
def planner(rules_dir):
    def make(contact: str | None = CONTACT) -> Planner:
        return Planner(load_rules_or_raise(rules_dir(RULES + (contact or ""))))

    return make


def book(*invoices, customers=(), contacts=None) -> Book:
    known = {c.id: c for c in customers}
    for inv in invoices:
        known.setdefault(inv.customer_id, customer(inv.customer_id))
    return Book(MappingProxyType(known), invoices, contacts=MappingProxyType(contacts or {}))


def sent(plan) -> list[tuple[str, str, str, str | None]]:
    return [(a.invoice, a.step, a.channel, a.tone) for a in plan.actions]


def test_formal_notice_and_first_reminder_on_one_day_make_one_registered_letter(planner):
    # F2 due Fri 27 Mar: preventif Tue 24 Mar (in its history), relance_1 J+5 = Wed 1 Apr, F1's formal notice day.
    # Window [25 Mar, 31 Mar]: no message; floor over [2 Mar, 31 Mar]: factuel (the call of 17 Mar).
    # Two messages (registered letter formel, e-mail factuel) but one allowed: all merge into the strongest.
    f1 = invoice("F1", history=F1_HISTORY)
    f2 = invoice("F2", due=date(2026, 3, 27), history=[HistoryEntry("preventif", date(2026, 3, 24), "email")])
    plan = planner().plan(book(f1, f2), date(2026, 4, 1))
    assert sent(plan) == [("F1", "mise_en_demeure", "registered_letter", "formel"),
                          ("F2", "relance_1", "registered_letter", "formel")]
    assert plan.messages == (Message("C1", "registered_letter", "formel", ("F1", "F2")),)
    assert plan.deferred == ()


def test_without_a_contact_section_the_same_day_gives_two_messages_as_before(planner):
    f1 = invoice("F1", history=F1_HISTORY)
    f2 = invoice("F2", due=date(2026, 3, 27), history=[HistoryEntry("preventif", date(2026, 3, 24), "email")])
    plan = planner(contact=None).plan(book(f1, f2), date(2026, 4, 1))
    assert plan.messages == (Message("C1", "email", "courtois", ("F2",)),
                             Message("C1", "registered_letter", "formel", ("F1",)))
    assert plan.deferred == ()


def test_a_new_invoice_after_a_formal_notice_is_reminded_firmly(planner):
    # F3 due Wed 8 Apr: preventif J-3 = Sun 5 Apr → Tue 7 Apr (Easter Monday in between), in its history;
    # relance_1 J+5 = Mon 13 Apr. Floor over [14 Mar, 12 Apr]: formel (1 Apr), capped at ferme.
    # Window [6 Apr, 12 Apr]: one message (7 Apr) of three allowed.
    f1 = invoice("F1", history=(*F1_HISTORY, NOTICE), amount="200.00")
    f3 = invoice("F3", due=date(2026, 4, 8), history=[HistoryEntry("preventif", date(2026, 4, 7), "email")])
    plan = planner().plan(book(f1, f3), date(2026, 4, 13))
    assert sent(plan) == [("F3", "relance_1", "email", "ferme")]
    assert plan.messages == (Message("C1", "email", "ferme", ("F3",)),)


def test_the_floor_comes_from_a_settled_invoice_too(planner):
    # The same, with F1 paid since: its formal notice still sets the tone of the customer's next message.
    f1 = invoice("F1", history=(*F1_HISTORY, NOTICE), status="paid", paid_on=date(2026, 4, 10))
    f3 = invoice("F3", due=date(2026, 4, 8))
    plan = planner().plan(book(f1, f3), date(2026, 4, 13))
    assert sent(plan) == [("F3", "relance_1", "email", "ferme")]


def test_a_pre_due_reminder_waits_out_a_formal_notice_day_then_goes(planner):
    # F4 due Sat 4 Apr: preventif J-3 = Wed 1 Apr, F1's formal notice day. F4 is not overdue yet: deferred.
    # Thu 2 Apr: window [26 Mar, 1 Apr] holds one message; F4 (still not due) goes, courteous (no floor before
    # the due date).
    f1 = invoice("F1", history=F1_HISTORY)
    f4 = invoice("F4", due=date(2026, 4, 4))
    rules = planner()
    day1 = rules.plan(book(f1, f4), date(2026, 4, 1))
    assert sent(day1) == [("F1", "mise_en_demeure", "registered_letter", "formel")]
    assert day1.deferred == (Deferred("F4", "preventif", "not yet due"),)
    f1 = invoice("F1", history=(*F1_HISTORY, NOTICE))
    day2 = rules.plan(book(f1, f4), date(2026, 4, 2))
    assert sent(day2) == [("F4", "preventif", "email", "courtois")]


def test_litigation_is_untouched_and_is_no_message(planner):
    # F1's injonction J+45 = Thu 16 Apr; F2 due Sat 11 Apr: relance_1 J+5 = Thu 16 Apr (preventif Wed 8 Apr, in
    # its history, outside the window [9 Apr, 15 Apr]). Floor: formel (1 Apr) capped at ferme.
    f1 = invoice("F1", history=(*F1_HISTORY, NOTICE))
    f2 = invoice("F2", due=date(2026, 4, 11), history=[HistoryEntry("preventif", date(2026, 4, 8), "email")])
    plan = planner().plan(book(f1, f2), date(2026, 4, 16))
    assert sent(plan) == [("F1", "injonction", "litigation", "formel"), ("F2", "relance_1", "email", "ferme")]
    assert plan.messages == (Message("C1", "email", "ferme", ("F2",)),)


def test_an_invoice_in_litigation_holds_the_floor_at_its_strongest(planner):
    f1 = invoice("F1", history=(*F1_HISTORY, NOTICE), status="litigation")
    f5 = invoice("F5", due=date(2026, 6, 1))  # relance_1 J+5 = Sat 6 Jun → Mon 8 Jun; 1 Apr is 68 days before
    plan = planner().plan(book(f1, f5), date(2026, 6, 8))
    assert sent(plan) == [("F5", "relance_1", "email", "ferme")]


def test_the_window_defers_past_its_cap_and_the_action_comes_back_once_a_day_leaves_it(planner):
    # Messages on Mon 9, Tue 10, Wed 11 Mar for three invoices paid since: three in [9 Mar, 15 Mar] on Mon 16 Mar,
    # so F6's relance_1 (due Wed 11 Mar, J+5 = Mon 16 Mar) waits; Tue 17 Mar: [10 Mar, 16 Mar] holds two, it goes.
    others = [invoice(f"E{n}", due=date(2026, 2, 1), status="paid", paid_on=date(2026, 3, 12),
                      history=[HistoryEntry("relance_1", date(2026, 3, 8 + n), "email")]) for n in (1, 2, 3)]
    f6 = invoice("F6", due=date(2026, 3, 11), history=[HistoryEntry("preventif", date(2026, 3, 6), "email")])
    rules = planner()
    monday = rules.plan(book(*others, f6), date(2026, 3, 16))
    assert monday.actions == ()
    assert monday.deferred == (Deferred("F6", "relance_1", "contact limit"),)
    tuesday = rules.plan(book(*others, f6), date(2026, 3, 17))
    assert sent(tuesday) == [("F6", "relance_1", "email", "courtois")]


def test_the_store_contact_log_counts_in_the_window(planner):
    # Nothing in the invoices' history, but the store knows three messages of the last days (invoices settled).
    log = {"C1": (SentMessage(date(2026, 3, 9), "email", "courtois"), SentMessage(date(2026, 3, 10), "phone", None),
                  SentMessage(date(2026, 3, 12), "email", "factuel"))}
    f6 = invoice("F6", due=date(2026, 3, 11), history=[HistoryEntry("preventif", date(2026, 3, 6), "email")])
    plan = planner().plan(book(f6, contacts=log), date(2026, 3, 16))
    assert plan.actions == ()
    assert plan.deferred == (Deferred("F6", "relance_1", "contact limit"),)


def test_the_consumer_window_is_stricter(planner):
    # A consumer with three invoices due Mon 2, Fri 6 and Sun 8 Mar: relance_1 on Mon 9 (P1-1), Wed 11 (P1-2) and
    # Fri 13 Mar (P1-3). Its window: 14 days, 2 messages. Fri 13 Mar: [27 Feb, 12 Mar] holds 9 and 11 Mar, P1-3
    # waits; so do the calls of P1-1 (J+15 = Tue 17 Mar) and P1-2 (J+15 = Sat 21 → Mon 23 Mar). Tue 24 Mar:
    # [10 Mar, 23 Mar] holds 11 Mar only: one message, the call, takes in P1-3's e-mail. P1-3's own call
    # (J+15 = Mon 23 Mar, three days after 24 Mar: Fri 27 Mar) goes then: [13 Mar, 26 Mar] holds one message.
    # Mon 30 and Tue 31 Mar hold two (24 and 27 Mar): nothing more. A business customer gets all three relance_1.
    def invoices(cid):
        return [invoice(f"{cid}-{n}", customer_id=cid, due=due,
                        history=[HistoryEntry("preventif", date(2026, 2, 20), "email")])
                for n, due in enumerate((date(2026, 3, 2), date(2026, 3, 6), date(2026, 3, 8)), start=1)]
    people = (customer("P1", kind="consumer"), customer("B1"))
    run = planner().simulate_run(book(*invoices("P1"), *invoices("B1"), customers=people),
                                 date(2026, 3, 1), date(2026, 3, 31))
    consumer = [(m.date.isoformat(), m.message.channel, m.message.tone, m.message.invoices)
                for m in run.messages if m.message.customer == "P1"]
    assert consumer == [
        ("2026-03-09", "email", "courtois", ("P1-1",)),
        ("2026-03-11", "email", "courtois", ("P1-2",)),
        ("2026-03-24", "phone", "factuel", ("P1-1", "P1-2", "P1-3")),
        ("2026-03-27", "phone", "factuel", ("P1-3",)),
    ]
    business = [m.date.isoformat() for m in run.messages if m.message.customer == "B1"]
    assert business[:3] == ["2026-03-09", "2026-03-11", "2026-03-13"]


def test_two_messages_a_day_keep_the_strongest_apart_and_merge_the_rest(planner):
    # Day cap 2: F1's formal notice goes alone; F2's relance_1 and F7's appel merge into the stronger, the call.
    contact = CONTACT.replace("max_messages_per_day: 1", "max_messages_per_day: 2")
    f1 = invoice("F1", history=(*F1_HISTORY[:2], HistoryEntry("appel", date(2026, 3, 17), "phone", tone="courtois")))
    f2 = invoice("F2", due=date(2026, 3, 27))  # relance_1 Wed 1 Apr
    f7 = invoice("F7", due=date(2026, 3, 17), history=[HistoryEntry("relance_1", date(2026, 3, 23), "email")])
    plan = planner(contact).plan(book(f1, f2, f7), date(2026, 4, 1))  # F7's appel J+15 = Wed 1 Apr
    assert sent(plan) == [("F1", "mise_en_demeure", "registered_letter", "formel"),
                          ("F2", "relance_1", "phone", "factuel"), ("F7", "appel", "phone", "factuel")]
    assert plan.messages == (Message("C1", "phone", "factuel", ("F2", "F7")),
                             Message("C1", "registered_letter", "formel", ("F1",)))


def test_check_names_an_unknown_contact_key_with_a_suggestion(rules_dir):
    result = load_rules(rules_dir(MINIMAL_RULES + "contact:\n  max_message_per_day: 2\n"))
    assert [str(d).split(": ", 1)[1] for d in result.errors] == [
        "error: clé inconnue « max_message_per_day » — vouliez-vous dire « max_messages_per_day » ?"]
    assert result.errors[0].line == MINIMAL_RULES.count("\n") + 2


def test_check_refuses_a_window_cap_below_the_day_cap(rules_dir):
    text = MINIMAL_RULES + "contact:\n  max_messages_per_day: 3\n  consumer:\n    max_messages_in_window: 2\n"
    result = load_rules(rules_dir(text))
    assert [d.line for d in result.errors] == [MINIMAL_RULES.count("\n") + 4]
    assert "max_messages_in_window (2) est plus petit que max_messages_per_day (3) pour les particuliers" in (
        result.errors[0].message)


def test_check_warns_of_a_window_cap_that_can_never_be_reached(rules_dir):
    text = MINIMAL_RULES + "contact:\n  window_days: 2\n  max_messages_in_window: 5\n"
    result = load_rules(rules_dir(text))
    assert result.ok
    assert [d.message for d in result.diagnostics if "contact" in d.message or "max_" in d.message] == [
        "max_messages_in_window (5) ne peut jamais être atteint : en 2 jour(s) à 1 message(s) par jour, un client "
        "en reçoit au plus 2"]
